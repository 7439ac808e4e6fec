/**
 * `lifeos-mission init`: make a repository ready for the build cycle. Copies the starter files
 * (templates/init: a prompt for every role the built-in missions call, the model mapping, the
 * envelope policy, BACKLOG.md and LIFEOS_STATE.md) without touching any file that exists, adds
 * the engine's own files to .gitignore, then records the governance baseline if there is none,
 * approved by the person running init.
 * An existing baseline is left alone: only `baseline --write` replaces one.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { BASELINE_FILE, writeGovernanceBaseline } from '../governance/baseline.ts';
import { packageRoot } from './package-root.ts';

export interface InitOptions {
  repoRoot: string;
  /** Add the engine's own files to .gitignore (default true). */
  gitignore?: boolean;
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
  /** Files that existed and were added to (.gitignore). */
  updated: string[];
  /** The baseline written, or null when one existed. */
  baseline: string | null;
}

export function initRepository(options: InitOptions): InitReport {
  const templates = join(packageRoot(), 'templates', 'init');
  const report: InitReport = { created: [], kept: [], updated: [], baseline: null };
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
  if (options.gitignore !== false) ignoreEngineFiles(options.repoRoot, report);
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

const GITIGNORE_MARK = '# lifeos-mission:';
/**
 * The engine's own files (journals, evidence, call logs, the state store, task worktrees, the
 * run lock), so that `git status` does not list them after every run. The recorded model
 * answers (logs/agent_calls/cache) are fixtures to commit, so they stay visible.
 */
const GITIGNORE_BLOCK = `${GITIGNORE_MARK} the engine's own files (docs/running.md); the recorded model answers
# under logs/agent_calls/cache are fixtures to commit, so they are not ignored.
/.lifeos/
/.lifeos_run_lock
/logs/*
!/logs/agent_calls/
/logs/agent_calls/*
!/logs/agent_calls/cache/
`;

/** .gitignore is the one existing file init changes: it appends its block once. */
function ignoreEngineFiles(repoRoot: string, report: InitReport): void {
  const path = join(repoRoot, '.gitignore');
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (existing?.includes(GITIGNORE_MARK)) return void report.kept.push('.gitignore');
  writeFileSync(path, existing === undefined ? GITIGNORE_BLOCK : `${existing}${existing === '' || existing.endsWith('\n') ? '' : '\n'}\n${GITIGNORE_BLOCK}`);
  (existing === undefined ? report.created : report.updated).push('.gitignore');
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path) : [path];
    });
}
