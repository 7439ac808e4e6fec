/**
 * The chat-completions client of the Agent API layer (spec §5.1), on the `openai` package: any
 * OpenAI-compatible endpoint, OpenRouter's by default. Retries are ours, not the SDK's, so their
 * policy is explicit and bounded: exponential backoff with jitter on 429, 5xx, connection errors,
 * timeouts and unparseable bodies, a server's Retry-After honoured up to a ceiling, and the
 * caller's AbortSignal obeyed while waiting. A model the endpoint does not know is reported as
 * ModelUnavailable so the caller can move down its fallback chain.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAI } from 'openai';

export const DEFAULT_BASE_URL = 'https://openrouter.ai/api/v1';

export interface AgentClientOptions {
  /** Default: OpenRouter's (`https://openrouter.ai/api/v1`). */
  baseURL?: string;
  /** Default: `OPENROUTER_API_KEY`. */
  apiKey?: string;
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  /** First backoff (default 500 ms); doubles each retry, at most `maxBackoffMs` (default 8 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** The longest Retry-After honoured (default 30 s); a longer one fails the call. */
  maxRetryAfterMs?: number;
}

export interface ChatRequest {
  model: string;
  system: string;
  user: string;
  maxTokens: number;
  /** Per attempt. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ChatResponse {
  content: string;
  /** The model the endpoint says answered (its most specific version). */
  model: string;
  usage: { input_tokens: number; output_tokens: number };
  latency_ms: number;
  attempts: number;
}

/** The call did not answer within its time limit, on every attempt. */
export class AgentTimeoutError extends Error {
  constructor(
    readonly model: string,
    readonly timeoutMs: number,
    readonly attempts: number,
  ) {
    super(`model ${model} did not answer within ${timeoutMs} ms (${attempts} attempt${attempts === 1 ? '' : 's'})`);
    this.name = 'AgentTimeoutError';
  }
}

/** The endpoint does not serve this model (404, or a 400 naming the model): try the next in the chain. */
export class ModelUnavailable extends Error {
  constructor(
    readonly model: string,
    detail: string,
  ) {
    super(`model ${model} is unavailable: ${detail}`);
    this.name = 'ModelUnavailable';
  }
}

/** Any other failure, after the retries it deserved. */
export class AgentCallFailed extends Error {
  constructor(
    readonly model: string,
    readonly status: number | null,
    detail: string,
  ) {
    super(`call to ${model} failed${status ? ` (HTTP ${status})` : ''}: ${detail}`);
    this.name = 'AgentCallFailed';
  }
}

export interface AgentClient {
  readonly baseURL: string;
  chat(request: ChatRequest): Promise<ChatResponse>;
}

export function createAgentClient(options: AgentClientOptions = {}): AgentClient {
  const baseURL = options.baseURL ?? DEFAULT_BASE_URL;
  const apiKey = options.apiKey ?? process.env.OPENROUTER_API_KEY;
  if (!apiKey) throw new AgentCallFailed('(any)', null, 'no API key: set OPENROUTER_API_KEY (or pass apiKey), or run in replay mode');
  const sdk = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
  const maxRetries = options.maxRetries ?? 3;
  const backoff = options.backoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 8000;
  const maxRetryAfter = options.maxRetryAfterMs ?? 30_000;

  const attempt = async (request: ChatRequest): Promise<Omit<ChatResponse, 'latency_ms' | 'attempts'>> => {
    const completion = await sdk.chat.completions.create(
      {
        model: request.model,
        temperature: 0,
        max_tokens: request.maxTokens,
        messages: [
          { role: 'system', content: request.system },
          { role: 'user', content: request.user },
        ],
      },
      { timeout: request.timeoutMs, ...(request.signal ? { signal: request.signal } : {}) },
    );
    const content = completion.choices?.[0]?.message?.content;
    if (typeof content !== 'string') throw new MalformedResponse('the response has no choices[0].message.content');
    return {
      content,
      model: typeof completion.model === 'string' && completion.model ? completion.model : request.model,
      usage: { input_tokens: completion.usage?.prompt_tokens ?? 0, output_tokens: completion.usage?.completion_tokens ?? 0 },
    };
  };

  return {
    baseURL,
    async chat(request) {
      const started = performance.now();
      for (let n = 0; ; n++) {
        try {
          const answer = await attempt(request);
          return { ...answer, latency_ms: Math.round(performance.now() - started), attempts: n + 1 };
        } catch (error) {
          const verdict = classify(error, request.model);
          if (verdict.final || n >= maxRetries) throw verdict.final ?? verdict.last(request, n + 1);
          const wait = verdict.retryAfterMs ?? Math.min(backoff * 2 ** n, maxBackoff) * (0.75 + Math.random() * 0.25);
          if (wait > maxRetryAfter) throw new AgentCallFailed(request.model, verdict.status, `the server asks to retry after ${Math.round(wait / 1000)} s, longer than the ${maxRetryAfter / 1000} s allowed`);
          await sleep(wait, request.signal);
        }
      }
    },
  };
}

/** A 200 whose body is not a chat completion. */
class MalformedResponse extends Error {}

interface Verdict {
  /** Not worth retrying: throw this. */
  final?: Error;
  status: number | null;
  retryAfterMs?: number;
  /** The error to throw when the retries run out. */
  last: (request: ChatRequest, attempts: number) => Error;
}

function classify(error: unknown, model: string): Verdict {
  if (error instanceof APIUserAbortError || (error as Error)?.name === 'AbortError') return { final: error as Error, status: null, last: () => error as Error };
  if (error instanceof APIConnectionTimeoutError) return { status: null, last: (r, attempts) => new AgentTimeoutError(r.model, r.timeoutMs, attempts) };
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const message = error.message;
    if (status === 404 || (status === 400 && /model/i.test(message) && /(not|invalid|unknown|unavailable|exist)/i.test(message))) {
      return { final: new ModelUnavailable(model, `HTTP ${status}: ${message}`), status, last: () => error };
    }
    if (status === 429 || status >= 500 || status === 408) {
      const retryAfter = retryAfterMs(error.headers);
      return { status, ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }), last: (r, attempts) => new AgentCallFailed(r.model, status, `${message} (after ${attempts} attempts)`) };
    }
    return { final: new AgentCallFailed(model, status, message), status, last: () => error };
  }
  if (error instanceof APIConnectionError || error instanceof MalformedResponse || error instanceof SyntaxError) {
    return { status: null, last: (r, attempts) => new AgentCallFailed(r.model, null, `${(error as Error).message} (after ${attempts} attempts)`) };
  }
  return { final: error instanceof Error ? error : new Error(String(error)), status: null, last: () => error as Error };
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
