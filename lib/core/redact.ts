/**
 * Secrets never reach a file (spec §5.1): API keys, `Authorization` header values and anything a
 * host marks secret are replaced before a journal entry, call log entry, fixture, bundle or error
 * message is written. Replacement is by value, so a key inside a longer string (an error message
 * quoting a header) is caught too.
 */

export const REDACTED = '[REDACTED]';

export type Redact = <T>(value: T) => T;

/**
 * Key prefixes that say which provider issued a key and are the same in every key. An endpoint
 * that echoes a key may drop them (`invalid key v1-0123…`), so the distinctive part after them
 * is a secret of its own.
 */
const KEY_PREFIX = /^(?:sk-or-v1-|sk-or-|sk-ant-api\d\d-|sk-ant-|sk-proj-|sk-svcacct-|sk-|or-|gsk_|xai-|pplx-|AIza)/;

/** The secret values worth looking for: set, at least 8 characters (shorter ones are too likely to be ordinary text), with each key's part after its provider prefix, each once, longest first. */
export function secretValues(secrets: ReadonlyArray<string | undefined>): string[] {
  const values = secrets.filter((s): s is string => typeof s === 'string').flatMap((s) => [s, s.trim()]).filter((s) => s.length >= 8);
  const distinctive = values.map((s) => s.replace(KEY_PREFIX, '')).filter((s) => s.length >= 8);
  return [...new Set([...values, ...distinctive])].sort((a, b) => b.length - a.length);
}

/** A redactor for these secrets (see secretValues). */
export function redactor(secrets: ReadonlyArray<string | undefined>): Redact {
  const values = secretValues(secrets);
  const text = (s: string): string => {
    let out = s;
    for (const secret of values) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    // The same string back when there is nothing to replace: a long run's entries then share
    // their strings with the state folded from them instead of holding copies.
    return /authorization/i.test(out) ? out.replace(/(authorization["']?\s*[:=]\s*["']?)(bearer\s+)?[^\s"',}]+/gi, `$1$2${REDACTED}`) : out;
  };
  // Keys too: a model may answer with the key as a field name.
  return <T>(value: T): T => mapStrings(value, text) as T;
}

/** The value with every string in it, mapping keys included, passed through `map`. */
export function mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [map(k), mapStrings(v, map)]));
  return value;
}
