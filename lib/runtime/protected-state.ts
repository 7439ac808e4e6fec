/**
 * What the work-tree diff cannot see: the parts of `.git` that change how git behaves (config,
 * hooks, info: a hook is code that runs on the next commit) and the engine's evidence (journals
 * and call logs), which snapshots leave out. The diff gate captures them before a writing
 * operation and compares after it; any difference is a write to a protected path, and the git
 * parts are put back from the capture. Git's own bookkeeping (HEAD, refs, index, objects, logs)
 * is left out: operations that commit change it legitimately, and snapshots cover it.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gitDir } from './git-state.ts';
import type { RunPaths } from './run-paths.ts';

const GIT_PARTS = ['config', 'hooks', 'info'];

export interface ProtectedCapture {
  /** Path (`.git/...`, or the evidence folder's) -> a fingerprint of its content. */
  prints: Map<string, string>;
  /** The git parts' content (small), to put back. */
  saved: Map<string, { data: Buffer; mode: number } | { link: string }>;
  git: string;
}

export function captureProtected(repoRoot: string, paths: RunPaths): ProtectedCapture {
  const capture: ProtectedCapture = { prints: new Map(), saved: new Map(), git: gitDir(repoRoot) };
  for (const part of GIT_PARTS) walk(join(capture.git, part), `.git/${part}`, capture, true);
  for (const folder of [paths.journals, paths.agentCalls]) walk(join(repoRoot, folder), folder, capture, false);
  return capture;
}

/** The protected paths that differ from the capture (added, changed or removed). */
export function protectedChanges(before: ProtectedCapture, repoRoot: string, paths: RunPaths): string[] {
  const after = captureProtected(repoRoot, paths).prints;
  const changed = new Set<string>();
  for (const [path, print] of after) if (before.prints.get(path) !== print) changed.add(path);
  for (const path of before.prints.keys()) if (!after.has(path)) changed.add(path);
  return [...changed].sort();
}

/** Put the changed git parts back as they were captured (the evidence folders are the engine's own and stay). */
export function restoreProtected(capture: ProtectedCapture, changed: readonly string[]): void {
  for (const path of changed) {
    if (!path.startsWith('.git/')) continue;
    const full = join(capture.git, path.slice('.git/'.length));
    rmSync(full, { recursive: true, force: true });
    const saved = capture.saved.get(path);
    if (!saved) continue;
    mkdirSync(dirname(full), { recursive: true });
    if ('link' in saved) symlinkSync(saved.link, full);
    else writeFileSync(full, saved.data, { mode: saved.mode });
  }
}

/** Content hashes (and copies) for git's small files; size and mtime for the large, append-only evidence. */
function walk(full: string, rel: string, capture: ProtectedCapture, keep: boolean): void {
  let stat;
  try {
    stat = lstatSync(full);
  } catch {
    return;
  }
  if (stat.isDirectory()) {
    for (const name of readdirSync(full).sort()) walk(join(full, name), `${rel}/${name}`, capture, keep);
  } else if (stat.isSymbolicLink()) {
    const link = readlinkSync(full);
    capture.prints.set(rel, `link:${link}`);
    if (keep) capture.saved.set(rel, { link });
  } else if (keep) {
    const data = readFileSync(full);
    capture.prints.set(rel, `${createHash('sha256').update(data).digest('hex')}:${stat.mode}`);
    capture.saved.set(rel, { data, mode: stat.mode });
  } else {
    capture.prints.set(rel, `${stat.size}:${stat.mtimeMs}`);
  }
}
