/**
 * The files a run writes in the target repository (DESIGN.md "Files a run writes"), in one
 * place: every path is configurable, and all of them are left out of the "repo clean" check, the
 * state hashes and the rollback, so the engine's own evidence never makes the repository dirty
 * and is never rolled back.
 */
import { isAbsolute, normalize, posix } from 'node:path';

export interface RunPaths {
  /** Journals: `<journals>/<run>/journal.jsonl`, completion bundles beside them. */
  journals: string;
  /** Evidence of failed runs: `<failedMissions>/<run>/`. */
  failedMissions: string;
  /** Evidence of kill switch halts. */
  killSwitchActivations: string;
  /** Agent call logs and replay fixtures (written by the agent layer). */
  agentCalls: string;
  /** The single-run lock file. */
  lock: string;
  /** The state store folder. */
  store: string;
  /** The kill switch: any file system entry of this name halts autonomy. */
  killSwitch: string;
  /** The anchor log (anchor-log.ts); by default `anchors.jsonl` beside the journals folder. */
  anchors: string;
  /**
   * Not a file: the branches a run owns, as a ref prefix. Snapshots record them and a rollback
   * puts them back (deleting one the run made). Every branch by default; a backlog task, whose
   * worktree shares the repository's branches with the other tasks, owns only its own
   * (`refs/heads/backlog/<task>`), so that undoing it never touches another task's commit.
   */
  branches: string;
}

export const DEFAULT_RUN_PATHS: Readonly<RunPaths> = {
  journals: 'logs/mission_journals',
  failedMissions: 'logs/failed_missions',
  killSwitchActivations: 'logs/kill_switch_activations',
  agentCalls: 'logs/agent_calls',
  lock: '.lifeos_run_lock',
  store: '.lifeos',
  killSwitch: 'STOP_AUTONOMY',
  anchors: 'logs/anchors.jsonl',
  branches: 'refs/heads',
};

/** Defaults with overrides; each path must be relative to the repository and stay inside it. */
export function resolveRunPaths(overrides: Partial<RunPaths> = {}): RunPaths {
  // The anchor log sits beside the journals, where verify looks for it, unless placed elsewhere.
  const anchors = overrides.anchors ?? (overrides.journals ? posix.join(posix.dirname(overrides.journals), 'anchors.jsonl') : DEFAULT_RUN_PATHS.anchors);
  const paths = { ...DEFAULT_RUN_PATHS, ...overrides, anchors };
  if (!/^refs\/heads(\/[^/]+)*\/?$/.test(paths.branches)) throw new TypeError(`paths.branches must be refs/heads or a prefix below it (refs/heads/backlog/x); got "${paths.branches}"`);
  for (const [name, value] of Object.entries(paths)) {
    const normalised = normalize(value).replaceAll('\\', '/');
    if (isAbsolute(value) || normalised === '.' || normalised.startsWith('../') || normalised === '..') {
      throw new TypeError(`paths.${name} must be a path inside the repository, relative to its root; got "${value}"`);
    }
    paths[name as keyof RunPaths] = normalised.replace(/\/$/, '');
  }
  return paths;
}

/** The engine-owned paths (the kill switch is the operator's, not the engine's). */
function ownPaths(paths: RunPaths): string[] {
  return [paths.journals, paths.failedMissions, paths.killSwitchActivations, paths.agentCalls, paths.store];
}

/**
 * What snapshots, rollback and the clean-repo check leave out, each path with the git pathspec
 * that does it: the engine's own files, and the kill switch, which is the operator's: a run never
 * records, restores or removes it (an operator's STOP_AUTONOMY must survive the rollback it causes).
 */
export function engineFiles(paths: RunPaths): Array<{ path: string; pathspec: string }> {
  return [
    ...ownPaths(paths).map((path) => ({ path, pathspec: `:(exclude,literal)${path}` })),
    // The lock file itself and no other name: a pattern would hide a file a step writes beside it.
    // (Its breaker's lock and its temporary files exist only while a lock is taken or broken, between runs.)
    { path: paths.lock, pathspec: `:(exclude,literal)${paths.lock}` },
    { path: paths.anchors, pathspec: `:(exclude,literal)${paths.anchors}` },
    { path: paths.killSwitch, pathspec: `:(exclude,literal)${paths.killSwitch}` },
  ];
}

/** Git pathspecs that leave the engine's files out (`git status`, `git checkout`). */
export function excludePathspecs(paths: RunPaths): string[] {
  return engineFiles(paths).map((file) => file.pathspec);
}

/** gitignore-style patterns for `git clean -e`, which takes no pathspec magic. */
export function cleanExcludes(paths: RunPaths): string[] {
  return [...ownPaths(paths).map((path) => `/${path}/`), `/${paths.lock}`, `/${paths.anchors}`, `/${paths.killSwitch}`];
}
