// Re-records the hello-cycle fixtures: runs the cycle in record mode against the scripted model
// (scripted-model.mjs) and copies the fixtures it wrote to fixtures/. Run it after changing a
// built-in mission, a role prompt or the example repository (each changes the call ids):
//   npm run build && node examples/hello-cycle/record.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { initRepository, runMission } from '../../dist/index.js';
import { createHelloRepo, FIXTURES, INPUTS } from './hello-repo.mjs';
import { startScriptedModel } from './scripted-model.mjs';

const model = await startScriptedModel('happy');
const repo = createHelloRepo(mkdtempSync(join(tmpdir(), 'hello-record-')), { initRepository, withFixtures: false });
try {
  const result = await runMission('autonomous_build_cycle', {
    repoRoot: repo,
    mode: 'record',
    inputs: parse(readFileSync(INPUTS, 'utf8')),
    agent: { baseURL: model.url, apiKey: 'scripted' },
  });
  if (result.status !== 'completed') throw new Error(`the recording run ended ${result.status}: ${JSON.stringify(result.escalation ?? result.error ?? null, null, 2)}`);
  rmSync(FIXTURES, { recursive: true, force: true });
  cpSync(join(repo, 'logs', 'agent_calls', 'cache'), FIXTURES, { recursive: true });
  console.log(`recorded ${model.calls.length} calls into ${FIXTURES}; commit ${result.outputs.commit_hash}`);
} finally {
  await model.close();
  rmSync(repo, { recursive: true, force: true });
}
