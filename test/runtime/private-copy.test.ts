// replayMission's private copy (runtime/private-copy.ts): the work tree as it is, read by git
// (staged deletions and renames, names that are not UTF-8, links never followed), and never the
// original repository, also when it is reached through a symlink.
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { privateCopy } from '../../lib/runtime/private-copy.ts';
import { DEFAULT_RUN_PATHS } from '../../lib/runtime/run-paths.ts';
import { replayMission } from '../../lib/testing.ts';
import { git, makeRepo, mission } from '../git-repo.ts';

const it = suite('private copy for replays');

it('staged deletions and renames, untracked and non-UTF-8 names are in the copy; ignored and engine files are not committed', () => {
  const repo = makeRepo({ 'README.md': 'a\n', 'package.json': '{}\n', 'keep.txt': 'v1\n', '.gitignore': 'ignored.txt\n' });
  git(repo, 'rm', '-q', 'README.md');
  git(repo, 'mv', 'package.json', 'pkg2.json');
  writeFileSync(join(repo, 'keep.txt'), 'v2\n');
  writeFileSync(join(repo, 'new.txt'), 'untracked\n');
  writeFileSync(join(repo, 'ignored.txt'), 'ignored\n');
  writeFileSync(Buffer.from(join(repo, 'caf\xe9.txt'), 'latin1'), 'latin1 name\n');
  mkdirSync(join(repo, 'logs/agent_calls/cache'), { recursive: true });
  writeFileSync(join(repo, 'logs/agent_calls/cache/abc.yaml'), 'fixture\n');
  const copy = privateCopy(repo, DEFAULT_RUN_PATHS);
  try {
    assert.not.ok(existsSync(join(copy.root, 'README.md')));
    assert.not.ok(existsSync(join(copy.root, 'package.json')));
    assert.is(readFileSync(join(copy.root, 'pkg2.json'), 'utf8'), '{}\n');
    assert.is(readFileSync(join(copy.root, 'keep.txt'), 'utf8'), 'v2\n');
    assert.is(readFileSync(join(copy.root, 'new.txt'), 'utf8'), 'untracked\n');
    assert.is(readFileSync(Buffer.from(join(copy.root, 'caf\xe9.txt'), 'latin1'), 'utf8'), 'latin1 name\n');
    assert.not.ok(existsSync(join(copy.root, 'ignored.txt')));
    assert.is(readFileSync(join(copy.root, 'logs/agent_calls/cache/abc.yaml'), 'utf8'), 'fixture\n', 'fixtures are copied');
    assert.is(git(copy.root, 'status', '--porcelain', '--', '.', ':!logs').trim(), '', 'the copy is clean');
    assert.is(git(copy.root, 'ls-files', 'logs').trim(), '', 'the engine files are not committed');
  } finally {
    copy.remove();
  }
});

it('a tracked symlink replaced by a folder in the work tree: nothing is written through the link', () => {
  const outside = tempDir('lifeos-outside-');
  writeFileSync(join(outside, 'notes.txt'), 'keep me\n');
  const repo = makeRepo({ 'README.md': 'a\n' });
  symlinkSync(outside, join(repo, 'vendor'));
  git(repo, 'add', 'vendor');
  git(repo, 'commit', '-qm', 'a link');
  rmSync(join(repo, 'vendor'));
  mkdirSync(join(repo, 'vendor'));
  writeFileSync(join(repo, 'vendor/notes.txt'), 'from the work tree\n');
  const copy = privateCopy(repo, DEFAULT_RUN_PATHS);
  try {
    assert.is(readFileSync(join(outside, 'notes.txt'), 'utf8'), 'keep me\n');
    assert.is(readFileSync(join(copy.root, 'vendor/notes.txt'), 'utf8'), 'from the work tree\n');
  } finally {
    copy.remove();
  }
});

it('a committed symlink at logs/ is refused before any fixture is copied through it', async () => {
  const outside = tempDir('lifeos-outside-logs-');
  const repo = makeRepo({ 'README.md': 'a\n' });
  symlinkSync(outside, join(repo, 'logs'));
  git(repo, 'add', 'logs');
  git(repo, 'commit', '-qm', 'logs elsewhere');
  const fixtures = tempDir('lifeos-fixtures-');
  writeFileSync(join(fixtures, 'abc.yaml'), 'fixture\n');
  const noop = mission('mission: m\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - {id: a, kind: runtime, operation: noop, params: {}}\n');
  let error: unknown;
  try {
    await replayMission(noop, { repoRoot: repo, fixtures, commit: 'HEAD' });
  } catch (caught) {
    error = caught;
  }
  assert.match(String((error as Error)?.message), /logs/);
  assert.not.ok(existsSync(join(outside, 'agent_calls')), 'nothing written through the link');
});

it('a repository reached through a symlink is replayed in the copy, never in itself', async () => {
  const repo = makeRepo({ 'README.md': 'a\n' });
  const link = join(tmpdir(), `lifeos-link-${process.pid}`);
  symlinkSync(repo, link);
  try {
    const before = git(repo, 'for-each-ref').trim();
    const result = await replayMission(mission('mission: m\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - {id: a, kind: runtime, operation: noop, params: {}}\n'), { repoRoot: link });
    assert.is(result.status, 'completed', result.error?.message);
    assert.ok(result.journalPath.startsWith(result.repoCopy), result.journalPath);
    assert.not.ok(existsSync(join(repo, 'logs/mission_journals')), 'nothing written in the original');
    assert.is(git(repo, 'for-each-ref').trim(), before);
  } finally {
    rmSync(link);
  }
});

it.run();
