/**
 * What the YAML parser lets through and a mission (or a model's packet) must not hold, found by
 * one walk over the document, without recursion (a deep document must not overflow the stack):
 * keys that are lists, mappings or aliases; keys that are equal once read (`1` and `"1"`, `~` and
 * `null`: the parser only compares their source), named with both positions; an alias inside
 * the node it names (a value that contains itself); nesting deeper than the limit.
 */
import type { Node } from 'yaml';
import type { DiagnosticCode } from './diagnostics.ts';
import { yamlLibrary } from './yaml-library.ts';

/** Deeper than any mission needs; far below what would overflow a recursive walk. */
export const MAX_YAML_DEPTH = 100;

export interface StructureProblem {
  code: DiagnosticCode;
  offset: number;
  message: string;
  hint?: string;
}

export function structureProblems(root: Node | null, position: (offset: number) => string): StructureProblem[] {
  const { isAlias, isMap, isPair, isScalar, isSeq } = yamlLibrary();
  const problems: StructureProblem[] = [];
  const stack: Array<{ node: unknown; depth: number; ancestors: ReadonlySet<unknown> }> = [{ node: root, depth: 0, ancestors: new Set() }];
  while (stack.length > 0) {
    const { node, depth, ancestors } = stack.pop() as (typeof stack)[number];
    const offset = (node as Node | null)?.range?.[0] ?? 0;
    if (isAlias(node)) {
      const source = (node as { source?: string }).source;
      if ([...ancestors].some((ancestor) => (ancestor as { anchor?: string }).anchor === source)) {
        problems.push({ code: 'E_YAML_ALIAS_LIMIT', offset, message: `the alias *${String(source)} is inside the node it names: the value would contain itself`, hint: 'write the value out' });
      }
      continue;
    }
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth >= MAX_YAML_DEPTH) {
      problems.push({ code: 'E_YAML_DEPTH', offset, message: `values are nested more than ${MAX_YAML_DEPTH} levels deep here`, hint: 'a mission needs far less; flatten the value' });
      continue;
    }
    const inner = new Set([...ancestors, node]);
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = pair.key as Node | null;
        const keyOffset = key?.range?.[0] ?? offset;
        if (isAlias(key)) problems.push({ code: 'E_YAML_SYNTAX', offset: keyOffset, message: 'mapping keys must be written out, not aliases (*name)' });
        else if (key !== null && !isScalar(key)) problems.push({ code: 'E_YAML_SYNTAX', offset: keyOffset, message: 'mapping keys must be plain scalars, not lists or mappings' });
        else {
          const name = String(isScalar(key) ? key.value : null);
          const first = seen.get(name);
          if (first === undefined) seen.set(name, keyOffset);
          else problems.push({ code: 'E_YAML_DUPLICATE_KEY', offset: keyOffset, message: `the key "${name}" is given twice in this mapping (first at ${position(first)})`, hint: 'remove or rename one of the two keys' });
        }
        stack.push({ node: pair.value, depth: depth + 1, ancestors: inner });
      }
    } else {
      for (const item of node.items) stack.push({ node: item, depth: depth + 1, ancestors: inner });
    }
  }
  return problems.sort((a, b) => a.offset - b.offset);
}
