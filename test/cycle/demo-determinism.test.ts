// The demo cycle's determinism, as a host asserts it: two replays of the recorded fixtures
// decide the same (test timings, commit times and the ids they change aside), and a seat whose
// fixture says another verdict is named, with both verdicts.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { initRepository } from '../../lib/runtime/init-repository.ts';
import { assertSameDecisions, compareRuns, replayMission } from '../../lib/testing.ts';
import { createHelloRepo, INPUTS } from '../../examples/hello-cycle/hello-repo.mjs';

const it = suite('demo determinism');
const inputs = parse(readFileSync(INPUTS, 'utf8')) as Record<string, unknown>;
const replay = (repo: string) => replayMission('autonomous_build_cycle', { repoRoot: repo, inputs });

it('two replays of the demo cycle decide the same; a changed seat verdict is named with both verdicts', async () => {
  const first = await replay(createHelloRepo(tempDir('lifeos-demo-a-'), { initRepository }));
  const second = await replay(createHelloRepo(tempDir('lifeos-demo-b-'), { initRepository }));
  assert.is(first.status, 'completed', first.error?.message);
  assert.is(second.status, 'completed', second.error?.message);
  assertSameDecisions(first.journalPath, second.journalPath);

  const edited = createHelloRepo(tempDir('lifeos-demo-c-'), { initRepository });
  const cache = join(edited, 'logs/agent_calls/cache');
  const file = readdirSync(cache).map((name) => join(cache, name)).find((path) => readFileSync(path, 'utf8').includes('node: review_design/run_seats[risk]'));
  assert.ok(file, 'the risk seat fixture of the design review');
  writeFileSync(file, readFileSync(file, 'utf8').replaceAll('verdict":"approve"', 'verdict":"fix_required"').replace(/(response_packet:\n(?:  .*\n)*?  verdict: )approve/, '$1fix_required'));
  const third = await replay(edited);
  const divergence = compareRuns(first.journalPath, third.journalPath);
  assert.is(divergence.same, false);
  const message = divergence.same ? '' : divergence.message;
  assert.match(message, /^the runs diverge at step review_design\/run_seats\[risk\]: operation_finished differs: /);
  assert.match(message, /"approve.* recorded, .*"fix_required.* replayed/);
});

it.run();
