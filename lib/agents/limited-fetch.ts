/**
 * The fetch the chat client uses: the whole body is read, up to a byte limit, before the
 * response is handed on. The SDK's per-attempt timeout only runs until the headers arrive; read
 * here, inside its fetch, the body counts against it too, so a server that drips one byte every
 * 500 ms is stopped at the attempt's deadline. The limit counts decoded bytes, so a gzip bomb is
 * stopped once it has inflated past the limit, never held whole in memory.
 */

/** The body passed the limit (a Content-Length that says so, or the bytes read so far). */
export class ResponseTooLarge extends Error {
  constructor(
    readonly limitBytes: number,
    readonly declared: number | null,
  ) {
    super(`the response body ${declared === null ? 'passed' : `declares ${declared} bytes, more than`} the limit of ${formatBytes(limitBytes)} (max_response_bytes in config/models.yaml)`);
    this.name = 'ResponseTooLarge';
  }
}

export function limitedFetch(limitBytes: number): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const declared = Number(response.headers.get('content-length'));
    // A declared length counts only when the body is not compressed (then it is the wire size).
    if (!response.headers.get('content-encoding') && Number.isFinite(declared) && declared > limitBytes) {
      await response.body?.cancel();
      throw new ResponseTooLarge(limitBytes, declared);
    }
    const body = await readLimited(response, limitBytes);
    const headers = new Headers(response.headers);
    // The body handed on is decoded; its old encoding and length no longer describe it.
    headers.delete('content-encoding');
    headers.delete('content-length');
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
  };
}

async function readLimited(response: Response, limitBytes: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      await reader.cancel();
      throw new ResponseTooLarge(limitBytes, null);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MB` : `${bytes} bytes`;
}
