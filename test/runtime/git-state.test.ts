// Snapshots (runtime/git-state.ts) on real repositories: what they must never miss.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { snapshotRepo } from '../../lib/runtime/git-state.ts';
import { DEFAULT_RUN_PATHS } from '../../lib/runtime/run-paths.ts';
import { git } from '../git-repo.ts';

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

test.run();
