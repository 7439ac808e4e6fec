/**
 * The engine's own files (journals, evidence, the call logs and their cache, the state store and
 * its queue, the backlog record, the anchor log, the locks) are inside the repository and left
 * out of what a run snapshots, so a symbolic link committed in their place (`.lifeos ->
 * /elsewhere`, `logs/agent_calls/cache -> ../other/cache`, a FIFO as `.lifeos/state.json`)
 * would send them wherever it points, unseen, or hang the process that opens them. Every part of
 * those paths that exists must be a real folder, and each file a regular file; nothing is
 * written otherwise.
 */
import { lstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RunPreconditionFailed } from '../core/run-errors.ts';
import type { RunPaths } from './run-paths.ts';

/** Refuse when a part of an engine folder is not a real folder, or an engine file not a regular file. */
export function requireEngineFolders(repoRoot: string, paths: RunPaths): void {
  const folders = [
    paths.journals,
    paths.failedMissions,
    paths.killSwitchActivations,
    join(paths.agentCalls, 'cache'),
    join(paths.store, 'runs'),
    join(paths.store, 'worktrees'),
    dirname(paths.anchors),
    dirname(paths.lock),
  ];
  for (const folder of new Set(folders)) requireRealFolder(repoRoot, folder);
  const files = [paths.anchors, paths.lock, ...['state.json', 'state.sqlite', 'backlog.json', 'backlog.lock'].map((name) => join(paths.store, name))];
  for (const file of files) requireRegularFile(repoRoot, file);
}

/** A run's own folder and journal, before the journal is opened (a run id is predictable, so a link can wait for it). */
export function requireRunFolder(repoRoot: string, folder: string, journal: string): void {
  requireRealFolder(repoRoot, folder);
  requireRegularFile(repoRoot, join(folder, journal));
}

/** The first existing part of `folder` (below `repoRoot`) that is not a real folder, or undefined. */
export function notRealFolder(repoRoot: string, folder: string): { at: string; symlink: boolean } | undefined {
  let at = repoRoot;
  for (const part of folder.split(/[\\/]/).filter((p) => p !== '' && p !== '.')) {
    at = join(at, part);
    const stat = lstatSync(at, { throwIfNoEntry: false });
    if (!stat) return undefined;
    if (!stat.isDirectory()) return { at, symlink: stat.isSymbolicLink() };
  }
  return undefined;
}

function requireRealFolder(repoRoot: string, folder: string): void {
  const bad = notRealFolder(repoRoot, folder);
  if (bad) refuse(bad.at, folder, bad.symlink ? 'a symbolic link' : 'not a folder');
}

function requireRegularFile(repoRoot: string, file: string): void {
  requireRealFolder(repoRoot, dirname(file));
  const stat = lstatSync(join(repoRoot, file), { throwIfNoEntry: false });
  if (stat && !stat.isFile()) refuse(join(repoRoot, file), file, stat.isSymbolicLink() ? 'a symbolic link' : stat.isFIFO() ? 'a FIFO' : 'not a regular file');
}

function refuse(at: string, own: string, what: string): never {
  throw new RunPreconditionFailed(`${at} is ${what}, where the engine keeps its own files (${own}); nothing was written: remove it (the engine makes it itself) and take it out of git if it is committed`);
}
