/**
 * YAML text -> plain value, plus a locator from JSON pointers to 1-based line:column.
 * YAML 1.2 core schema (so `yes` stays a string). Every problem the parser reports becomes a
 * diagnostic; nothing here throws on bad input: duplicate keys, alias bombs, unresolved aliases
 * and collection keys included. (Values JSON cannot hold are checked by semantics.ts.)
 */
import type { LineCounter, Node } from 'yaml';
import { FLOW_DEPTH_LIMIT, flowDepthOverflow } from './yaml-flow-depth.ts';
import { MAX_YAML_DEPTH, structureProblems } from './yaml-structure.ts';
import { diagnostic, joinPointer, type DiagnosticCode, type Locator } from './diagnostics.ts';
import type { Diagnostic } from './types.ts';
import { readBlockYaml } from './yaml-block-reader.ts';
import { yamlLibrary } from './yaml-library.ts';
import { makeLocator, type NodePositions } from './yaml-positions.ts';

/** One syntax slip makes the parser report many errors; the first few say what to fix. */
const MAX_SYNTAX_ERRORS = 5;

/** Aliases a document may expand before it is treated as a resource-exhaustion attack. */
export const MAX_ALIAS_COUNT = 100;

export interface ParsedYaml {
  /** The document as plain JSON-compatible data; undefined when parsing failed. */
  value: unknown;
  diagnostics: Diagnostic[];
  locate: Locator;
}

const YAML_ERROR_CODES: Readonly<Record<string, DiagnosticCode>> = {
  DUPLICATE_KEY: 'E_YAML_DUPLICATE_KEY',
  MULTIPLE_DOCS: 'E_YAML_MULTI_DOCUMENT',
};

/**
 * Parse one YAML document, collecting all problems. The common block style is read by
 * yaml-block-reader.ts, which gives the same result much faster; the yaml library reads the rest.
 */
export function parseYaml(text: string, filename?: string): ParsedYaml {
  const fast = readBlockYaml(text);
  if (fast) return { value: fast.value, diagnostics: [], locate: makeLocator(fast.positions, fast.lineStarts) };
  return parseWithLibrary(text, filename).parsed;
}

/** The yaml library's reading, with the positions it found (exported for the block reader's differential test). */
export function parseWithLibrary(text: string, filename?: string): { parsed: ParsedYaml; positions: NodePositions; lineStarts: number[] } {
  const { LineCounter, parseDocument } = yamlLibrary();
  const lineCounter = new LineCounter();
  const tooDeepAt = flowDepthOverflow(text);
  if (tooDeepAt !== undefined) return tooDeepFlow(text, tooDeepAt, filename, lineCounter);
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const positions: NodePositions = new Map();
  const structure = structureProblems(doc.contents as Node | null, (offset) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${line}:${col}`;
  });
  // recordPositions recurses: only into a document known not to be too deep.
  if (doc.contents && !structure.some((p) => p.code === 'E_YAML_DEPTH')) recordPositions(doc.contents as Node, '', text, positions);
  const locate = makeLocator(positions, lineCounter.lineStarts);
  const diagnostics: Diagnostic[] = [];
  const done = (value: unknown): { parsed: ParsedYaml; positions: NodePositions; lineStarts: number[] } => ({ parsed: { value, diagnostics, locate }, positions, lineStarts: lineCounter.lineStarts });
  const at = (code: DiagnosticCode, offset: number, message: string, hint?: string): void => {
    const { line, col } = lineCounter.linePos(offset);
    diagnostics.push({ ...diagnostic(code, { path: '' }, message, { hint, file: filename }), line, column: col });
  };

  // Duplicate keys are reported by structureProblems, with the key and both positions.
  // A document too deep may also have overflowed the parser: that is the same problem.
  const tooDeep = structure.some((p) => p.code === 'E_YAML_DEPTH');
  const parserErrors = doc.errors.filter((error) => error.code !== 'DUPLICATE_KEY' && !(tooDeep && /call stack/i.test(error.message)));
  const shown = firstErrorPerLine(parserErrors, lineCounter);
  for (const error of shown) {
    const code = YAML_ERROR_CODES[error.code] ?? 'E_YAML_SYNTAX';
    const hint =
      code === 'E_YAML_MULTI_DOCUMENT' ? 'put each mission in its own file' : code === 'E_YAML_DUPLICATE_KEY' ? 'remove or rename one of the two keys' : undefined;
    at(code, error.pos[0], error.message, hint);
  }
  const last = diagnostics[diagnostics.length - 1];
  if (last && shown.length < parserErrors.length) {
    last.hint = `${last.hint ? `${last.hint}; ` : ''}more YAML errors follow, most caused by the first: fix it and validate again`;
  }
  for (const warning of doc.warnings) at('W_YAML', warning.pos[0], warning.message);
  // In a document that does not parse, the structure the parser guessed says little more.
  if (parserErrors.length === 0) for (const problem of structure) at(problem.code, problem.offset, problem.message, problem.hint);
  // A key given twice is an error, but the rest of the document is still checked (every problem in one pass).
  if (diagnostics.some((d) => d.severity === 'error' && d.code !== 'E_YAML_DUPLICATE_KEY')) return done(undefined);

  if (doc.contents === null) {
    at('E_YAML_EMPTY', 0, 'the file holds no YAML document', 'a mission file starts with `mission: <name>`');
    return done(undefined);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const aliasBomb = /resource exhaustion/.test(message);
    const code = aliasBomb ? 'E_YAML_ALIAS_LIMIT' : 'E_YAML_SYNTAX';
    const hint = aliasBomb ? `a mission may expand at most ${MAX_ALIAS_COUNT} aliases; write the values out` : undefined;
    at(code, 0, message, hint);
    return done(undefined);
  }
  return done(value);
}

/** A document whose brackets nest too deep for the library to read (yaml-flow-depth.ts), reported without reading it. */
function tooDeepFlow(text: string, offset: number, filename: string | undefined, lineCounter: LineCounter): ReturnType<typeof parseWithLibrary> {
  lineCounter.addNewLine(0);
  for (let at = text.indexOf('\n'); at !== -1 && at < offset; at = text.indexOf('\n', at + 1)) lineCounter.addNewLine(at + 1);
  const { line, col } = lineCounter.linePos(offset);
  const message = `brackets are nested more than ${FLOW_DEPTH_LIMIT} levels deep here (a value may be nested at most ${MAX_YAML_DEPTH} levels)`;
  const diagnostics = [{ ...diagnostic('E_YAML_DEPTH', { path: '' }, message, { hint: 'flatten the value', file: filename }), line, column: col }];
  return { parsed: { value: undefined, diagnostics, locate: makeLocator(new Map(), lineCounter.lineStarts) }, positions: new Map(), lineStarts: lineCounter.lineStarts };
}

function firstErrorPerLine<E extends { pos: [number, number] }>(errors: readonly E[], lineCounter: LineCounter): E[] {
  const lines = new Set<number>();
  const kept: E[] = [];
  for (const error of errors) {
    const { line } = lineCounter.linePos(error.pos[0]);
    if (lines.has(line)) continue;
    lines.add(line);
    kept.push(error);
    if (kept.length === MAX_SYNTAX_ERRORS) break;
  }
  return kept;
}

function recordPositions(node: Node, pointer: string, source: string, positions: NodePositions): void {
  const { isMap, isScalar, isSeq } = yamlLibrary();
  const start = node.range?.[0] ?? 0;
  const position: { value: number; text?: string } = { value: start };
  if (isScalar(node) && node.range) {
    const raw = source.slice(node.range[0], node.range[1]);
    if (!raw.includes('\n')) position.text = raw;
  }
  positions.set(pointer, { ...positions.get(pointer), ...position });
  if (isMap(node)) {
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : '';
      const child = joinPointer(pointer, key);
      const keyOffset = keyNode?.range?.[0] ?? start;
      positions.set(child, { value: keyOffset, key: keyOffset });
      if (pair.value) recordPositions(pair.value as Node, child, source, positions);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      if (item) recordPositions(item as Node, joinPointer(pointer, index), source, positions);
    });
  }
}
