/**
 * Fenced code blocks of a model's reply, read as CommonMark does in the cases that matter for
 * finding a packet: ``` or ~~~ fences of three or more, a closing fence of the same character at
 * least as long and with no info string, an unclosed fence running to the end. Unlike
 * CommonMark, a fence indented four spaces or more is still a fence: a packet hidden in an
 * indented block must count as one.
 */
export interface FencedBlock {
  /** The info string's first word (`json`), or ''. */
  label: string;
  body: string;
}

const OPEN = /^\s*(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/;
const CLOSE = /^\s*(`{3,}|~{3,})\s*$/;

/** The blocks, and the text outside them; past `maxBlocks` blocks the scan stops (the caller refuses so many). */
export function fencedBlocks(text: string, maxBlocks = Infinity): { blocks: FencedBlock[]; outside: string } {
  // Most replies have no fence at all: not worth splitting a long one into lines.
  if (!text.includes('```') && !text.includes('~~~')) return { blocks: [], outside: text };
  const blocks: FencedBlock[] = [];
  const outside: string[] = [];
  let open: { fence: string; label: string; lines: string[] } | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (open) {
      const close = CLOSE.exec(line)?.[1];
      if (close && close[0] === open.fence[0] && close.length >= open.fence.length) {
        blocks.push({ label: open.label, body: open.lines.join('\n') });
        open = undefined;
        if (blocks.length > maxBlocks) break;
      } else {
        open.lines.push(line);
      }
      continue;
    }
    const start = OPEN.exec(line);
    if (start) {
      open = { fence: start[1] as string, label: start[2] ?? '', lines: [] };
      continue;
    }
    outside.push(line);
  }
  if (open) blocks.push({ label: open.label, body: open.lines.join('\n') });
  return { blocks, outside: outside.join('\n') };
}
