/**
 * The repository-state lock (spec §5.6.3): the engine knows the state it left after each step,
 * so any other difference was made by someone else (a person editing while a model call is in
 * flight, another tool, an undeclared write). Such changes are someone's work: the run halts and
 * escalates with the list, and when it rolls back it undoes only its own changes, path by path,
 * leaving every foreign change (and any path both touched) exactly as found.
 */
import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { changedEntries, git, restoreRefs, stateHash, type ChangedEntry, type RepoSnapshot } from './git-state.ts';

export interface ForeignChanges {
  /** Work-tree paths that differ from the state the run left. */
  paths: ChangedEntry[];
  /** HEAD, the branch it names, or any branch moved (or was made or deleted). */
  refs_moved: boolean;
  /** The index differs. */
  index_changed: boolean;
}

/** What differs between the state the run left and the state found; null when nothing does. */
export function foreignChanges(repoRoot: string, left: RepoSnapshot, found: RepoSnapshot): ForeignChanges | null {
  if (stateHash(left) === stateHash(found)) return null;
  return {
    paths: changedEntries(repoRoot, left, found),
    refs_moved: left.head !== found.head || left.ref !== found.ref || JSON.stringify(left.branches ?? null) !== JSON.stringify(found.branches ?? null),
    index_changed: left.index_tree !== found.index_tree,
  };
}

/** One line for messages: the first few paths, and whether refs or the index moved. */
export function describeForeign(changes: ForeignChanges): string {
  const shown = changes.paths.slice(0, 5).map((c) => `${c.deleted ? 'deleted ' : ''}${c.path}`);
  if (changes.paths.length > 5) shown.push(`and ${changes.paths.length - 5} more`);
  if (changes.refs_moved) shown.push('HEAD or its branch moved');
  if (changes.index_changed && changes.paths.length === 0) shown.push('the index changed');
  return shown.join(', ');
}

export interface OwnUndo {
  /** The run's own paths put back as the baseline had them. */
  restored: string[];
  /** The run's own paths left alone because someone else changed them too. */
  kept: string[];
  /** Whether the refs and index were put back (only when nobody else moved them). */
  refs_restored: boolean;
  index_restored: boolean;
}

/**
 * Undo the run's changes (baseline -> the state it left) without touching foreign ones: each of
 * the run's paths that nobody else changed goes back to its baseline content (or is removed, if
 * the run added it); refs and index go back only if nobody else moved them.
 */
export function undoOwnChanges(repoRoot: string, baseline: RepoSnapshot, left: RepoSnapshot, foreign: ForeignChanges): OwnUndo {
  const theirs = new Set(foreign.paths.map((c) => c.path));
  const own = changedEntries(repoRoot, baseline, left);
  const undo = own.filter((entry) => !theirs.has(entry.path));
  // Added paths first: a file the run turned into a folder (d -> d/f) can only come back once d/f and d are gone.
  for (const entry of undo) if (entry.status === 'A') removeWithEmptyParents(repoRoot, entry.path);
  const blocked = restoreFromBaseline(repoRoot, baseline, undo.filter((entry) => entry.status !== 'A').map((entry) => entry.path));
  const refsRestored = !foreign.refs_moved;
  if (refsRestored) restoreRefs(repoRoot, baseline);
  const indexRestored = !foreign.index_changed;
  if (indexRestored) git(repoRoot, ['read-tree', baseline.index_tree]);
  return {
    restored: undo.map((e) => e.path).filter((path) => !blocked.includes(path)),
    kept: [...own.filter((e) => theirs.has(e.path)).map((e) => e.path), ...blocked],
    refs_restored: refsRestored,
    index_restored: indexRestored,
  };
}

/** Put paths back from the baseline; the ones git cannot put back (someone else's file now stands in the way) are returned, left as found. */
function restoreFromBaseline(repoRoot: string, baseline: RepoSnapshot, paths: readonly string[]): string[] {
  const restore = (batch: readonly string[]): void => {
    git(repoRoot, ['restore', `--source=${baseline.worktree_tree}`, '--worktree', '--', ...batch.map((path) => `:(literal)${path}`)]);
  };
  if (paths.length === 0) return [];
  try {
    restore(paths);
    return [];
  } catch {
    return paths.filter((path) => {
      try {
        restore([path]);
        return false;
      } catch {
        return true;
      }
    });
  }
}

/** Remove a file, then each folder above it that it leaves empty (up to the repository root). */
function removeWithEmptyParents(repoRoot: string, path: string): void {
  rmSync(join(repoRoot, path), { force: true, recursive: true });
  for (let dir = dirname(path); dir !== '.' && dir !== ''; dir = dirname(dir)) {
    try {
      if (readdirSync(join(repoRoot, dir)).length > 0) return;
      rmdirSync(join(repoRoot, dir));
    } catch {
      return;
    }
  }
}
