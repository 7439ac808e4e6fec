// The engine keeps the state store in step with the journal incrementally (the run's row and the
// step rows that changed since the last save): what it leaves must be what a rebuild derives.
import { join } from 'node:path';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { runRows } from '../../lib/core/store-rows.ts';
import type { OperationHandler } from '../../lib/operations/handler.ts';
import { bundlePath } from '../../lib/runtime/bundle.ts';
import { readJournal } from '../../lib/runtime/journal.ts';
import { runMission } from '../../lib/runtime/runner.ts';
import { openStateStore } from '../../lib/runtime/store/open-store.ts';
import { makeRepo, mission, writeFileHandler } from '../git-repo.ts';

/** Longer than the store's save interval, so the run saves between its steps. */
const nap: OperationHandler = {
  type: 'nap',
  description: 'waits 300 ms (test handler)',
  writes: false,
  compensation: 'none',
  idempotent: true,
  execute: () => new Promise((resolve) => setTimeout(() => resolve({ napped: true }), 300)),
};

const SAVES_MID_RUN = `mission: saves_mid_run
version: "1.0"
inputs: [{name: items, type: list, default: [a, b, c, d, e, f, g, h]}]
outputs: []
steps:
  - {id: first, kind: runtime, operation: write_file, params: {path: one.txt, text: "1"}}
  - {id: wait, kind: runtime, operation: nap, params: {}}
  - {id: each, kind: runtime, operation: noop, for_each: {item: "{{items}}"}, params: {item: "{{item}}"}}
  - {id: again, kind: runtime, operation: nap, params: {}}
  - {id: last, kind: runtime, operation: write_file, params: {path: two.txt, text: "2"}}
`;

for (const backend of ['lowdb', 'sqlite'] as const) {
  const it = suite(`store index (${backend})`);

  it('the rows saved while the run went on equal the rows a rebuild derives from its journal', async () => {
    const repo = makeRepo();
    openStateStore({ repoRoot: repo, backend }).close();
    const result = await runMission(mission(SAVES_MID_RUN, [writeFileHandler, nap]), { repoRoot: repo, handlers: [writeFileHandler, nap] });
    assert.is(result.status, 'completed');
    const runDir = join('logs', 'mission_journals', result.runId.slice(7));
    const [derived] = runRows(readJournal(result.journalPath).entries, (attempt) => bundlePath(runDir, attempt));
    const store = openStateStore({ repoRoot: repo });
    const [saved] = store.runs();
    const steps = store.stepLogs(derived?.run.mission_id as string);
    store.close();
    const { id: _id, ...row } = saved as NonNullable<typeof saved>;
    assert.equal(row, derived?.run);
    assert.equal(steps.map(({ id: _stepId, ...step }) => step), derived?.steps);
    assert.is(new Set(steps.map((step) => step.id)).size, steps.length, 'one row per step execution');
    assert.ok(steps.some((step) => step.step_id === 'first' && step.compensation_status === 'not_needed'), 'a row saved early was brought up to date at the end');
  });

  it.run();
}
