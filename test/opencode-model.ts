// A scripted OpenAI-compatible model on 127.0.0.1 for driving the real OpenCode CLI: it streams
// like real models do (a sentence of prose first, then the tool call's arguments in fragments,
// with pauses between chunks, then usage), and plays one scripted step per turn. The turn is the
// number of assistant messages already in the request, so the server keeps no state; a request
// without tools (OpenCode's title generator) gets a plain answer.
import { createServer, type ServerResponse } from 'node:http';

export type ModelStep = { tool: 'write'; filePath: string; content: string } | { tool: 'bash'; command: string } | { text: string };

export interface OpenCodeModel {
  url: string;
  /** Every chat request's body, in order. */
  requests: Array<{ messages: Array<{ role: string; content: unknown }>; tools?: unknown[] }>;
  close: () => Promise<void>;
}

const PAUSE_MS = 15;

export async function startOpenCodeModel(steps: readonly ModelStep[]): Promise<OpenCodeModel> {
  const requests: OpenCodeModel['requests'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (req.url?.endsWith('/models')) return json(res, { object: 'list', data: [{ id: 'loopback-model', object: 'model' }] });
      const request = JSON.parse(body) as OpenCodeModel['requests'][number];
      requests.push(request);
      const turn = request.messages.filter((m) => m.role === 'assistant').length;
      const step: ModelStep = !request.tools?.length ? { text: 'Build' } : (steps[turn] ?? { text: 'Done: the packet is implemented.' });
      void stream(res, step, turn);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/v1`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function json(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

async function stream(res: ServerResponse, step: ModelStep, turn: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const id = `loopback-${turn}`;
  const send = async (delta: object, finish: string | null = null): Promise<void> => {
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: 'loopback-model', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  };
  await send({ role: 'assistant', content: '' });
  if ('text' in step) {
    for (const word of step.text.split(/(?<= )/)) await send({ content: word });
    await send({}, 'stop');
  } else {
    await send({ content: 'I will make that change now.' });
    const args = JSON.stringify(step.tool === 'write' ? { filePath: step.filePath, content: step.content } : { command: step.command, description: 'run a command' });
    await send({ tool_calls: [{ index: 0, id: `call_${turn}`, type: 'function', function: { name: step.tool, arguments: '' } }] });
    for (let at = 0; at < args.length; at += 24) await send({ tool_calls: [{ index: 0, function: { arguments: args.slice(at, at + 24) } }] });
    await send({}, 'tool_calls');
  }
  res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: 'loopback-model', choices: [], usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 } })}\n\n`);
  res.end('data: [DONE]\n\n');
}
