/**
 * The kill switch (spec §5.6.1): any file system entry named STOP_AUTONOMY in the repository
 * root (a file, a folder, even a dangling symlink) halts autonomy. An entry that cannot be
 * checked counts as present: the switch fails closed.
 */
import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../core/canonical.ts';

export function killSwitchPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** Write the safe-halt evidence file; returns its path. */
export function writeKillSwitchEvidence(folder: string, runDir: string, evidence: Record<string, unknown>): string {
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `${runDir}.${String(evidence.seq ?? 0)}.json`);
  writeFileSync(path, `${canonicalJson(evidence)}\n`);
  return path;
}
