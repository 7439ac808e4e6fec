/**
 * The chat-completions client of the Agent API layer (spec §5.1), on the `openai` package: any
 * OpenAI-compatible endpoint, OpenRouter's by default. Retries are ours, not the SDK's, so their
 * policy is explicit and bounded: exponential backoff with jitter on 429, 5xx, connection errors,
 * timeouts and unparseable bodies, a server's Retry-After honoured up to a ceiling, and the
 * caller's AbortSignal obeyed while waiting, each retry reported with its cause. A model the
 * endpoint does not know is reported as ModelUnavailable so the caller can move down its fallback
 * chain. The body is read within the attempt's deadline and a size limit (limited-fetch.ts), and
 * a reply whose token counts are not counts is malformed.
 *
 * Structured output: a request may carry `response_format` (a JSON Schema, or "any JSON
 * object"). An endpoint that refuses the parameter (a 400 naming it) is asked once more without
 * it; the response says which format was used.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAI } from 'openai';
import { limitedFetch, ResponseTooLarge } from './limited-fetch.ts';

/** The default limit of a response body, decoded (`max_response_bytes` in config/models.yaml). */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

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
  /** The largest response body read, decoded (default 4 MB). */
  maxResponseBytes?: number;
}

export type StructuredOutput = 'json_schema' | 'json_object' | 'none';

/** What a retry is about to wait for, and why (for progress output). */
export interface RetryNotice {
  model: string;
  /** The retry about to be made (1 for the first), of `of`. */
  retry: number;
  of: number;
  /** `429`, `HTTP 503`, `timeout`, `connection error`, `malformed response`. */
  cause: string;
  waitMs: number;
}

export interface ChatRequest {
  model: string;
  system: string;
  user: string;
  maxTokens: number;
  temperature: number;
  /** Per attempt, body included. */
  timeoutMs: number;
  /** `json_schema` needs `schema` (and its name). */
  structuredOutput?: StructuredOutput;
  schema?: { name: string; schema: object };
  signal?: AbortSignal;
  onRetry?: (notice: RetryNotice) => void;
}

export interface ChatResponse {
  content: string;
  /** The model the endpoint says answered (its most specific version). */
  model: string;
  usage: { input_tokens: number; output_tokens: number };
  /** Whether the endpoint reported usage at all (counted as 0 tokens when it did not). */
  usage_reported: boolean;
  latency_ms: number;
  attempts: number;
  /** The response format the answer was asked for with (`none` once an endpoint refused it). */
  structured_output: StructuredOutput;
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
  // Trimmed: a key read from a file keeps its newline, and the endpoint sees (and may echo) it without.
  const apiKey = (options.apiKey ?? process.env.OPENROUTER_API_KEY)?.trim();
  if (!apiKey) throw new AgentCallFailed('(any)', null, 'no API key: set OPENROUTER_API_KEY (or pass apiKey), or run in replay mode');
  const sdk = new OpenAI({ baseURL, apiKey, maxRetries: 0, fetch: limitedFetch(options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES) });
  const maxRetries = options.maxRetries ?? 3;
  const backoff = options.backoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 8000;
  const maxRetryAfter = options.maxRetryAfterMs ?? 30_000;

  const attempt = async (request: ChatRequest, format: StructuredOutput): Promise<Omit<ChatResponse, 'latency_ms' | 'attempts' | 'structured_output'>> => {
    const completion = await sdk.chat.completions.create(
      {
        model: request.model,
        temperature: request.temperature,
        max_tokens: request.maxTokens,
        messages: [
          { role: 'system', content: format === 'json_object' ? `${request.system}\n\nAnswer with one JSON object.` : request.system },
          { role: 'user', content: request.user },
        ],
        ...responseFormat(format, request.schema),
      },
      { timeout: request.timeoutMs, ...(request.signal ? { signal: request.signal } : {}) },
    );
    const content = completion.choices?.[0]?.message?.content;
    if (typeof content !== 'string') throw new MalformedResponse('the response has no choices[0].message.content');
    return {
      content,
      model: typeof completion.model === 'string' && completion.model ? completion.model : request.model,
      usage: { input_tokens: tokenCount(completion.usage?.prompt_tokens, 'prompt_tokens'), output_tokens: tokenCount(completion.usage?.completion_tokens, 'completion_tokens') },
      usage_reported: typeof completion.usage?.prompt_tokens === 'number' && typeof completion.usage.completion_tokens === 'number',
    };
  };

  return {
    baseURL,
    async chat(request) {
      const started = performance.now();
      let format: StructuredOutput = request.structuredOutput === 'json_schema' && !request.schema ? 'json_object' : (request.structuredOutput ?? 'none');
      for (let n = 0; ; n++) {
        try {
          const answer = await attempt(request, format);
          return { ...answer, latency_ms: Math.round(performance.now() - started), attempts: n + 1, structured_output: format };
        } catch (error) {
          if (format !== 'none' && refusesResponseFormat(error)) {
            // Not a retry: the same request without the parameter this endpoint does not take.
            format = 'none';
            n--;
            continue;
          }
          const verdict = classify(error, request.model);
          if (verdict.final || n >= maxRetries) throw verdict.final ?? verdict.last(request, n + 1);
          const wait = verdict.retryAfterMs ?? Math.min(backoff * 2 ** n, maxBackoff) * (0.75 + Math.random() * 0.25);
          if (wait > maxRetryAfter) throw new AgentCallFailed(request.model, verdict.status, `the server asks to retry after ${Math.round(wait / 1000)} s, longer than the ${maxRetryAfter / 1000} s allowed`);
          request.onRetry?.({ model: request.model, retry: n + 1, of: maxRetries, cause: verdict.cause, waitMs: Math.round(wait) });
          await sleep(wait, request.signal);
        }
      }
    },
  };
}

function responseFormat(format: StructuredOutput, schema: ChatRequest['schema']): { response_format?: { type: 'json_object' } | { type: 'json_schema'; json_schema: { name: string; schema: Record<string, unknown>; strict: false } } } {
  if (format === 'json_object') return { response_format: { type: 'json_object' } };
  if (format === 'json_schema' && schema) return { response_format: { type: 'json_schema', json_schema: { name: schema.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64), schema: schema.schema as Record<string, unknown>, strict: false } } };
  return {};
}

/** A 400 that names the response format: the endpoint (or the model behind it) does not take it. */
function refusesResponseFormat(error: unknown): boolean {
  return error instanceof APIError && error.status === 400 && /response_format|json_schema|json_object|structured/i.test(error.message);
}

/** A token count from the response: absent is 0; anything but a non-negative integer is malformed (a negative count would lower the spend). */
function tokenCount(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new MalformedResponse(`usage.${field} is ${JSON.stringify(value)}, not a token count`);
  return value;
}

/** A 200 whose body is not a chat completion. */
class MalformedResponse extends Error {}

interface Verdict {
  /** Not worth retrying: throw this. */
  final?: Error;
  status: number | null;
  /** What a retry is for, in a few words. */
  cause: string;
  retryAfterMs?: number;
  /** The error to throw when the retries run out. */
  last: (request: ChatRequest, attempts: number) => Error;
}

function classify(error: unknown, model: string): Verdict {
  const none = (final: Error): Verdict => ({ final, status: null, cause: '', last: () => final });
  if (error instanceof APIUserAbortError || (error as Error)?.name === 'AbortError') return none(error as Error);
  if (error instanceof APIConnectionTimeoutError) return { status: null, cause: 'timeout', last: (r, attempts) => new AgentTimeoutError(r.model, r.timeoutMs, attempts) };
  const tooLarge = error instanceof ResponseTooLarge ? error : (error as Error)?.cause instanceof ResponseTooLarge ? ((error as Error).cause as ResponseTooLarge) : undefined;
  if (tooLarge) return none(new AgentCallFailed(model, null, tooLarge.message));
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const message = clip(error.message);
    if (status === 404 || (status === 400 && /model/i.test(message) && /(not|invalid|unknown|unavailable|exist)/i.test(message))) {
      return { final: new ModelUnavailable(model, `HTTP ${status}: ${message}`), status, cause: '', last: () => error };
    }
    if (status === 429 || status >= 500 || status === 408) {
      const retryAfter = retryAfterMs(error.headers);
      return { status, cause: status === 429 ? '429' : `HTTP ${status}`, ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }), last: (r, attempts) => new AgentCallFailed(r.model, status, `${message} (after ${attempts} attempts)`) };
    }
    return { ...none(new AgentCallFailed(model, status, message)), status };
  }
  if (error instanceof APIConnectionError || error instanceof MalformedResponse || error instanceof SyntaxError) {
    const cause = error instanceof APIConnectionError ? 'connection error' : 'malformed response';
    return { status: null, cause, last: (r, attempts) => new AgentCallFailed(r.model, null, `${(error as Error).message} (after ${attempts} attempts)`) };
  }
  return none(error instanceof Error ? error : new Error(String(error)));
}

/** An endpoint's error message, at most 2,000 characters: it is copied into the call log, the journal and the evidence. */
function clip(message: string): string {
  return message.length > 2000 ? `${message.slice(0, 2000)}… (${message.length} characters)` : message;
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
