// The agent client against a real chat-completions server on 127.0.0.1.
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { AgentCallFailed, AgentTimeoutError, createAgentClient, ModelUnavailable, type ChatRequest } from '../../lib/agents/client.ts';
import { rejects } from '../helpers.ts';
import { startFakeLlm, type FakeLlm } from '../fake-llm-server.ts';

const it = suite('agent client');
let llm: FakeLlm;
it.before(async () => {
  llm = await startFakeLlm();
});
it.after(async () => llm.close());

const request = (overrides: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'vendor/model-a', system: 'You design.', user: '{"task":"x"}', maxTokens: 100, temperature: 0, timeoutMs: 2000, ...overrides });
const client = () => createAgentClient({ baseURL: llm.url, apiKey: 'sk-test-secret', backoffMs: 10, maxBackoffMs: 20 });

it('sends the system prompt and packet at temperature 0 with the key, and returns the content, served model and usage', async () => {
  llm.script([{ content: '{"ok":true}', model: 'vendor/model-a-20260101', usage: { prompt_tokens: 12, completion_tokens: 3 } }]);
  const answer = await client().chat(request());
  assert.equal([answer.content, answer.model, answer.usage, answer.attempts], ['{"ok":true}', 'vendor/model-a-20260101', { input_tokens: 12, output_tokens: 3 }, 1]);
  const [sent] = llm.requests;
  assert.is(sent?.headers.authorization, 'Bearer sk-test-secret');
  assert.equal([sent?.body.temperature, sent?.body.max_tokens, sent?.body.messages.map((m) => m.role)], [0, 100, ['system', 'user']]);
});

it('429 with Retry-After, then 500 twice: retried until it succeeds', async () => {
  llm.script([{ status: 429, headers: { 'retry-after': '0' } }, { status: 500 }, { status: 503 }, { content: 'fine' }]);
  const answer = await client().chat(request());
  assert.equal([answer.content, answer.attempts, llm.requests.length], ['fine', 4, 4]);
});

it('retries run out: a clean AgentCallFailed naming the status and attempts', async () => {
  llm.script([{ status: 500 }]);
  await rejects(() => client().chat(request()), (e) => e instanceof AgentCallFailed && e.status === 500 && /after 4 attempts/.test(e.message));
});

it('a Retry-After longer than allowed fails at once rather than stalling the run', async () => {
  llm.script([{ status: 429, headers: { 'retry-after': '3600' } }]);
  await rejects(() => client().chat(request()), /asks to retry after 3600 s, longer than the 30 s allowed/);
  assert.is(llm.requests.length, 1);
});

it('a slow answer times out and is retried; slow every time is an AgentTimeoutError', async () => {
  llm.script([{ content: 'late', delayMs: 500 }, { content: 'on time' }]);
  assert.is((await client().chat(request({ timeoutMs: 150 }))).content, 'on time');
  llm.script([{ content: 'late', delayMs: 500 }]);
  await rejects(() => createAgentClient({ baseURL: llm.url, apiKey: 'k', maxRetries: 1, backoffMs: 5 }).chat(request({ timeoutMs: 100 })), (e) => e instanceof AgentTimeoutError && e.attempts === 2);
});

it('a malformed body is retried like a server error', async () => {
  llm.script([{ raw: '{"choices": [' }, { raw: '{"no_choices": true}' }, { content: 'whole' }]);
  assert.is((await client().chat(request())).content, 'whole');
  llm.script([{ raw: 'not json at all' }]);
  await rejects(() => client().chat(request()), (e) => e instanceof AgentCallFailed && /after 4 attempts/.test(e.message));
});

it('an unknown model is ModelUnavailable at once, so the caller can fall back', async () => {
  llm.script([{ status: 404 }]);
  await rejects(() => client().chat(request()), (e) => e instanceof ModelUnavailable && e.model === 'vendor/model-a');
  assert.is(llm.requests.length, 1);
});

it('a 401 is not retried; no key at all is refused before any request', async () => {
  llm.script([{ status: 401 }]);
  await rejects(() => client().chat(request()), (e) => e instanceof AgentCallFailed && e.status === 401);
  assert.is(llm.requests.length, 1);
  const saved = process.env.OPENROUTER_API_KEY;
  delete process.env.OPENROUTER_API_KEY;
  try {
    assert.throws(() => createAgentClient({ baseURL: llm.url }), /no API key: set OPENROUTER_API_KEY/);
  } finally {
    if (saved !== undefined) process.env.OPENROUTER_API_KEY = saved;
  }
});

it('the AbortSignal stops a call waiting for its retry', async () => {
  llm.script([{ status: 429, headers: { 'retry-after': '20' } }]);
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(new Error('host cancelled')), 100);
  await rejects(() => client().chat(request({ signal: controller.signal })), /host cancelled/);
  assert.ok(Date.now() - started < 5000);
});

it('structured output: json_schema sends the packet schema, json_object asks for any object, none sends nothing', async () => {
  const schema = { type: 'object', required: ['verdict'] };
  llm.script([{ content: '{"verdict":"approve"}' }]);
  const answer = await client().chat(request({ structuredOutput: 'json_schema', schema: { name: 'SEAT_VERDICT', schema } }));
  assert.is(answer.structured_output, 'json_schema');
  assert.equal(llm.requests[0]?.body.response_format, { type: 'json_schema', json_schema: { name: 'SEAT_VERDICT', schema, strict: false } });
  await client().chat(request({ structuredOutput: 'json_object' }));
  assert.equal(llm.requests[1]?.body.response_format, { type: 'json_object' });
  assert.match(llm.requests[1]?.body.messages[0]?.content ?? '', /JSON object/);
  await client().chat(request({ structuredOutput: 'none' }));
  assert.is(llm.requests[2]?.body.response_format, undefined);
});

it('an endpoint that refuses response_format (a 400 naming it) is asked again without it, and says so', async () => {
  llm.script([{ status: 400, raw: '{"error":{"message":"response_format json_schema is not supported by this model"}}' }, { content: '{"verdict":"approve"}' }]);
  const answer = await client().chat(request({ structuredOutput: 'json_schema', schema: { name: 'X', schema: {} } }));
  assert.equal([answer.structured_output, answer.attempts, llm.requests.length, llm.requests[1]?.body.response_format], ['none', 1, 2, undefined]);
});

it('each retry is reported with its cause and wait before it waits', async () => {
  llm.script([{ status: 429, headers: { 'retry-after': '0' } }, { status: 503 }, { content: 'ok' }]);
  const notices: string[] = [];
  await client().chat(request({ onRetry: (n) => notices.push(`${n.retry}/${n.of} ${n.cause}`) }));
  assert.equal(notices, ['1/3 429', '2/3 HTTP 503']);
});

it('token counts that are not counts (negative, fractional, text) are a malformed response, never a negative cost', async () => {
  for (const usage of [{ prompt_tokens: -5000, completion_tokens: 3 }, { prompt_tokens: 1.5, completion_tokens: 3 }, { prompt_tokens: 'many', completion_tokens: 3 }]) {
    llm.script([{ content: 'x', usage: usage as never }]);
    await rejects(() => client().chat(request()), (e) => e instanceof AgentCallFailed && /not a token count/.test(e.message));
  }
});

it('a 50 MB answer, and a gzip bomb of 2 GB, fail at the 4 MB limit with peak RSS under 300 MB', async () => {
  llm.script([{ content: 'big', contentBytes: 50 * 1024 * 1024 }]);
  await rejects(() => client().chat(request()), (e) => e instanceof AgentCallFailed && /passed the limit of 4 MB/.test(e.message));
  assert.is(llm.requests.length, 1, 'an answer over the limit is not asked for again');
  llm.script([{ content: 'bomb', gzipPadding: 2 * 1024 * 1024 * 1024 }]);
  await rejects(() => client().chat(request({ timeoutMs: 20_000 })), (e) => e instanceof AgentCallFailed && /passed the limit of 4 MB/.test(e.message));
  const peakMb = process.resourceUsage().maxRSS / 1024;
  assert.ok(peakMb < 300, `peak RSS ${peakMb.toFixed(0)} MB`);
  // A smaller limit, from the mapping's max_response_bytes.
  llm.script([{ content: 'x', contentBytes: 20_000 }]);
  await rejects(() => createAgentClient({ baseURL: llm.url, apiKey: 'k', maxResponseBytes: 10_000 }).chat(request()), /passed the limit of 10000 bytes/);
});

it('a server that drips its body a byte at a time is stopped at the attempt deadline, body included', async () => {
  llm.script([{ content: 'slow', dripMs: 50 }]);
  const started = Date.now();
  await rejects(() => createAgentClient({ baseURL: llm.url, apiKey: 'k', maxRetries: 1, backoffMs: 5 }).chat(request({ timeoutMs: 400 })), (e) => e instanceof AgentTimeoutError && e.attempts === 2);
  // Two attempts of 400 ms; the whole body would take over 10 s.
  assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
});

it.run();
