// The call log's contract (spec §5.1.3) and the per-step model settings, against a real
// chat-completions server on 127.0.0.1: every outcome has its status, a valid reply its packet's
// hash, a replay how its fixture matched; a fallback model's fixture is a plain hit, a newer
// version of the same model version_drift, another model's answer an error unless allowed.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { hashCanonical } from '../../lib/core/canonical.ts';
import { writeGovernanceBaseline } from '../../lib/governance/baseline.ts';
import { runMission, type RunOptions } from '../../lib/runtime/runner.ts';
import { startFakeLlm, type FakeLlm } from '../fake-llm-server.ts';
import { git, mission } from '../git-repo.ts';
import { agentRepo, KEY, MISSION, MODELS, PLAN_SCHEMA } from './agent-repo.ts';

const it = suite('call log contract');
let llm: FakeLlm;
it.before(async () => {
  llm = await startFakeLlm();
});
it.after(async () => llm.close());

const options = (repo: string, mode: 'live' | 'record' | 'replay', extra: Partial<RunOptions> = {}): RunOptions => ({ repoRoot: repo, mode, fsync: false, schemas: { PLAN: PLAN_SCHEMA }, agent: { baseURL: llm.url, apiKey: KEY, backoffMs: 5, maxBackoffMs: 10 }, ...extra });

/** The call log entries of the repository's runs, oldest first. */
function callLog(repo: string): Array<Record<string, unknown>> {
  const dir = join(repo, 'logs/agent_calls');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .flatMap((name) => readFileSync(join(dir, name), 'utf8').trim().split('\n'))
    .map((line) => (JSON.parse(line) as { data: Record<string, unknown> }).data)
    .sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
}

function remap(repo: string, models: string): void {
  writeFileSync(join(repo, 'config/models.yaml'), models);
  writeGovernanceBaseline({ repoRoot: repo, approvedBy: 'CEO', councilRulingRef: 'R2' });
  git(repo, 'commit', '-qam', 'new mapping');
}

it('an invalid reply is invalid_response with what was wrong; the valid one success with its packet hash; live calls are cached as fixtures', async () => {
  const repo = agentRepo();
  llm.script([{ content: 'I think the plan is fine.' }, { content: 'Sure:\n{"plan": "fixed"}\nThat is all.' }]);
  const result = await runMission(mission(MISSION), options(repo, 'live'));
  assert.is(result.status, 'completed', result.error?.message);
  const [invalid, valid] = callLog(repo);
  assert.equal([invalid?.status, valid?.status], ['invalid_response', 'success']);
  assert.match(String(invalid?.error), /holds no packet/);
  assert.is(invalid?.output_packet_hash, null);
  assert.is(valid?.output_packet_hash, hashCanonical({ plan: 'fixed' }));
  assert.is(readdirSync(join(repo, 'logs/agent_calls/cache')).length, 2, 'live mode caches every answer');
});

it('a timeout is logged timeout', async () => {
  const repo = agentRepo();
  llm.script([{ content: '{"plan": "late"}', delayMs: 2500 }]);
  const result = await runMission(mission(MISSION), options(repo, 'live', { agent: { baseURL: llm.url, apiKey: KEY, maxRetries: 0 } }));
  assert.is(result.status, 'failed');
  assert.equal(callLog(repo).map((entry) => entry.status), ['timeout']);
});

it('a step sets model, temperature and max_tokens; a model the mapping does not name is refused before any call', async () => {
  const step = (extra: string): string => MISSION.replace('output_schema: PLAN', `output_schema: PLAN\n      ${extra}`);
  const repo = agentRepo();
  llm.script([{ content: '{"plan": "p"}' }]);
  const result = await runMission(mission(step('model: vendor/model-b\n      temperature: 0.7\n      max_tokens: 64')), options(repo, 'live'));
  assert.is(result.status, 'completed', result.error?.message);
  assert.equal([llm.requests[0]?.body.model, llm.requests[0]?.body.temperature, llm.requests[0]?.body.max_tokens], ['vendor/model-b', 0.7, 64]);
  llm.script([{ content: '{"plan": "p"}' }]);
  const refused = await runMission(mission(step('model: vendor/unknown')), options(agentRepo(), 'live')).catch((error: Error) => error);
  assert.match(String((refused as Error).message ?? (refused as { error?: { message: string } }).error?.message), /model vendor\/unknown is not in config\/models\.yaml/);
  assert.is(llm.requests.length, 0);
});

it('structured output from the mapping: the packet schema as response_format', async () => {
  const repo = agentRepo(undefined, `${MODELS}structured_output:\n  default: json_schema\n`);
  llm.script([{ content: '{"plan": "p"}' }]);
  assert.is((await runMission(mission(MISSION), options(repo, 'live'))).status, 'completed');
  assert.equal(llm.requests[0]?.body.response_format, { type: 'json_schema', json_schema: { name: 'PLAN', schema: PLAN_SCHEMA, strict: false } });
  assert.is(callLog(repo)[0]?.structured_output, 'json_schema');
});

it('a fixture recorded through the fallback model replays as a hit, not version_drift', async () => {
  const repo = agentRepo();
  llm.script([], { 'vendor/model-a': [{ status: 404 }], 'vendor/model-b': [{ content: '{"plan": "from b"}' }] });
  assert.is((await runMission(mission(MISSION), options(repo, 'record'))).status, 'completed');
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'later');
  const replayed = await runMission(mission(MISSION), options(repo, 'replay'));
  assert.is(replayed.status, 'completed', replayed.error?.message);
  assert.equal(callLog(repo).filter((entry) => entry.mode === 'replay').map((entry) => entry.replay_status), ['code_drift']);
  assert.equal(replayed.replay, { hit: 0, code_drift: 1, version_drift: 0, recorded_at: [git(repo, 'rev-parse', 'HEAD~1').trim()] });
});

it('a newer version of the same model mapped since the recording is version_drift; --strict-replay refuses it', async () => {
  const repo = agentRepo(undefined, 'roles:\n  designer:\n    models: [vendor/model-a-20250101]\ntimeout_seconds: 1\n');
  llm.script([{ content: '{"plan": "p"}' }]);
  assert.is((await runMission(mission(MISSION), options(repo, 'record'))).status, 'completed');
  remap(repo, 'roles:\n  designer:\n    models: [vendor/model-a-20250601]\ntimeout_seconds: 1\n');
  const replayed = await runMission(mission(MISSION), options(repo, 'replay'));
  assert.is(replayed.status, 'completed', replayed.error?.message);
  assert.is(replayed.replay?.version_drift, 1);
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'again');
  const strict = await runMission(mission(MISSION), options(repo, 'replay', { strictReplay: true }));
  assert.is(strict.status, 'failed');
  assert.match(strict.error?.message ?? '', /replay miss at step design: .*another version of the model mapped now: --strict-replay takes exact matches only/);
});

it('another temperature in the mapping since the recording is another call: a miss naming the request, not code_drift', async () => {
  const repo = agentRepo();
  llm.script([{ content: '{"plan": "p"}' }]);
  assert.is((await runMission(mission(MISSION), options(repo, 'record'))).status, 'completed');
  remap(repo, `${MODELS}temperature: 0.9\n`);
  const replayed = await runMission(mission(MISSION), options(repo, 'replay'));
  assert.is(replayed.status, 'failed');
  assert.match(replayed.error?.message ?? '', /differs in the request \(temperature 0, max_tokens 500 recorded; 0\.9 and 500 now\)/);
});

it('another model mapped since the recording (not a version of it): a miss naming both', async () => {
  const repo = agentRepo();
  llm.script([{ content: '{"plan": "p"}' }]);
  assert.is((await runMission(mission(MISSION), options(repo, 'record'))).status, 'completed');
  remap(repo, MODELS.replace('[vendor/model-a, vendor/model-b]', '[vendor/model-c]'));
  const replayed = await runMission(mission(MISSION), options(repo, 'replay'));
  assert.match(replayed.error?.message ?? '', /the fixture for this call was recorded from vendor\/model-a, which config\/models\.yaml no longer maps to role designer \(vendor\/model-c\)/);
});

it('an answer without usage for a priced model fails the call: its cost could not be counted', async () => {
  const repo = agentRepo();
  llm.script([{ raw: JSON.stringify({ id: 'x', object: 'chat.completion', created: 0, model: 'vendor/model-a', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: '{"plan": "p"}' } }] }) }]);
  const result = await runMission(mission(MISSION), options(repo, 'live'));
  assert.is(result.status, 'failed');
  assert.match(result.error?.message ?? '', /reported no token usage for vendor\/model-a, which config\/models\.yaml prices/);
  assert.equal(callLog(repo).map((entry) => entry.status), ['error']);
});

it('an answer from another model of the chain than the one asked is priced as the model that answered', async () => {
  const repo = agentRepo(undefined, MODELS.replace('prices:\n', 'prices:\n  vendor/model-b: {input: 10.0, output: 20.0}\n'));
  llm.script([{ content: '{"plan": "p"}', model: 'vendor/model-b', usage: { prompt_tokens: 1000, completion_tokens: 500 } }]);
  const result = await runMission(mission(MISSION), options(repo, 'record'));
  assert.is(result.status, 'completed', result.error?.message);
  assert.equal(callLog(repo).map((entry) => [entry.model_requested, entry.model_used, entry.cost_usd]), [['vendor/model-a', 'vendor/model-b', 0.02]]);
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'later');
  const replayed = await runMission(mission(MISSION), options(repo, 'replay'));
  assert.equal(replayed.outputs, result.outputs);
  assert.is(callLog(repo).filter((entry) => entry.mode === 'replay')[0]?.cost_usd, 0.02, 'the replay prices it the same');
});

it('an answer from a model outside the chain fails the call unless the mapping accepts other models', async () => {
  const repo = agentRepo();
  llm.script([{ content: '{"plan": "p"}', model: 'other/cheap-model' }]);
  const refused = await runMission(mission(MISSION), options(repo, 'live'));
  assert.is(refused.status, 'failed');
  assert.match(refused.error?.message ?? '', /answered with model other\/cheap-model, which is not one of vendor\/model-a, vendor\/model-b/);
  assert.equal(callLog(repo).map((entry) => [entry.status, entry.model_used]), [['error', 'other/cheap-model']]);
  const accepting = agentRepo(undefined, `${MODELS}accept_other_models: true\n`);
  llm.script([{ content: '{"plan": "p"}', model: 'other/cheap-model' }]);
  assert.is((await runMission(mission(MISSION), options(accepting, 'live'))).status, 'completed');
  assert.equal(callLog(accepting).map((entry) => [entry.status, entry.model_mismatch]), [['success', true]]);
  // A version of a mapped model is that model.
  const versioned = agentRepo();
  llm.script([{ content: '{"plan": "p"}', model: 'vendor/model-a-20260101' }]);
  assert.is((await runMission(mission(MISSION), options(versioned, 'live'))).status, 'completed');
});

it.run();
