// A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol, answering
// from a script: the next scripted reply for each request (the last one repeats), and a record
// of every request it received and of how many were in flight at once. It can also answer the
// ways real servers misbehave: slowly, a byte at a time, gzip-encoded, or with a huge body.
// Tests point the real client at it; nothing else is mocked.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGzip } from 'node:zlib';

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
  /** Send the body one byte every `dripMs` ms. */
  dripMs?: number;
  /** Send the body gzip-encoded, followed by this many zero bytes inside the gzip stream (a gzip bomb). */
  gzipPadding?: number;
  /** Pad the message content with spaces to this many bytes, streamed in 1 MB pieces (a huge answer that costs the server no memory). */
  contentBytes?: number;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

export interface ReceivedRequest {
  headers: IncomingMessage['headers'];
  body: { model: string; temperature?: number; max_tokens?: number; messages: Array<{ role: string; content: string }>; response_format?: { type: string; json_schema?: { name: string; schema: object } } };
}

export interface FakeLlm {
  url: string;
  requests: ReceivedRequest[];
  /** The most requests in flight at once since the last script(). */
  readonly maxInFlight: number;
  /** Replace the script; `byModel` answers per requested model first. */
  script(replies: Reply[], byModel?: Record<string, Reply[]>): void;
  close(): Promise<void>;
}

export async function startFakeLlm(): Promise<FakeLlm> {
  let replies: Reply[] = [{ content: 'ok' }];
  let byModel: Record<string, Reply[]> = {};
  const requests: ReceivedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => (inFlight -= 1));
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
        if (reply.gzipPadding !== undefined) return sendGzip(res, status, payload, reply.gzipPadding);
        if (reply.contentBytes !== undefined) return sendHuge(res, payload, reply.content ?? '', reply.contentBytes);
        res.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
        if (reply.dripMs) return drip(res, payload, reply.dripMs);
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
    get maxInFlight() {
      return maxInFlight;
    },
    script(next, perModel = {}) {
      replies = [...next];
      byModel = Object.fromEntries(Object.entries(perModel).map(([model, list]) => [model, [...list]]));
      requests.length = 0;
      maxInFlight = inFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One byte every `ms` until the body is sent or the client hangs up. */
function drip(res: import('node:http').ServerResponse, payload: string, ms: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (res.destroyed || at >= payload.length) {
      clearInterval(timer);
      if (!res.destroyed) res.end();
      return;
    }
    res.write(payload[at++]);
  }, ms);
  res.on('close', () => clearInterval(timer));
}

/** The payload gzip-encoded, then `padding` zero bytes inside the same stream, written in 1 MB pieces as the client reads. */
function sendGzip(res: import('node:http').ServerResponse, status: number, payload: string, padding: number): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
  const gzip = createGzip();
  gzip.pipe(res);
  res.on('close', () => gzip.destroy());
  gzip.write(payload);
  const piece = Buffer.alloc(1024 * 1024);
  let left = padding;
  const more = (): void => {
    while (left > 0 && !res.destroyed) {
      const n = Math.min(left, piece.length);
      left -= n;
      if (!gzip.write(n === piece.length ? piece : piece.subarray(0, n))) return void gzip.once('drain', more);
    }
    gzip.end();
  };
  more();
}

/** The completion with its content padded to `bytes`, written piece by piece as the client reads. */
function sendHuge(res: import('node:http').ServerResponse, payload: string, content: string, bytes: number): void {
  const marker = JSON.stringify(content);
  const at = payload.indexOf(marker) + marker.length - 1;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write(payload.slice(0, at));
  const piece = Buffer.alloc(1024 * 1024, ' ');
  let left = Math.max(0, bytes - content.length);
  const more = (): void => {
    while (left > 0 && !res.destroyed) {
      const n = Math.min(left, piece.length);
      left -= n;
      if (!res.write(n === piece.length ? piece : piece.subarray(0, n))) return void res.once('drain', more);
    }
    res.end(payload.slice(at));
  };
  more();
}
