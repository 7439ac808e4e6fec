/**
 * Mission definitions are governance surfaces (spec §2.3): a mission file kept inside the
 * repository it runs on (as LifeOS keeps its missions) is protected for the whole run, so no step
 * can rewrite the envelope or budget it runs under, and its hash goes into run_started.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { sha256, type Sha256 } from '../core/canonical.ts';

/** The files among `files` that lie inside the repository: repository-relative path -> sha256 of the content. */
export function missionFilesInRepo(repoRoot: string, files: ReadonlyArray<string | undefined>): Record<string, Sha256> {
  const root = realpathSync(repoRoot);
  const found: Record<string, Sha256> = {};
  for (const file of files) {
    if (file === undefined) continue;
    let real: string;
    try {
      real = realpathSync(resolve(file));
    } catch {
      continue; // A label (built-in missions are labelled by package path), not a file here.
    }
    const rel = relative(root, real);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) continue;
    found[rel.split(sep).join('/')] = sha256(readFileSync(real));
  }
  return found;
}
