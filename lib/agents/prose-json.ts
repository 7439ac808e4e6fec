/**
 * JSON objects written inside prose (`After reviewing…\n{…}\nOverall…`): the spans of the
 * top-level `{…}` that parse as JSON objects, in order. Braces inside JSON strings do not count;
 * a brace of the prose that opens nothing valid (`{name}`) is passed over. The scan restarts
 * after each failed candidate at most MAX_RESTARTS times, so a reply of a million `{` costs a
 * bounded number of passes instead of one per brace; past that the reply is 'too many' (not
 * the objects found so far: one after them would be a second answer).
 */
const MAX_RESTARTS = 64;

export interface ProseObject {
  text: string;
  value: Record<string, unknown>;
  start: number;
  end: number;
}

/** The first `limit` objects (all by default). */
export function proseJsonObjects(text: string, limit = Infinity): ProseObject[] | 'too many' {
  const found: ProseObject[] = [];
  let restarts = 0;
  let from = text.indexOf('{');
  while (from !== -1) {
    const end = balancedEnd(text, from);
    if (end === -1) {
      // Nothing from here closes at depth 0; a later brace may (`{ {"a": 1}`).
      if (++restarts > MAX_RESTARTS) return 'too many';
      from = text.indexOf('{', from + 1);
      continue;
    }
    const candidate = text.slice(from, end + 1);
    const value = parseObject(candidate);
    if (value) {
      found.push({ text: candidate, value, start: from, end: end + 1 });
      if (found.length >= limit) break;
      from = text.indexOf('{', end + 1);
    } else {
      if (++restarts > MAX_RESTARTS) return 'too many';
      from = text.indexOf('{', from + 1);
    }
  }
  return found;
}

/** The index of the `}` that closes the `{` at `start`, reading JSON strings as strings; -1 if none. */
function balancedEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
