/**
 * What two runs decided, compared entry by entry (assertSameDecisions, compareRuns): packets,
 * verdicts, statuses, params, outputs, changed paths and repository trees. Left out, because two
 * runs that decided the same things differ in them:
 *
 *   audit metadata   run_started's mode and audit id, a receipt's timestamp, call audit ids and
 *                    path-check times (a packet's own `mode` or `timestamp` is compared);
 *   measurements     a tool's output tail (test timings), durations and latencies;
 *   derived hashes   a step's idempotency key (it hashes the params, measurements included).
 *
 * And names are compared by their place, not their value: a commit the run made (its hash covers
 * the wall-clock time of the commit), the hashes of repository states that hold it, and the ids
 * derived from the run id (operations, calls, requests, escalations; the run id covers the
 * commit) may differ, as long as each name of one run stands for one name of the other
 * throughout. What they name is still compared: a commit's trees are in the snapshots next to it.
 * Only values shaped like names (40 or 64 hex digits, `sha256:` ids) pair: `commit: deploy` is a
 * value like any other.
 */
import type { JournalEntry } from '../core/journal-chain.ts';

/** Audit metadata of the entry itself: run_started's mode and audit id, a receipt's timestamp. */
const ENTRY_AUDIT = new Set(['run_id_audit', 'mode']);
/** Audit ids and times and the measurements of tools, wherever a packet carries them on. */
const ANYWHERE = new Set(['call_id_audit', 'checked_at', 'output_tail', 'duration_ms', 'latency_ms', 'elapsed_ms', 'idempotency_key']);
/** Fields whose values are names: commits, ids derived from the run id, and hashes of states that hold a commit. */
const NAME_FIELDS = new Set([
  'head',
  'commit',
  'commit_hash',
  'baseline_commit',
  'result_commit',
  'run_id',
  'operation_id',
  'call_id',
  'request_id',
  'escalation_id',
  'pre_state_hash',
  'post_state_hash',
  'baseline_state_hash',
  'final_state_hash',
]);
/** Objects whose every value is a name (a snapshot's branch heads). */
const NAME_MAPS = new Set(['branches']);

/** What a journal entry decided: its type, step and data, without audit metadata and measurements. */
export interface Decision {
  seq: number;
  type: string;
  node: string | null;
  data: unknown;
}

export type Divergence = { same: true } | { same: false; seq: number; node: string | null; expected: Decision | null; actual: Decision | null; message: string };

export function decisions(entries: readonly JournalEntry[]): Decision[] {
  return entries.map((entry) => ({ seq: entry.seq, type: entry.type, node: typeof entry.data.node === 'string' ? entry.data.node : null, data: decided(entry) }));
}

function decided(entry: JournalEntry): unknown {
  const data = strip(entry.data) as Record<string, unknown>;
  const kept = Object.fromEntries(Object.entries(data).filter(([key]) => !(entry.type === 'run_started' && ENTRY_AUDIT.has(key))));
  if (isObject(kept.receipt)) kept.receipt = Object.fromEntries(Object.entries(kept.receipt).filter(([key]) => key !== 'timestamp'));
  return kept;
}

/** The first entry where two runs part, or `same`. */
export function compareEntries(expectedEntries: readonly JournalEntry[], actualEntries: readonly JournalEntry[]): Divergence {
  const expected = decisions(expectedEntries);
  const actual = decisions(actualEntries);
  const names = new Names();
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    const a = expected[i] ?? null;
    const b = actual[i] ?? null;
    if (a && b && a.type === b.type && a.node === b.node && same(a.data, b.data, '', names)) continue;
    const node = b?.node ?? a?.node ?? null;
    const where = node ? `at step ${node}` : `at journal entry ${i + 1}`;
    const what = !a ? `the replay went on with ${b?.type}` : !b ? `the replay stopped before ${a.type}` : a.type !== b.type ? `${a.type} was recorded, ${b.type} replayed` : `${a.type} differs: ${firstDifference(a.data, b.data, '', names)}`;
    return { same: false, seq: i + 1, node, expected: a, actual: b, message: `the runs diverge ${where}: ${what}` };
  }
  return { same: true };
}

/** Names of one run paired with the other's, one to one. */
class Names {
  private readonly forward = new Map<string, string>();
  private readonly backward = new Map<string, string>();

  /** Whether `a` may stand for `b` (and, if so, they are paired from now on). */
  pair(a: string, b: string): boolean {
    const f = this.forward.get(a);
    const r = this.backward.get(b);
    if (f !== undefined || r !== undefined) return f === b && r === a;
    this.forward.set(a, b);
    this.backward.set(b, a);
    return true;
  }

  copy(): Names {
    const names = new Names();
    for (const [a, b] of this.forward) names.pair(a, b);
    return names;
  }
}

/** A commit or a sha256 id, by its shape: a field of that name holding anything else is compared as it is. */
function isName(value: unknown): value is string {
  return typeof value === 'string' && /^(?:[0-9a-f]{40}|[0-9a-f]{64}|sha256:[0-9a-f]{64})$/.test(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function same(a: unknown, b: unknown, key: string, names: Names): boolean {
  if (NAME_FIELDS.has(key) && isName(a) && isName(b)) return names.pair(a, b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => same(item, b[i], key, names));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length || !keys.every((k) => Object.hasOwn(b, k))) return false;
    return keys.every((k) => same(a[k], b[k], NAME_MAPS.has(key) ? 'head' : k, names));
  }
  return a === b;
}

/** Where two values first differ: the path, and both values around the difference. */
function firstDifference(a: unknown, b: unknown, path: string, names: Names): string {
  const key = /(?:^|\.)([^.[\]]+)$/.exec(path)?.[1] ?? '';
  const bothArrays = Array.isArray(a) && Array.isArray(b);
  if (bothArrays || (isObject(a) && isObject(b))) {
    const keys = bothArrays ? Array.from({ length: Math.max(a.length, b.length) }, (_, i) => String(i)) : [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
    for (const k of keys) {
      const x = (a as Record<string, unknown>)[k];
      const y = (b as Record<string, unknown>)[k];
      const childKey = NAME_MAPS.has(key) ? 'head' : k;
      if (!same(x, y, childKey, names.copy())) return firstDifference(x, y, bothArrays ? `${path}[${k}]` : `${path}.${k}`, names);
      same(x, y, childKey, names);
    }
  }
  const where = path.replace(/^\./, '') || '(value)';
  if (typeof a === 'string' && typeof b === 'string') {
    if (NAME_FIELDS.has(key) && isName(a) && isName(b)) return `${where}: ${JSON.stringify(b)} replayed where ${JSON.stringify(a)} was recorded, but the two runs already pair these names differently`;
    let at = 0;
    while (at < a.length && at < b.length && a[at] === b[at]) at++;
    return `${where} differs at character ${at + 1}: ${around(a, at)} recorded, ${around(b, at)} replayed`;
  }
  return `${where}: ${excerpt(JSON.stringify(a))} recorded, ${excerpt(JSON.stringify(b))} replayed`;
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).filter(([key]) => !ANYWHERE.has(key)).map(([key, v]) => [key, strip(v)]));
  return value;
}

/** The text around `at`, quoted, with … where it was cut. */
function around(text: string, at: number): string {
  const start = Math.max(0, at - 30);
  const end = Math.min(text.length, at + 50);
  return `${start > 0 ? '…' : ''}${JSON.stringify(text.slice(start, end))}${end < text.length ? '…' : ''}`;
}

function excerpt(json: string | undefined): string {
  if (json === undefined) return 'nothing';
  return json.length > 120 ? `${json.slice(0, 120)}…` : json;
}
