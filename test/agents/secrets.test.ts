// The API key never reaches a file or the output, whole or without its provider prefix (an
// endpoint or a model may echo either): the real CLI, a loopback endpoint that echoes the key in
// answers, in a schema problem that becomes an escalation in the queue, and in an error.
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { cli } from '../helpers.ts';
import { startFakeLlm, type FakeLlm } from '../fake-llm-server.ts';
import { agentRepo, KEY } from './agent-repo.ts';

const DISTINCTIVE = KEY.slice('sk-or-v1-'.length);
const ASK = (schema: string) => `mission: ask
version: "1.0"
inputs: []
outputs: [{name: answer, type: any, value: "{{steps.ask.output.packet}}"}]
steps:
  - id: ask
    kind: runtime
    operation: llm_call
    params:
      role: designer
      input_packet: {task: "x"}
      output_schema: ${schema}
`;

const it = suite('secrets in every output');
let llm: FakeLlm;
it.before(async () => {
  llm = await startFakeLlm();
});
it.after(async () => llm.close());

function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).map((p) => join(root, p)).filter((p) => statSync(p).isFile());
}

async function withKey<T>(run: () => Promise<T>): Promise<T> {
  const saved = process.env.OPENROUTER_API_KEY;
  process.env.OPENROUTER_API_KEY = KEY;
  try {
    return await run();
  } finally {
    if (saved === undefined) delete process.env.OPENROUTER_API_KEY;
    else process.env.OPENROUTER_API_KEY = saved;
  }
}

it('an echoed key, whole or without sk-or-v1-, is redacted from --format json, text, the queue and every file', async () => {
  const repo = agentRepo();
  const missions = tempDir('lifeos-secret-missions-');
  writeFileSync(join(missions, 'free.yaml'), ASK('BUILD_RESULT_PACKET').replace('output_schema: BUILD_RESULT_PACKET', '').trimEnd() + '\n');
  writeFileSync(join(missions, 'seat.yaml'), ASK('SEAT_VERDICT'));
  const printed: string[] = [];
  await withKey(async () => {
    // The key as a value, and as a field name.
    llm.script([{ content: `{"plan": "use ${KEY} or just ${DISTINCTIVE}", "${DISTINCTIVE}": "v"}` }]);
    const json = await cli('run', join(missions, 'free.yaml'), '--repo', repo, '--llm-base-url', llm.url, '--format', 'json');
    assert.is(json.code, 0, json.stdout + json.stderr);
    assert.match(json.stdout, /\[REDACTED\]/);
    printed.push(json.stdout, json.stderr);
    // A seat verdict that is the key: the schema problem quoting it becomes the escalation's reason, in the queue.
    llm.script([{ content: `{"seat": "risk", "verdict": "${DISTINCTIVE}", "rationale": "r"}` }]);
    const text = await cli('run', join(missions, 'seat.yaml'), '--repo', repo, '--llm-base-url', llm.url);
    assert.is(text.code, 1, text.stdout + text.stderr);
    assert.match(text.stdout, /awaiting|escalat/);
    printed.push(text.stdout, text.stderr);
    const queue = await cli('queue', 'list', '--repo', repo, '--format', 'json');
    printed.push(queue.stdout, queue.stderr);
    // An endpoint error that echoes the key without its prefix; the key as read from a file, with its newline.
    process.env.OPENROUTER_API_KEY = `${KEY}\n`;
    llm.script([{ status: 401, raw: JSON.stringify({ error: { message: `no such key ${DISTINCTIVE}` } }) }]);
    const failed = await cli('run', join(missions, 'free.yaml'), '--repo', agentRepo(), '--llm-base-url', llm.url);
    assert.is(failed.code, 1);
    assert.match(failed.stdout + failed.stderr, /no such key \[REDACTED\]/);
    printed.push(failed.stdout, failed.stderr);
    assert.is(llm.requests[0]?.headers.authorization, `Bearer ${KEY}`, 'the key is sent trimmed');
  });
  for (const output of printed) assert.not.ok(output.includes(DISTINCTIVE), `printed: ${output.slice(0, 400)}`);
  const written = [...filesUnder(join(repo, 'logs')), ...filesUnder(join(repo, '.lifeos'))];
  assert.ok(written.length > 5);
  for (const file of written) assert.not.ok(readFileSync(file, 'latin1').includes(DISTINCTIVE), `${file} holds the key`);
});

it.run();
