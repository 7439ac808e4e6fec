/**
 * Where a parsed YAML document's values are: offsets by JSON pointer, turned into 1-based
 * line:column. Shared by the two readers of mission YAML (yaml-block-reader.ts and the yaml
 * library), so a diagnostic points at the same place whichever read the file.
 */
import type { Location, Locator } from './diagnostics.ts';

export interface NodePosition {
  /** Offset of the value node. */
  value: number;
  /** Offset of the mapping key, when the value sits in a mapping. */
  key?: number;
  /** Source text of a single-line scalar, for pointing inside it. */
  text?: string;
}

export type NodePositions = Map<string, NodePosition>;

/** Offsets of the line starts: 0, then one past each "\n" (as the yaml library's LineCounter). */
export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
  return starts;
}

/** 1-based line and column of an offset, given the line starts. */
export function linePosition(lineStarts: readonly number[], offset: number): { line: number; col: number } {
  let low = 0;
  let high = lineStarts.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (offset < (lineStarts[mid] as number)) high = mid;
    else low = mid + 1;
  }
  if (low === 0) return { line: 0, col: offset };
  return { line: low, col: offset - (lineStarts[low - 1] as number) + 1 };
}

/** Nearest known node: the exact pointer, else its closest recorded ancestor. */
export function makeLocator(positions: NodePositions, lineStarts: readonly number[]): Locator {
  return (location: Location) => {
    let pointer = location.path;
    let found = positions.get(pointer);
    while (!found && pointer !== '') {
      pointer = pointer.slice(0, pointer.lastIndexOf('/'));
      found = positions.get(pointer);
    }
    if (!found) return undefined;
    let offset = location.key && found.key !== undefined ? found.key : found.value;
    if (location.needle && found.text && pointer === location.path) {
      const index = found.text.indexOf(location.needle);
      if (index >= 0) offset += index;
    }
    const { line, col } = linePosition(lineStarts, offset);
    return { line, column: col };
  };
}
