// Issue 15, finding 7: every council mode is reachable through the built-in `review` mission's
// `review_mode` input, each with its seats (and, for M1 and M2, the chair and co-chair), run for
// real (a git repository, the scripted model on 127.0.0.1 in record mode, the built-in prompts
// that `init` writes); a misspelt mode is refused before the first call.
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { createHelloRepo } from '../../examples/hello-cycle/hello-repo.mjs';
import { startScriptedModel } from '../../examples/hello-cycle/scripted-model.mjs';
import type { CouncilDecision } from '../../lib/council/synthesis.ts';
import { initRepository } from '../../lib/runtime/init-repository.ts';
import { runMission } from '../../lib/runtime/runner.ts';
import { cli } from '../helpers.ts';

const it = suite('council modes (issue 15, finding 7)');

const DESIGN = {
  type: 'BUILD_PACKET',
  mission_name: 'add-greet',
  summary: 'Add greet(name) with a test',
  payload: { goal: 'greet(name) returns "Hello, <name>!"', scope: { allowed_paths: ['src/**', 'test/**'] } },
};

/** Runs the built-in review of DESIGN in `mode` (undefined: the default) and returns the decision and the roles called, in order. */
async function review(mode: string | undefined, scenario = 'happy') {
  const model = await startScriptedModel(scenario);
  calledRoles = model.calls;
  const repo = createHelloRepo(tempDir('council-mode-'), { initRepository, withFixtures: false });
  try {
    const inputs = { subject_packet: DESIGN, review_type: 'build_review', ...(mode ? { review_mode: mode } : {}) };
    const result = await runMission('review', { repoRoot: repo, mode: 'record', fsync: false, inputs, agent: { baseURL: model.url, apiKey: 'scripted' } });
    return { result, decision: result.outputs?.council_decision as CouncilDecision | undefined, calls: [...model.calls] };
  } finally {
    await model.close();
  }
}

/** The roles the last review's model was asked for (read after a refused run too). */
let calledRoles: string[] = [];
const seatsOf = (decision: CouncilDecision | undefined) => decision?.seat_verdicts.map((s) => s.seat);

it('M0_FAST asks the unified reviewer alone: one call, no chair, its verdict is the council\'s', async () => {
  const { result, decision, calls } = await review('M0_FAST');
  assert.is(result.status, 'completed', JSON.stringify(result.error ?? result.escalation));
  assert.equal(calls, ['reviewer_unified']);
  assert.equal([decision?.mode, decision?.verdict, seatsOf(decision), decision?.cochair], ['M0_FAST', 'approved', ['unified'], undefined]);
});

it('M1_STANDARD (the default) asks the four core seats, then the chair, then the co-chair', async () => {
  const { result, decision, calls } = await review(undefined);
  assert.is(result.status, 'completed', JSON.stringify(result.error ?? result.escalation));
  assert.equal(calls, ['reviewer_architect', 'reviewer_alignment', 'reviewer_risk', 'reviewer_governance', 'council_chair', 'council_cochair']);
  assert.equal([decision?.mode, decision?.verdict, seatsOf(decision), decision?.cochair?.verdict], ['M1_STANDARD', 'approved', ['architect', 'alignment', 'risk', 'governance'], 'approve']);
});

it('M2_FULL asks nine seats, the chair and the co-chair', async () => {
  const { result, decision, calls } = await review('M2_FULL');
  assert.is(result.status, 'completed', JSON.stringify(result.error ?? result.escalation));
  const nine = ['architect', 'alignment', 'risk', 'governance', 'security', 'testing', 'product', 'operations', 'documentation'];
  assert.equal(calls, [...nine.map((seat) => `reviewer_${seat}`), 'council_chair', 'council_cochair']);
  assert.equal([decision?.mode, decision?.verdict, seatsOf(decision)], ['M2_FULL', 'approved', nine]);
});

it("a co-chair's fix_required stops the chair's approval", async () => {
  const { result, decision } = await review('M1_STANDARD', 'cochair_fix');
  assert.is(result.status, 'completed', JSON.stringify(result.error ?? result.escalation));
  assert.equal([decision?.verdict, decision?.chair_verdict], ['fix_required', 'approved']);
});

it('a misspelt mode is refused before the first call, naming the input to pass', async () => {
  const refused = await review('m2_full').then(
    () => undefined,
    (error: Error) => error,
  );
  assert.match(refused?.message ?? '', /^the run was not started, nothing was called: steps prepare_ccp and decide: council mode "m2_full" is not one of M0_FAST, M1_STANDARD, M2_FULL \(pass it as --input review_mode=M2_FULL, for example\)$/);
  assert.equal(calledRoles, []);
});

it("`plan` marks the steps another mode's `when` skips, and lists no instances of a skipped fan-out", async () => {
  const { code, stdout } = await cli('plan', 'review', '--input', `subject_packet=${JSON.stringify(DESIGN)}`, '--input', 'review_type=build_review', '--input', 'review_mode=M0_FAST');
  assert.is(code, 0, stdout);
  assert.match(stdout, /\nunified_seat +llm_call role=reviewer_unified[^\n]*\[read-only\]\n/);
  assert.match(stdout, /\nrun_seats +fan-out x4 over seat  \(skipped: its when is false\)\n(?!  \[)/);
  assert.match(stdout, /\nsynthesize +llm_call role=council_chair[^\n]*\(skipped: its when is false\)\n/);
});

it.run();
