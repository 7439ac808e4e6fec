/**
 * Model names as endpoints write them. A request names `openai/gpt-4.1`; the answer may name
 * `openai/gpt-4.1-2025-04-14` (the version that served it), or drop the provider
 * (`gpt-4.1-2025-04-14`, the provider's own API). Both are the model asked for. A version
 * suffix is a date (`-20250514`, `-2025-04-14`) or a tag after `:` or `@`.
 */

const PROVIDER = /^[^/]+\//;
const VERSION = /(?:[-@](?:\d{8}|\d{4}-\d{2}-\d{2})|[:@][\w.-]+)$/;
/** A version suffix and nothing else (`-mini-2025-04-14` is another model, not a version). */
const ONLY_VERSION = new RegExp(`^${VERSION.source}`);

/** Whether `answered` names the model `requested` (the same, or a version of it). */
export function answersFor(requested: string, answered: string): boolean {
  const wanted = requested.replace(PROVIDER, '');
  const got = answered.replace(PROVIDER, '');
  const asked = PROVIDER.exec(requested)?.[0];
  const answeredBy = PROVIDER.exec(answered)?.[0];
  // The provider may be left out of the answer, never changed or added.
  if (answeredBy !== undefined && answeredBy !== asked) return false;
  return got === wanted || (got.startsWith(wanted) && ONLY_VERSION.test(got.slice(wanted.length)));
}

/** The model without its provider and version: two versions of one model share it. */
export function modelFamily(name: string): string {
  return name.replace(PROVIDER, '').replace(VERSION, '');
}
