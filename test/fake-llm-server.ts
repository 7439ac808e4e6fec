// A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol, answering
// from a script: the next scripted reply for each request (the last one repeats), and a record
// of every request it received. Tests point the real client at it; nothing else is mocked.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Reply {
  status?: number;
  /** The assistant's message content (a 200 chat completion is built around it). */
  content?: string;
  /** The model the reply names (default: the one requested). */
  model?: string;
  /** A raw body instead of a chat completion (malformed JSON, an error object). */
  raw?: string;
  headers?: Record<string, string>;
  delayMs?: number;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

export interface ReceivedRequest {
  headers: IncomingMessage['headers'];
  body: { model: string; temperature?: number; max_tokens?: number; messages: Array<{ role: string; content: string }> };
}

export interface FakeLlm {
  url: string;
  requests: ReceivedRequest[];
  /** Replace the script; `byModel` answers per requested model first. */
  script(replies: Reply[], byModel?: Record<string, Reply[]>): void;
  close(): Promise<void>;
}

export async function startFakeLlm(): Promise<FakeLlm> {
  let replies: Reply[] = [{ content: 'ok' }];
  let byModel: Record<string, Reply[]> = {};
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as ReceivedRequest['body'];
      requests.push({ headers: req.headers, body });
      const queue = byModel[body.model] ?? replies;
      const reply = (queue.length > 1 ? queue.shift() : queue[0]) as Reply;
      const send = (): void => {
        if (res.destroyed) return;
        const status = reply.status ?? 200;
        const payload =
          reply.raw ??
          JSON.stringify(
            status === 200
              ? {
                  id: `chatcmpl-${requests.length}`,
                  object: 'chat.completion',
                  created: 0,
                  model: reply.model ?? body.model,
                  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: reply.content ?? '' } }],
                  usage: { ...(reply.usage ?? { prompt_tokens: 10, completion_tokens: 5 }), total_tokens: 15 },
                }
              : { error: { message: `scripted ${status}`, type: 'scripted' } },
          );
        res.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
        res.end(payload);
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script(next, perModel = {}) {
      replies = [...next];
      byModel = Object.fromEntries(Object.entries(perModel).map(([model, list]) => [model, [...list]]));
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
