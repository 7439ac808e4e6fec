/**
 * How deep a text's flow collections (`{…}`, `[…]`) nest, found before the yaml library parses
 * it: the library reads them recursively, and a reply of a thousand `{` overflows its stack, after
 * which the next parse in the same process can abort node itself (a V8 regexp allocation failure,
 * not an exception). A count of brackets outside quotes and comments is an upper bound of the
 * real nesting; FLOW_DEPTH_LIMIT is twice the depth a document may have (MAX_YAML_DEPTH), so only
 * a document that is already too deep, or holds hundreds of unbalanced brackets, is stopped here.
 */
import { MAX_YAML_DEPTH } from './yaml-structure.ts';

export const FLOW_DEPTH_LIMIT = 2 * MAX_YAML_DEPTH;

/** The offset where the bracket count passes the limit, or undefined. */
export function flowDepthOverflow(text: string, limit = FLOW_DEPTH_LIMIT): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') {
      if (++depth > limit) return i;
    } else if (c === '}' || c === ']') {
      depth = Math.max(0, depth - 1);
    } else if ((c === '"' || c === "'" || c === '#') && startsToken(text, i)) {
      i = c === '#' ? lineEnd(text, i) : quoteEnd(text, i, c);
    }
  }
  return undefined;
}

/** A quote or `#` counts at the start of a token; inside a word (`don't`, `a#b`) it is text. */
function startsToken(text: string, i: number): boolean {
  return i === 0 || /[\s,[\]{}:]/.test(text[i - 1] as string);
}

function lineEnd(text: string, i: number): number {
  const end = text.indexOf('\n', i);
  return end === -1 ? text.length : end;
}

/** The closing quote (`\"` escapes in double quotes, `''` in single ones), or the end. */
function quoteEnd(text: string, i: number, quote: string): number {
  for (let j = i + 1; j < text.length; j++) {
    if (quote === '"' && text[j] === '\\') j++;
    else if (text[j] === quote) {
      if (quote === "'" && text[j + 1] === "'") j++;
      else return j;
    }
  }
  return text.length;
}
