/**
 * BACKLOG.md as the loop reads it (spec §1.4: a task goes from TODO to DONE without anyone
 * routing it). An item is a line of one of two forms, anywhere in the file, in file order:
 *
 *   - [ ] open task          - [x] done task       (also `* [ ]`, and `[X]`)
 *   TODO: open task          DONE: done task
 *
 * Indentation is allowed; the text after the marker, trimmed, is the task as the cycle gets it
 * (`task_spec`) and as the steward marks it done. Lines inside fenced code blocks (``` or ~~~)
 * and HTML comments are examples or notes, not tasks. Every other line is left alone.
 */
import { createHash } from 'node:crypto';

export const BACKLOG_FILE = 'BACKLOG.md';

export interface BacklogItem {
  /** 1-based line number in BACKLOG.md. */
  line: number;
  text: string;
  done: boolean;
}

/** An open backlog item: indentation, the marker (`- [ ] `, `* [ ] ` or `TODO:`), the text. */
const OPEN_ITEM = /^(\s*)([-*] \[ \] |TODO:)(.*)$/;
const DONE_ITEM = /^(\s*)([-*] \[[xX]\] |DONE:)(.*)$/;

/** Every item of the backlog, open and done, in file order (items with no text are left out). */
export function parseBacklog(text: string): BacklogItem[] {
  const items: BacklogItem[] = [];
  for (const [index, line] of itemLines(text.split('\n'))) {
    const open = OPEN_ITEM.exec(line);
    const done = open ? null : DONE_ITEM.exec(line);
    const task = (open ?? done)?.[3]?.trim();
    if (task) items.push({ line: index + 1, text: task, done: done !== null });
  }
  return items;
}

/**
 * The backlog with the first open item whose text is `task` marked done, or null if there is
 * none. Checkboxes are ticked (`- [x]`), `TODO:` lines become `DONE:`.
 */
export function markDone(backlog: string, task: string): string | null {
  const lines = backlog.split('\n');
  for (const [index, line] of itemLines(lines)) {
    const open = OPEN_ITEM.exec(line);
    if (open && (open[3] as string).trim() === task) {
      lines[index] = `${open[1]}${open[2]?.startsWith('TODO') ? 'DONE:' : (open[2] as string).replace('[ ]', '[x]')}${open[3]}`;
      return lines.join('\n');
    }
  }
  return null;
}

/**
 * The lines that may hold items, with their indexes: those outside fenced code blocks (closed,
 * as in CommonMark, by a fence of the same character, at least as long, with no info string)
 * and outside HTML comments, which are not shown when the file is rendered.
 */
function* itemLines(lines: readonly string[]): Generator<[number, string]> {
  let fence: string | undefined;
  let comment = false;
  for (const [index, line] of lines.entries()) {
    if (fence !== undefined) {
      const close = /^\s{0,3}(`{3,}|~{3,})\s*$/.exec(line)?.[1];
      if (close && close[0] === fence[0] && close.length >= fence.length) fence = undefined;
      continue;
    }
    if (comment) {
      comment = !line.includes('-->');
      continue;
    }
    const open = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (open) {
      fence = open;
      continue;
    }
    const start = line.lastIndexOf('<!--');
    if (start >= 0 && !line.includes('-->', start)) comment = true;
    yield [index, line];
  }
}

/**
 * A short, stable name for a task, for its worktree folder and its branch: the first words of
 * its text in lower case (`add-a-greeting`), and 6 hex digits of its text's hash, so that two
 * tasks whose words start alike never share one.
 */
export function taskSlug(task: string): string {
  const words = task
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  const hash = createHash('sha256').update(task).digest('hex').slice(0, 6);
  return words === '' ? `task-${hash}` : `${words}-${hash}`;
}
