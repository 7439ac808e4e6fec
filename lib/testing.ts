/**
 * Test helpers for hosts (`import { replayMission } from 'lifeos-mission/testing'`): run a mission
 * offline against recorded fixtures, in a private copy of the repository, and check that a
 * replayed run decided exactly what the recorded one did, pointing at the step where they part
 * (like a workflow replay test, but naming the mission step rather than a history event).
 */
export { decisions, type Decision, type Divergence } from './runtime/run-comparison.ts';
import { cpSync, existsSync, realpathSync, rmSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { Mission } from './core/types.ts';
import type { MissionResult } from './runtime/engine/types.ts';
import { JournalCorrupt, readJournal } from './runtime/journal.ts';
import { compareEntries, type Divergence } from './runtime/run-comparison.ts';
import { privateCopy } from './runtime/private-copy.ts';
import { resolveRunPaths } from './runtime/run-paths.ts';
import { runMission, type RunOptions } from './runtime/runner.ts';

export interface ReplayOptions extends RunOptions {
  /** A folder of fixtures to answer from, copied into the copy's fixture cache (relative to the current folder). */
  fixtures?: string;
  /** Replay at this commit of the repository (default: its HEAD and its work tree as it is, uncommitted files included). */
  commit?: string;
  /** Keep the private copy after the process exits (default: removed then). */
  keepCopy?: boolean;
}

export interface ReplayResult extends MissionResult {
  /** The private copy the replay ran in; its journal and logs stay readable until the process exits. */
  repoCopy: string;
}

const copies = new Set<string>();

/**
 * Run a mission in replay mode in a private copy of the repository (runtime/private-copy.ts): at
 * `commit`, or at HEAD with the work tree's changes, so a test inside the repository can replay
 * it. Every `llm_call` answers from a fixture (docs/agents.md "Fixture matching") or fails with
 * ReplayMissError; nothing goes to the network, and nothing is written to the repository itself.
 * The journal is not fsync'd and no state store is written.
 */
export async function replayMission(missionOrName: Mission | string, options: ReplayOptions): Promise<ReplayResult> {
  const { fixtures, commit, keepCopy, ...rest } = options;
  if (fixtures && !existsSync(fixtures)) throw new Error(`no fixture folder ${fixtures}`);
  const paths = resolveRunPaths(options.paths);
  const copy = privateCopy(options.repoRoot, paths, commit);
  // Real paths on both sides: a repository reached through a symlink must still map into the copy.
  const top = copy.source;
  if (!keepCopy) removeAtExit(copy.root);
  if (fixtures) cpSync(fixtures, join(copy.root, paths.agentCalls, 'cache'), { recursive: true });
  const repoRoot = inCopy(realpathSync(options.repoRoot), top, copy.root);
  if (!repoRoot) throw new Error(`${options.repoRoot} is not inside its repository ${top}`);
  const mission = typeof missionOrName === 'string' && existsSync(missionOrName) ? (inCopy(realpathSync(missionOrName), top, copy.root) ?? missionOrName) : missionOrName;
  const result = await runMission(mission, { fsync: false, store: false, ...rest, repoRoot, mode: 'replay' });
  return { ...result, repoCopy: copy.root };
}

/** The same path in the copy, for a (real) path inside the repository; undefined outside it. */
function inCopy(path: string, top: string, copy: string): string | undefined {
  const inside = relative(top, path);
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return undefined;
  const mapped = join(copy, inside);
  return mapped === copy || mapped.startsWith(`${copy}${sep}`) ? mapped : undefined;
}

function removeAtExit(root: string): void {
  if (copies.size === 0) process.once('exit', () => copies.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  copies.add(root);
}

/**
 * Compare what two runs (two journal files) decided; the first entry where they part
 * (runtime/run-comparison.ts). A journal that does not verify is an error: what it says was
 * not necessarily decided.
 */
export function compareRuns(expectedJournal: string, actualJournal: string): Divergence {
  return compareEntries(verifiedEntries(expectedJournal), verifiedEntries(actualJournal));
}

function verifiedEntries(path: string): ReturnType<typeof readJournal>['entries'] {
  const { entries, verification } = readJournal(path);
  if (!verification.ok) throw new JournalCorrupt(path, verification);
  return entries;
}

/** Throw, naming the step, unless the two runs decided the same things. */
export function assertSameDecisions(expectedJournal: string, actualJournal: string): void {
  const result = compareRuns(expectedJournal, actualJournal);
  if (!result.same) throw new Error(result.message);
}
