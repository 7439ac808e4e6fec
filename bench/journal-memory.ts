/**
 * A child process of `npm run bench` (section 5): one journal job, then its peak RSS, so the
 * memory figure is the job's own and not the bench's.
 *
 *   write <path> <entries>    append entries of ~700 bytes (the shape of a long run's)
 *   verify <path>             verify the journal in its run folder
 *   bundle <path> <bundle>    write a completion bundle that copies the journal
 *
 * Prints one JSON line: { ms, maxRssMb, ok }.
 */
import { hashCanonical } from '../lib/core/canonical.ts';
import { writeBundle, BUNDLE_VERSION } from '../lib/runtime/bundle.ts';
import { JournalWriter, verifyJournal } from '../lib/runtime/journal.ts';

const [job, path, extra] = process.argv.slice(2);
const runId = hashCanonical({ bench: 'journal' });
const start = performance.now();
let ok = true;
let count = 0;
if (job === 'write') {
  const writer = JournalWriter.open(path as string, runId, { fsync: false });
  const text = 'the build changed src/app.ts and its test; the reviewer asked for one more case. '.repeat(4);
  for (let i = 0; i < Number(extra); i++) {
    writer.append('operation_finished', { node: `each[item${i}]`, operation_id: runId, output: { item: `item${i}`, ok: true, summary: text }, receipt: { pre_state_hash: runId, post_state_hash: runId } });
  }
  count = writer.count;
  writer.close();
} else if (job === 'verify') {
  const verification = verifyJournal(path as string);
  ok = verification.ok;
  count = verification.entries;
} else if (job === 'bundle') {
  const verification = verifyJournal(path as string);
  count = verification.entries;
  const snapshot = { head: null, index: null, tree: null, branches: {} } as never;
  writeBundle(extra as string, {
    bundle_version: BUNDLE_VERSION,
    run_id: runId,
    run_id_audit: 'bench',
    mission: 'bench',
    attempt: 1,
    status: 'completed',
    baseline_commit: null,
    result_commit: null,
    final_state: snapshot,
    final_state_hash: runId,
    outputs: null,
    escalations: [],
    // The embedding bundle (--embed-journal): the one whose writing could grow with the journal.
  }, { receipts: [], journal: { file: 'journal.jsonl', path: path as string, entry_count: count, head_hash: verification.headHash as never, embed: true }, agentCalls: null });
} else {
  throw new Error(`unknown job ${String(job)}`);
}
console.log(JSON.stringify({ ms: performance.now() - start, maxRssMb: process.resourceUsage().maxRSS / 1024, ok, count }));
