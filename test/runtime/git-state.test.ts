// Snapshots (runtime/git-state.ts) on real repositories: what they must never miss.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { restoreRefs, snapshotRepo } from '../../lib/runtime/git-state.ts';
import { DEFAULT_RUN_PATHS, resolveRunPaths } from '../../lib/runtime/run-paths.ts';
import { git, makeRepo } from '../git-repo.ts';

const test = suite();

/** Block until just after the next whole second (the race below is about second boundaries). */
function untilNextSecond(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1050 - (Date.now() % 1000));
}

test('a same-size edit made in the second of the last index write is seen by a snapshot taken a second later', () => {
  const repo = tempDir('lifeos-test-');
  try {
    untilNextSecond();
    git(repo, 'init', '-q');
    writeFileSync(join(repo, 'BACKLOG.md'), '- [ ] task\n');
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'task');
    const before = snapshotRepo(repo, DEFAULT_RUN_PATHS);
    // Ticking the box keeps the size: only the content (and a sub-second mtime) tells the edit.
    writeFileSync(join(repo, 'BACKLOG.md'), '- [x] task\n');
    untilNextSecond();
    const after = snapshotRepo(repo, DEFAULT_RUN_PATHS);
    assert.is.not(after.worktree_tree, before.worktree_tree);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('a snapshot scoped to a branch prefix records only those branches, and restoring it leaves every other branch alone', () => {
  const repo = makeRepo();
  const paths = resolveRunPaths({ branches: 'refs/heads/backlog/a' });
  git(repo, 'branch', 'backlog/a/kept');
  const before = snapshotRepo(repo, paths);
  assert.equal(Object.keys(before.branches ?? {}), ['refs/heads/backlog/a/kept']);
  assert.is(before.branch_scope, 'refs/heads/backlog/a');
  // Meanwhile: this run's branch is made and the kept one moved; another task's branches appear.
  writeFileSync(join(repo, 'x.txt'), 'x');
  git(repo, 'add', 'x.txt');
  git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'x');
  for (const branch of ['backlog/a/made', 'backlog/ab/other', 'feature']) git(repo, 'branch', branch);
  git(repo, 'branch', '-f', 'backlog/a/kept', 'HEAD');
  const after = snapshotRepo(repo, paths);
  assert.equal(Object.keys(after.branches ?? {}).sort(), ['refs/heads/backlog/a/kept', 'refs/heads/backlog/a/made'], 'backlog/ab is not below backlog/a');
  restoreRefs(repo, before);
  const left = git(repo, 'for-each-ref', '--format=%(refname)', 'refs/heads').trim().split('\n').sort();
  assert.equal(left, ['refs/heads/backlog/a/kept', 'refs/heads/backlog/ab/other', 'refs/heads/feature', 'refs/heads/main']);
  assert.is(git(repo, 'rev-parse', 'backlog/a/kept').trim(), before.branches?.['refs/heads/backlog/a/kept']);
  assert.throws(() => resolveRunPaths({ branches: 'refs/tags' }), /paths\.branches must be refs\/heads or a prefix below it/);
});

test.run();
