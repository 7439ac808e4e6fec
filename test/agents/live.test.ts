// A live call to the real endpoint: runs only when OPENROUTER_API_KEY is set (and the network is
// open); otherwise it is reported as skipped, so a run without a key shows it did not happen.
// LIFEOS_LIVE_MODEL picks the model (default: a small, cheap one).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { writeGovernanceBaseline } from '../../lib/governance/baseline.ts';
import { readJournal } from '../../lib/runtime/journal.ts';
import { runMission } from '../../lib/runtime/runner.ts';
import { git, makeRepo, mission } from '../git-repo.ts';

const test = suite();

const key = process.env.OPENROUTER_API_KEY;
const live = key ? test : test.skip;

live('a live llm_call through OpenRouter answers with a packet, costs something, and leaves no key behind', async () => {
  const model = process.env.LIFEOS_LIVE_MODEL ?? 'openai/gpt-4.1-nano';
  const repo = makeRepo({
    'config/agent_roles/designer.md': 'Answer only with a JSON object {"plan": "<one sentence>"}.\n',
    'config/models.yaml': `roles:\n  designer:\n    models: [${model}]\nprices:\n  ${model}: {input: 0.1, output: 0.4}\nmax_tokens: 200\ntimeout_seconds: 60\n`,
  });
  writeGovernanceBaseline({ repoRoot: repo, approvedBy: 'CEO', councilRulingRef: 'live-test' });
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'agents');
  const text = 'mission: live\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - {id: design, kind: runtime, operation: llm_call, params: {role: designer, input_packet: {task: "say hello"}}}\n';
  const result = await runMission(mission(text), { repoRoot: repo, mode: 'live', fsync: false });
  assert.is(result.status, 'completed', result.error?.message);
  const output = readJournal(result.journalPath).entries.find((e) => e.type === 'operation_finished')?.data.output as { packet: unknown; cost_usd: number };
  assert.ok(output.packet, 'a packet was parsed');
  assert.ok(output.cost_usd > 0);
  for (const folder of ['logs', '.lifeos']) {
    for (const file of readdirSync(join(repo, folder), { recursive: true, encoding: 'utf8' })) {
      const path = join(repo, folder, file);
      if (statSync(path).isFile()) assert.not.ok(readFileSync(path, 'utf8').includes(key as string), `${path} holds the key`);
    }
  }
});

test.run();
