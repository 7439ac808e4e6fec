/**
 * The `filesystem` tool (spec §5.2 tool_invoke): reads and writes files of the target repository,
 * each path checked against every envelope in force and the protected paths at the moment of
 * use (writes go through writeGuarded: O_NOFOLLOW, re-validated, confirmed after open).
 *
 *   read_files    paths: [..]; max_file_bytes (default 256 KiB), max_total_bytes (1 MiB):
 *                 a larger file is refused with its size, never silently cut
 *   write_files   files: [{ path, content }]; writes every file or, on the first refused path,
 *                 none (all paths are checked before the first byte is written)
 *   update_state  task: the backlog line's text; marks it done in BACKLOG.md (`- [ ]` -> `- [x]`)
 *                 and appends it to LIFEOS_STATE.md's "Done" list. Without a task, mission_name
 *                 (the build's name) goes on the Done list and BACKLOG.md is left alone
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BACKLOG_FILE, markDone } from '../core/backlog.ts';
import { writeGuarded } from '../governance/guarded-write.ts';
import { innermostEnvelope } from '../governance/step-guards.ts';
import type { AccessOperation } from '../governance/envelope.ts';
import { requireAccess, type ToolContext } from './tool.ts';

export const DEFAULT_MAX_FILE_BYTES = 256 * 1024;
export const DEFAULT_MAX_TOTAL_BYTES = 1024 * 1024;
export const STATE_FILE = 'LIFEOS_STATE.md';

export interface FileContent {
  path: string;
  content: string;
  bytes: number;
}

/** The resolved, repository-relative path, or an EnvelopeViolation naming the check that refused it. */
function checkedPath(path: unknown, operation: AccessOperation, context: ToolContext): string {
  if (typeof path !== 'string' || path === '') throw new TypeError(`a path must be a non-empty string, got ${JSON.stringify(path)}`);
  return requireAccess(path, operation, context).evidence.resolved as string;
}

export function readFiles(params: Record<string, unknown>, context: ToolContext): { files: FileContent[]; total_bytes: number } {
  const paths = stringList(params.paths, 'paths');
  const maxFile = positive(params.max_file_bytes, DEFAULT_MAX_FILE_BYTES, 'max_file_bytes');
  const maxTotal = positive(params.max_total_bytes, DEFAULT_MAX_TOTAL_BYTES, 'max_total_bytes');
  const files: FileContent[] = [];
  let total = 0;
  for (const path of paths) {
    const resolved = checkedPath(path, 'read', context);
    const absolute = join(context.repo_root, resolved);
    const stat = statSync(absolute, { throwIfNoEntry: false });
    if (!stat?.isFile()) throw new Error(`read_files: ${path} is not a file in the repository`);
    if (stat.size > maxFile) throw new Error(`read_files: ${path} is ${stat.size} bytes, over max_file_bytes (${maxFile}); raise the limit or read a smaller file`);
    total += stat.size;
    if (total > maxTotal) throw new Error(`read_files: the files read reach ${total} bytes at ${path}, over max_total_bytes (${maxTotal}); read fewer files or raise the limit`);
    files.push({ path, content: readFileSync(absolute, 'utf8'), bytes: stat.size });
  }
  return { files, total_bytes: total };
}

export function writeFiles(params: Record<string, unknown>, context: ToolContext): { written: Array<{ path: string; bytes: number }> } {
  if (!Array.isArray(params.files)) throw new TypeError('write_files: files must be a list of { path, content }');
  const files = params.files.map((file, index) => {
    const { path, content } = (file ?? {}) as { path?: unknown; content?: unknown };
    if (typeof content !== 'string') throw new TypeError(`write_files: files[${index}].content must be a string`);
    return { path: path as string, content };
  });
  // Every path first: a refused path leaves nothing half-written.
  for (const file of files) checkedPath(file.path, existsSync(join(context.repo_root, String(file.path))) ? 'write' : 'create', context);
  const innermost = innermostEnvelope(context.envelopes);
  // writeGuarded checks again at the moment of use (the innermost envelope is the narrowest).
  const written = files.map((file) => ({
    path: file.path,
    bytes: writeGuarded(file.path, file.content, innermost, { repoRoot: context.repo_root, protectedPaths: context.protected_paths }).bytes,
  }));
  return { written };
}

export function updateState(params: Record<string, unknown>, context: ToolContext): { task: string; changed: string[] } {
  const task = typeof params.task === 'string' ? params.task.trim() : '';
  const name = typeof params.mission_name === 'string' ? params.mission_name.trim() : '';
  if (task === '' && name !== '') {
    // No backlog line given (the spec's own cycle passes none): completion is recorded by the
    // build's name, as the spec's steward records it, and BACKLOG.md is left as it is.
    const state = appendDone(readIfExists(context.repo_root, STATE_FILE) ?? '# LifeOS state\n', name);
    writeFiles({ files: [{ path: STATE_FILE, content: state }] }, context);
    return { task: name, changed: [STATE_FILE] };
  }
  if (task === '') throw new TypeError('update_state: task must be the text of the backlog item (or give mission_name to record the completion by name)');
  const backlogText = readIfExists(context.repo_root, BACKLOG_FILE);
  if (backlogText === null) throw new Error(`update_state: ${BACKLOG_FILE} is missing; \`lifeos-mission init\` creates one`);
  const backlog = markDone(backlogText, task);
  if (backlog === null) throw new Error(`update_state: no open item "- [ ] ${task}" (or "TODO: ${task}") in ${BACKLOG_FILE}`);
  const state = appendDone(readIfExists(context.repo_root, STATE_FILE) ?? '# LifeOS state\n', task);
  const files = [
    { path: BACKLOG_FILE, content: backlog },
    { path: STATE_FILE, content: state },
  ];
  writeFiles({ files }, context);
  return { task, changed: files.map((f) => f.path) };
}

/** The state file with `task` added under its "## Done" heading (made if missing). */
export function appendDone(state: string, task: string): string {
  const text = state.endsWith('\n') ? state : `${state}\n`;
  if (!/^## Done$/m.test(text)) return `${text}\n## Done\n- ${task}\n`;
  const lines = text.split('\n');
  let at = lines.indexOf('## Done') + 1;
  while (at < lines.length && /^\s*-/.test(lines[at] as string)) at += 1;
  lines.splice(at, 0, `- ${task}`);
  return lines.join('\n');
}

function readIfExists(repoRoot: string, path: string): string | null {
  const absolute = join(repoRoot, path);
  return existsSync(absolute) ? readFileSync(absolute, 'utf8') : null;
}

function stringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw new TypeError(`${name} must be a list of paths`);
  return value as string[];
}

function positive(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive whole number of bytes`);
  return value;
}
