/**
 * The one way an operation writes a file in the repository (spec §5.2.1 TOCTOU mitigation):
 * the path is validated again at the moment of use (nothing cached from an earlier check), the
 * file is opened with O_NOFOLLOW (a final component swapped for a symlink after the check fails
 * to open), and the opened file is then confirmed, through /proc/self/fd, to be the file that
 * was validated (a folder swapped for a symlink is caught too). Only then is it truncated and
 * written. A file this call created in the wrong place is removed again. Removing a file goes
 * through the same check (removeGuarded).
 */
import { closeSync, constants, fsyncSync, ftruncateSync, mkdirSync, openSync, readlinkSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { EnvelopeViolation } from '../core/governance-errors.ts';
import type { Envelope } from '../core/types.ts';
import { validatePathAccess, type PathAccessOptions, type PathAccessResult } from './envelope.ts';

export interface GuardedWriteOptions extends PathAccessOptions {
  /** Called between the check and the open; tests use it to swap the path for a symlink. */
  afterCheck?: () => void;
}

/** Write `data` to `path` (relative to the repository) if the envelope allows it now; throws EnvelopeViolation otherwise. */
export function writeGuarded(path: string, data: string | Uint8Array, envelope: Envelope | null, options: GuardedWriteOptions): { path: string; bytes: number } {
  const { check, root } = checkNow(path, 'write', envelope, options);
  const expected = join(root, check.evidence.resolved as string);
  mkdirSync(dirname(expected), { recursive: true });
  options.afterCheck?.();
  const { fd, created } = openNoFollow(join(root, check.evidence.normalized as string), path);
  try {
    const opened = readlinkSync(`/proc/self/fd/${fd}`);
    if (opened !== expected) {
      if (created) unlinkSync(opened);
      throw new EnvelopeViolation(path, 'write', `the path changed between its check and its use: it now leads to ${opened}, not ${expected}`, { ...check.evidence, opened });
    }
    ftruncateSync(fd, 0);
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    writeSync(fd, buffer);
    fsyncSync(fd);
    return { path: check.evidence.resolved as string, bytes: buffer.length };
  } finally {
    closeSync(fd);
  }
}

/**
 * Remove `path` (relative to the repository) if the envelope allows deleting it now. The link
 * itself is removed, never what it points to, and only through the folder that was checked: a
 * folder on the way swapped for a symlink after the check is refused. A path already gone is
 * not an error.
 */
export function removeGuarded(path: string, envelope: Envelope | null, options: GuardedWriteOptions): void {
  const { check, root } = checkNow(path, 'delete', envelope, options);
  const target = join(root, check.evidence.normalized as string);
  const checked = folderOf(target);
  options.afterCheck?.();
  const now = folderOf(target);
  if (checked === null || now === null) return;
  if (now !== checked) throw new EnvelopeViolation(path, 'delete', `the path changed between its check and its use: its folder now leads to ${now}, not ${checked}`, { ...check.evidence, opened: now });
  try {
    unlinkSync(join(now, basename(target)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** The path checked against the envelope now, and the repository root it was checked under, which must be where the root leads now. */
function checkNow(path: string, operation: 'write' | 'delete', envelope: Envelope | null, options: GuardedWriteOptions): { check: PathAccessResult; root: string } {
  const check = validatePathAccess(path, operation, envelope, options);
  if (!check.allowed) throw new EnvelopeViolation(path, operation, check.reason, { ...check.evidence });
  const root = realpathSync.native(options.repoRoot);
  // The check may have used a root resolved earlier (options.root): act only where it looked.
  if (root !== check.evidence.repo_root) {
    throw new EnvelopeViolation(path, operation, `the repository root ${options.repoRoot} now leads to ${root}, not ${check.evidence.repo_root} where the path was checked`, { ...check.evidence });
  }
  return { check, root };
}

/** The real path of the folder holding `path`; null when it is gone. */
function folderOf(path: string): string | null {
  try {
    return realpathSync.native(dirname(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function openNoFollow(target: string, requested: string): { fd: number; created: boolean } {
  const base = constants.O_WRONLY | constants.O_NOFOLLOW;
  try {
    return { fd: openSync(target, base | constants.O_CREAT | constants.O_EXCL, 0o644), created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw violation(requested, error);
  }
  try {
    return { fd: openSync(target, base), created: false };
  } catch (error) {
    throw violation(requested, error);
  }
}

function violation(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return new EnvelopeViolation(path, 'write', 'the path became a symlink after it was checked (O_NOFOLLOW refused it)');
  return error as Error;
}
