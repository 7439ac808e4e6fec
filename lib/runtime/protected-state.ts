/**
 * What the work-tree diff cannot see: the parts of `.git` that decide what git does or what the
 * repository's history is (config, hooks, info, HEAD, refs, packed-refs, alternates: a hook or a
 * driver is code that runs on the next git call, a moved ref rewrites history) and the engine's
 * own state (journals, call logs, evidence, the store, the run lock), which snapshots leave out.
 * The diff gate captures them before a writing operation and compares after it, before the
 * engine runs git again; any difference is a write to a protected path. Git's parts and the lock
 * are put back from the capture; the engine's evidence is left as found, for the escalation.
 *
 * HEAD and refs may move in steps that commit or switch branches (the git tool's branch,
 * checkout and commit): `refsMayMove` leaves them out of the comparison for those. Between
 * writing steps (`gitOnly`), git's parts and the lock must not change at all: a read-only step
 * has no business there, and the engine itself writes only its journals and store meanwhile.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gitDir } from './git-state.ts';
import type { RunPaths } from './run-paths.ts';

/** Small files git reads to decide what to run or what history is: fingerprinted by content and kept to put back. */
const GIT_PARTS = ['config', 'hooks', 'info', 'HEAD', 'refs', 'packed-refs', 'objects/info', 'commondir', 'shallow'];
const REF_PARTS = ['.git/HEAD', '.git/refs/', '.git/packed-refs'];

type Saved = { full: string; data: Buffer; mode: number } | { full: string; link: string };

export interface ProtectedCapture {
  /** Path (`.git/...`, or the engine's) -> a fingerprint of its content. */
  prints: Map<string, string>;
  /** Content of the parts that are put back (git's, the lock), by the same path. */
  saved: Map<string, Saved>;
}

export function captureProtected(repoRoot: string, paths: RunPaths): ProtectedCapture {
  const capture: ProtectedCapture = { prints: new Map(), saved: new Map() };
  const git = gitDir(repoRoot);
  for (const part of GIT_PARTS) walk(join(git, part), `.git/${part}`, capture, true);
  walk(join(repoRoot, paths.lock), paths.lock, capture, true);
  // Append-only and possibly large: size and mtime tell a change.
  for (const folder of [paths.journals, paths.anchors, paths.agentCalls, paths.failedMissions, paths.killSwitchActivations, paths.store]) walk(join(repoRoot, folder), folder, capture, false);
  return capture;
}

/** The protected paths that differ between two captures (added, changed or removed). */
export function protectedChanges(before: ProtectedCapture, after: ProtectedCapture, options: { refsMayMove?: boolean; gitOnly?: boolean } = {}): string[] {
  const changed = new Set<string>();
  for (const [path, print] of after.prints) if (before.prints.get(path) !== print) changed.add(path);
  for (const path of before.prints.keys()) if (!after.prints.has(path)) changed.add(path);
  return [...changed]
    .filter((path) => !options.gitOnly || before.saved.has(path) || after.saved.has(path))
    .filter((path) => !options.refsMayMove || !REF_PARTS.some((part) => path === part || path.startsWith(part)))
    .sort();
}

/** Put the changed parts back as captured: git's and the lock (the evidence folders are the engine's own and stay as found). */
export function restoreProtected(capture: ProtectedCapture, changed: readonly string[], repoRoot: string): void {
  const git = gitDir(repoRoot);
  for (const path of changed) {
    const saved = capture.saved.get(path);
    if (saved) {
      rmSync(saved.full, { recursive: true, force: true });
      mkdirSync(dirname(saved.full), { recursive: true });
      if ('link' in saved) symlinkSync(saved.link, saved.full);
      else writeFileSync(saved.full, saved.data, { mode: saved.mode });
    } else if (path.startsWith('.git/')) {
      // Added by the step (a new hook, ref or config include).
      rmSync(join(git, path.slice('.git/'.length)), { recursive: true, force: true });
    }
  }
}

/** Content hashes (and copies) for the small files; size and mtime for the large, append-only evidence. */
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
    if (keep) capture.saved.set(rel, { full, link });
  } else if (keep && stat.isFile()) {
    const data = readFileSync(full);
    capture.prints.set(rel, `${createHash('sha256').update(data).digest('hex')}:${stat.mode}`);
    capture.saved.set(rel, { full, data, mode: stat.mode });
  } else {
    capture.prints.set(rel, `${stat.isFile() ? 'file' : 'special'}:${stat.size}:${stat.mtimeMs}:${stat.ino}`);
  }
}
