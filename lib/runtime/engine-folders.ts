/**
 * The engine's own folders (journals, evidence, the call logs, the state store and its queue,
 * the backlog record) are inside the repository and excluded from what a run snapshots, so a
 * symbolic link committed in their place (`.lifeos -> /elsewhere`, `logs -> ../other-repo/logs`)
 * would send the queue, the journals and the backlog's record wherever it points, unseen.
 * Every part of those paths that exists must be a real folder; nothing is written otherwise.
 */
import { lstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RunPreconditionFailed } from '../core/run-errors.ts';
import type { RunPaths } from './run-paths.ts';

/** Refuse when a part of an engine folder (or a file's folder) is a symlink or not a folder. */
export function requireEngineFolders(repoRoot: string, paths: RunPaths): void {
  const folders = [paths.journals, paths.failedMissions, paths.killSwitchActivations, paths.agentCalls, paths.store, dirname(paths.anchors), dirname(paths.lock)];
  for (const folder of new Set(folders)) requireRealFolder(repoRoot, folder);
}

function requireRealFolder(repoRoot: string, folder: string): void {
  let at = repoRoot;
  for (const part of folder.split('/').filter((p) => p !== '' && p !== '.')) {
    at = join(at, part);
    const stat = lstatSync(at, { throwIfNoEntry: false });
    if (!stat) return;
    if (!stat.isDirectory()) {
      throw new RunPreconditionFailed(`${at} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}, where the engine keeps its own files (${folder}); nothing was written: remove it (the engine makes the folder itself) and take it out of git if it is committed`);
    }
  }
}
