/**
 * JSON.parse keeps the last of two equal keys without a word; a model's `{"verdict": "reject",
 * …, "verdict": "approve"}` must not pass as an approval. This walks text that JSON.parse has
 * accepted (so only well-formed JSON reaches it) and names the first key an object repeats.
 */
export function duplicateJsonKey(text: string): string | undefined {
  const objects: Array<Set<string> | null> = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      const end = stringEnd(text, i);
      const top = objects.at(-1);
      // A string followed by ':' is a key of the innermost object.
      if (top && text[skipSpace(text, end + 1)] === ':') {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.has(key)) return key;
        top.add(key);
      }
      i = end + 1;
      continue;
    }
    if (c === '{') objects.push(new Set());
    else if (c === '[') objects.push(null);
    else if (c === '}' || c === ']') objects.pop();
    i += 1;
  }
  return undefined;
}

/** The index of the closing quote of the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i;
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i += 1;
  return i;
}
