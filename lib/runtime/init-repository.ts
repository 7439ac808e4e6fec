/**
 * `lifeos-mission init`: make a repository ready for the build cycle. Copies the starter files
 * (templates/init: a prompt for every role the built-in missions call, the model mapping, the
 * envelope policy, BACKLOG.md and LIFEOS_STATE.md) without touching any file that exists, then
 * records the governance baseline if there is none, approved by the person running init.
 * An existing baseline is left alone: only `baseline --write` replaces one.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { BASELINE_FILE, writeGovernanceBaseline } from '../governance/baseline.ts';
import { packageRoot } from './package-root.ts';

export interface InitOptions {
  repoRoot: string;
  /** Who approves the first baseline (recorded in it). */
  approvedBy: string;
  /** The ruling the first baseline rests on. */
  councilRulingRef?: string;
  /** Clock for the baseline's timestamp. */
  now?: () => Date;
}

export interface InitReport {
  created: string[];
  kept: string[];
  /** The baseline written, or null when one existed. */
  baseline: string | null;
}

export function initRepository(options: InitOptions): InitReport {
  const templates = join(packageRoot(), 'templates', 'init');
  const report: InitReport = { created: [], kept: [], baseline: null };
  for (const file of listFiles(templates)) {
    const path = relative(templates, file).replaceAll('\\', '/');
    const target = join(options.repoRoot, path);
    if (existsSync(target)) {
      report.kept.push(path);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
    report.created.push(path);
  }
  if (!existsSync(join(options.repoRoot, BASELINE_FILE))) {
    writeGovernanceBaseline({
      repoRoot: options.repoRoot,
      approvedBy: options.approvedBy,
      councilRulingRef: options.councilRulingRef ?? 'lifeos-mission init',
      ...(options.now ? { now: options.now } : {}),
    });
    report.baseline = BASELINE_FILE;
  }
  return report;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path) : [path];
    });
}
