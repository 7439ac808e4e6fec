/**
 * Test helpers for hosts (`import { replayMission } from 'lifeos-mission/testing'`): run a mission
 * offline against recorded fixtures, and check that a replayed run decided exactly what the
 * recorded one did, pointing at the step where they part (like a workflow replay test, but
 * naming the mission step rather than a history event).
 */
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { JournalEntry } from './core/journal-chain.ts';
import type { Mission } from './core/types.ts';
import type { MissionResult } from './runtime/engine/types.ts';
import { readJournal } from './runtime/journal.ts';
import { resolveRunPaths } from './runtime/run-paths.ts';
import { runMission, type RunOptions } from './runtime/runner.ts';

/** Audit metadata, which may differ between runs that decided the same things. */
const AUDIT_FIELDS = new Set(['run_id_audit', 'call_id_audit', 'mode', 'timestamp', 'checked_at']);

/**
 * Run a mission in replay mode: every `llm_call` answers from a fixture (copied from `fixtures`
 * into the repository's fixture cache first, when given) or fails with ReplayMissError; nothing
 * goes to the network. The journal is not fsync'd and no state store is written.
 */
export async function replayMission(missionOrName: Mission | string, options: RunOptions & { fixtures?: string }): Promise<MissionResult> {
  const { fixtures, ...rest } = options;
  if (fixtures) {
    if (!existsSync(fixtures)) throw new Error(`no fixture folder ${fixtures}`);
    cpSync(fixtures, join(options.repoRoot, resolveRunPaths(options.paths).agentCalls, 'cache'), { recursive: true });
  }
  return runMission(missionOrName, { fsync: false, store: false, ...rest, mode: 'replay' });
}

/** What a journal entry decided: its type, step and data, without audit metadata. */
export interface Decision {
  seq: number;
  type: string;
  node: string | null;
  data: unknown;
}

export function decisions(entries: readonly JournalEntry[]): Decision[] {
  return entries.map((entry) => ({ seq: entry.seq, type: entry.type, node: typeof entry.data.node === 'string' ? entry.data.node : null, data: strip(entry.data) }));
}

export type Divergence = { same: true } | { same: false; seq: number; node: string | null; expected: Decision | null; actual: Decision | null; message: string };

/** Compare what two runs (two journal files) decided; the first entry where they part. */
export function compareRuns(expectedJournal: string, actualJournal: string): Divergence {
  const expected = decisions(readJournal(expectedJournal).entries);
  const actual = decisions(readJournal(actualJournal).entries);
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    const a = expected[i] ?? null;
    const b = actual[i] ?? null;
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const node = b?.node ?? a?.node ?? null;
    const where = node ? `at step ${node}` : `at journal entry ${i + 1}`;
    const what = !a ? `the replay went on with ${b?.type}` : !b ? `the replay stopped before ${a.type}` : a.type !== b.type ? `${a.type} was recorded, ${b.type} replayed` : `${a.type} differs: ${firstDifference(a.data, b.data)}`;
    return { same: false, seq: i + 1, node, expected: a, actual: b, message: `the runs diverge ${where}: ${what}` };
  }
  return { same: true };
}

/** Throw, naming the step, unless the two runs decided the same things. */
export function assertSameDecisions(expectedJournal: string, actualJournal: string): void {
  const result = compareRuns(expectedJournal, actualJournal);
  if (!result.same) throw new Error(result.message);
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([key]) => !AUDIT_FIELDS.has(key)).map(([key, v]) => [key, strip(v)]));
  return value;
}

function firstDifference(a: unknown, b: unknown, path = ''): string {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const x = (a as Record<string, unknown>)[key];
      const y = (b as Record<string, unknown>)[key];
      if (JSON.stringify(x) !== JSON.stringify(y)) return firstDifference(x, y, `${path}.${key}`);
    }
  }
  return `${path.slice(1) || '(value)'}: ${JSON.stringify(a)?.slice(0, 80)} recorded, ${JSON.stringify(b)?.slice(0, 80)} replayed`;
}
