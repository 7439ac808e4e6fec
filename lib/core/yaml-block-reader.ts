/**
 * A fast reader for the block-style YAML missions are written in: block mappings and sequences,
 * one-line plain and quoted scalars, one-line flow collections (`[a, b]`, `{k: v}`), literal
 * block scalars (`|`, `|-`) and comments. Anything else (anchors, aliases, tags, multi-line plain,
 * quoted or flow scalars, folded scalars, empty values, duplicate or unusual keys, tabs, CR,
 * special numbers, a document that is not a mapping...) makes it decline, and the yaml library
 * reads the text instead; the library also reports every problem, so this reader never has to.
 *
 * Why it exists: parsing was most of a cold `validate` (issue 17). What it returns must be what
 * the library gives for the same text (the value and every node's position); the differential
 * test (test/core/yaml-block-reader.test.ts) checks that on every YAML file of the project and on
 * thousands of mutations of them.
 */
import { lineStartsOf, type NodePosition, type NodePositions } from './yaml-positions.ts';

export interface BlockYamlReading {
  value: Record<string, unknown>;
  positions: NodePositions;
  lineStarts: number[];
}

/** A value read, where it starts, its source text when it is a one-line scalar, and the line after it. */
interface ReadNode {
  value: unknown;
  start: number;
  raw?: string;
  next: number;
}

const DECLINE = Object.freeze({ declined: true });
const MAX_DEPTH = 50;
/** Characters the library treats specially or reports: control characters, BOM, non-characters, line separators. */
const UNUSUAL_CHARACTER = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/;
/** A mapping key this reader takes: a plain word followed by `: ` or the line's end (never `~` or `/`, which a JSON pointer would escape). */
const BLOCK_KEY = /([A-Za-z_][A-Za-z0-9_.-]*):(?= |\n|$)/y;
const FLOW_KEY = /([A-Za-z_][A-Za-z0-9_.-]*): /y;
/** Keys the core schema reads as null or booleans, and the one a plain object cannot hold. */
const ODD_KEYS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE', '__proto__']);
/** YAML's white space is the space (a tab never gets here); String.trimEnd would also take U+00A0 and others. */
const TRAILING_SPACES = / +$/;
/** Characters that cannot start a plain scalar (`-` can, before a non-space). */
const INDICATORS = new Set([...'?:,[]{}#&*!|>\'"%@`']);

// The YAML 1.2 core schema, as the yaml library resolves plain scalars.
const NULL = /^(?:~|[Nn]ull|NULL)$/;
const BOOLEAN = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INTEGER = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** Octal, hexadecimal, infinity and NaN: left to the library. */
const SPECIAL_NUMBER = /^(?:0o|0x|[-+]?\.(?:inf|Inf|INF)$|\.(?:nan|NaN|NAN)$)/;

/** The document's value and positions, or undefined when the text is outside this reader's subset. */
export function readBlockYaml(text: string): BlockYamlReading | undefined {
  if (UNUSUAL_CHARACTER.test(text) || !text.isWellFormed()) return undefined;
  try {
    return new Reader(text).document();
  } catch (error) {
    if (error === DECLINE) return undefined;
    throw error;
  }
}

class Reader {
  readonly positions: NodePositions = new Map();
  readonly lineStarts: number[];
  readonly lineCount: number;

  constructor(readonly text: string) {
    this.lineStarts = lineStartsOf(text);
    this.lineCount = this.lineStarts.length;
  }

  document(): BlockYamlReading {
    const first = this.nextContent(0);
    if (first >= this.lineCount) throw DECLINE;
    const root = this.block(first, this.indentOf(first), 1, '');
    if (Array.isArray(root.value) || this.nextContent(root.next) < this.lineCount) throw DECLINE;
    this.positions.set('', { value: root.start });
    return { value: root.value as Record<string, unknown>, positions: this.positions, lineStarts: this.lineStarts };
  }

  // ---- lines

  lineEnd(line: number): number {
    return line + 1 < this.lineCount ? (this.lineStarts[line + 1] as number) - 1 : this.text.length;
  }

  indentOf(line: number): number {
    const start = this.lineStarts[line] as number;
    let at = start;
    while (this.text.charCodeAt(at) === 32) at++;
    return at - start;
  }

  /** Holds something besides spaces and a comment. */
  hasContent(line: number): boolean {
    const at = (this.lineStarts[line] as number) + this.indentOf(line);
    return at < this.lineEnd(line) && this.text[at] !== '#';
  }

  nextContent(line: number): number {
    while (line < this.lineCount && !this.hasContent(line)) line++;
    return line;
  }

  skipSpaces(at: number, end: number): number {
    while (at < end && this.text.charCodeAt(at) === 32) at++;
    return at;
  }

  isDash(at: number, end: number): boolean {
    return this.text[at] === '-' && (at + 1 === end || this.text[at + 1] === ' ');
  }

  /** Nothing but spaces and a comment from `at` to the line's end. */
  finishLine(at: number, end: number): void {
    const rest = this.skipSpaces(at, end);
    if (rest < end && !(this.text[rest] === '#' && rest > at)) throw DECLINE;
  }

  // ---- block collections

  /** The collection whose first entry starts at `col` of `line`; later entries start at that column. */
  block(line: number, col: number, depth: number, pointer: string): ReadNode {
    const at = (this.lineStarts[line] as number) + col;
    if (this.isDash(at, this.lineEnd(line))) return this.sequence(line, col, depth, pointer);
    BLOCK_KEY.lastIndex = at;
    if (BLOCK_KEY.test(this.text)) return this.mapping(line, col, depth, pointer);
    throw DECLINE;
  }

  mapping(line: number, col: number, depth: number, pointer: string): ReadNode {
    if (depth > MAX_DEPTH) throw DECLINE;
    const value: Record<string, unknown> = {};
    const start = (this.lineStarts[line] as number) + col;
    for (;;) {
      const at = (this.lineStarts[line] as number) + col;
      BLOCK_KEY.lastIndex = at;
      const key = BLOCK_KEY.exec(this.text)?.[1];
      if (key === undefined || ODD_KEYS.has(key) || Object.hasOwn(value, key)) throw DECLINE;
      const child = `${pointer}/${key}`;
      const node = this.entryValue(line, at + key.length + 1, col, depth, child, true);
      value[key] = node.value;
      this.record(child, node.start, node.raw, at);
      const next = this.nextContent(node.next);
      if (next >= this.lineCount) return { value, start, next };
      const indent = this.indentOf(next);
      if (indent > col) throw DECLINE;
      if (indent < col) return { value, start, next };
      line = next;
    }
  }

  sequence(line: number, col: number, depth: number, pointer: string): ReadNode {
    if (depth > MAX_DEPTH) throw DECLINE;
    const value: unknown[] = [];
    const start = (this.lineStarts[line] as number) + col;
    for (;;) {
      const at = (this.lineStarts[line] as number) + col;
      const child = `${pointer}/${value.length}`;
      const node = this.entryValue(line, at + 1, col, depth, child, false);
      value.push(node.value);
      this.record(child, node.start, node.raw);
      const next = this.nextContent(node.next);
      if (next >= this.lineCount) return { value, start, next };
      const indent = this.indentOf(next);
      if (indent > col) throw DECLINE;
      if (indent < col || !this.isDash((this.lineStarts[next] as number) + col, this.lineEnd(next))) return { value, start, next };
      line = next;
    }
  }

  /** The value after a key's `:` or an entry's `-`, on this line or (a collection) on the lines below. */
  entryValue(line: number, after: number, indent: number, depth: number, pointer: string, inMapping: boolean): ReadNode {
    const end = this.lineEnd(line);
    const at = this.skipSpaces(after, end);
    if (at < end && this.text[at] !== '#') {
      BLOCK_KEY.lastIndex = at;
      if (!inMapping && BLOCK_KEY.test(this.text)) return this.mapping(line, at - (this.lineStarts[line] as number), depth + 1, pointer);
      return this.inline(line, at, indent, depth, pointer);
    }
    const below = this.nextContent(line + 1);
    if (below < this.lineCount) {
      const belowIndent = this.indentOf(below);
      if (belowIndent > indent) return this.block(below, belowIndent, depth + 1, pointer);
      // A mapping's sequence value may sit at the mapping's own indentation.
      if (inMapping && belowIndent === indent && this.isDash((this.lineStarts[below] as number) + indent, this.lineEnd(below))) {
        return this.sequence(below, indent, depth + 1, pointer);
      }
    }
    throw DECLINE; // an empty value (null), or a scalar on a line of its own
  }

  /** Where a value is, as the library's positions say it (the key, then the value and its text). */
  record(pointer: string, start: number, raw: string | undefined, key?: number): void {
    const position: NodePosition = key === undefined ? { value: start } : { value: start, key };
    if (raw !== undefined) position.text = raw;
    this.positions.set(pointer, position);
  }

  // ---- values on one line

  inline(line: number, at: number, indent: number, depth: number, pointer: string): ReadNode {
    const end = this.lineEnd(line);
    const first = this.text[at] as string;
    if (first === '"' || first === "'") {
      const quoted = this.quoted(at, end);
      this.finishLine(quoted.end, end);
      return { value: quoted.value, start: at, raw: this.text.slice(at, quoted.end), next: line + 1 };
    }
    if (first === '[' || first === '{') {
      const flow = this.flow(at, end, depth + 1, pointer);
      this.finishLine(flow.end, end);
      return { value: flow.value, start: at, next: line + 1 };
    }
    if (first === '|') return this.literal(line, at, indent);
    if (!this.startsPlain(at, end)) throw DECLINE;
    // A comment ends the scalar; search this line only (a file without comments must not be rescanned per scalar).
    const rest = this.text.slice(at, end);
    const comment = rest.indexOf(' #');
    const raw = (comment === -1 ? rest : rest.slice(0, comment)).replace(TRAILING_SPACES, '');
    if (raw.includes(': ') || raw.endsWith(':')) throw DECLINE;
    return { value: plainValue(raw), start: at, raw, next: line + 1 };
  }

  startsPlain(at: number, end: number): boolean {
    const first = this.text[at] as string;
    if (first === '-') return at + 1 < end && this.text[at + 1] !== ' ';
    return !INDICATORS.has(first);
  }

  /** A `|` or `|-` block scalar: the lines below indented past the parent's indentation. */
  literal(line: number, at: number, indent: number): ReadNode {
    const header = this.text.slice(at, this.lineEnd(line));
    if (header !== '|' && header !== '|-') throw DECLINE;
    // The first line with more than spaces sets the indentation (a `#` there is content, not a comment).
    let first = line + 1;
    while (first < this.lineCount && (this.lineStarts[first] as number) + this.indentOf(first) === this.lineEnd(first)) first++;
    if (first >= this.lineCount) throw DECLINE;
    const contentIndent = this.indentOf(first);
    if (contentIndent <= indent) throw DECLINE;
    const lines: string[] = [];
    let last = line;
    for (let current = line + 1; current < this.lineCount; current++) {
      const start = this.lineStarts[current] as number;
      const end = this.lineEnd(current);
      const lineIndent = this.indentOf(current);
      if (start + lineIndent === end) {
        if (end - start > contentIndent) throw DECLINE; // spaces past the indentation are content
        lines.push('');
      } else if (lineIndent >= contentIndent) {
        lines.push(this.text.slice(start + contentIndent, end));
        last = current;
      } else break;
    }
    const content = lines.slice(0, last - line).join('\n');
    return { value: header === '|' ? `${content}\n` : content, start: at, next: last + 1 };
  }

  quoted(at: number, end: number): { value: string; end: number } {
    const quote = this.text[at];
    let value = '';
    let from = at + 1;
    for (let i = from; i < end; i++) {
      const char = this.text[i];
      if (quote === "'" && char === "'") {
        value += this.text.slice(from, i);
        if (this.text[i + 1] !== "'") return { value, end: i + 1 };
        value += "'";
        from = ++i + 1;
      } else if (quote === '"' && char === '"') {
        return { value: value + this.text.slice(from, i), end: i + 1 };
      } else if (quote === '"' && char === '\\') {
        const escape = escaped(this.text, i + 1);
        value += this.text.slice(from, i) + escape.value;
        i += escape.length;
        from = i + 1;
      }
    }
    throw DECLINE; // continues on the next line
  }

  // ---- flow collections on one line

  flow(at: number, end: number, depth: number, pointer: string): { value: unknown; end: number } {
    if (depth > MAX_DEPTH) throw DECLINE;
    const isList = this.text[at] === '[';
    const close = isList ? ']' : '}';
    const list: unknown[] = [];
    const map: Record<string, unknown> = {};
    let i = this.skipSpaces(at + 1, end);
    if (this.text[i] === close) return { value: isList ? list : map, end: i + 1 };
    for (;;) {
      let child: string;
      let keyAt: number | undefined;
      let key = '';
      if (isList) child = `${pointer}/${list.length}`;
      else {
        FLOW_KEY.lastIndex = i;
        key = FLOW_KEY.exec(this.text)?.[1] ?? '';
        if (key === '' || ODD_KEYS.has(key) || Object.hasOwn(map, key)) throw DECLINE;
        keyAt = i;
        child = `${pointer}/${key}`;
        i = this.skipSpaces(i + key.length + 2, end);
      }
      const item = this.flowItem(i, end, depth, child);
      if (isList) list.push(item.value);
      else map[key] = item.value;
      this.record(child, i, item.raw, keyAt);
      i = this.skipSpaces(item.end, end);
      if (this.text[i] === close) return { value: isList ? list : map, end: i + 1 };
      if (this.text[i] !== ',') throw DECLINE;
      i = this.skipSpaces(i + 1, end);
      if (this.text[i] === close || this.text[i] === ',') throw DECLINE;
    }
  }

  flowItem(at: number, end: number, depth: number, pointer: string): { value: unknown; raw?: string; end: number } {
    const first = this.text[at];
    if (first === '"' || first === "'") {
      const quoted = this.quoted(at, end);
      return { value: quoted.value, raw: this.text.slice(at, quoted.end), end: quoted.end };
    }
    if (first === '[' || first === '{') return this.flow(at, end, depth + 1, pointer);
    if (at >= end || !this.startsPlain(at, end)) throw DECLINE;
    let i = at;
    while (i < end && !',]}'.includes(this.text[i] as string)) {
      if ('[{#:'.includes(this.text[i] as string)) throw DECLINE;
      i++;
    }
    const raw = this.text.slice(at, i).replace(TRAILING_SPACES, '');
    return { value: plainValue(raw), raw, end: at + raw.length };
  }
}

function plainValue(raw: string): unknown {
  if (NULL.test(raw)) return null;
  if (BOOLEAN.test(raw)) return raw[0] === 't' || raw[0] === 'T';
  if (SPECIAL_NUMBER.test(raw)) throw DECLINE;
  if (INTEGER.test(raw)) {
    const value = parseInt(raw, 10);
    if (!Number.isSafeInteger(value)) throw DECLINE;
    return value;
  }
  if (FLOAT.test(raw)) return parseFloat(raw);
  return raw;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b' };

/** The escape after a backslash in a double-quoted scalar: its value and how many characters it took. */
function escaped(text: string, at: number): { value: string; length: number } {
  const letter = text[at] as string;
  const simple = SIMPLE_ESCAPES[letter];
  if (simple !== undefined) return { value: simple, length: 1 };
  const digits = letter === 'x' ? 2 : letter === 'u' ? 4 : 0;
  const hex = text.slice(at + 1, at + 1 + digits);
  if (digits === 0 || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) throw DECLINE;
  const code = parseInt(hex, 16);
  if (code >= 0xd800 && code <= 0xdfff) throw DECLINE;
  return { value: String.fromCharCode(code), length: 1 + digits };
}
