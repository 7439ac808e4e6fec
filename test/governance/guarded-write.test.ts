// Writes re-validated at the moment of use: a path swapped for a symlink after its check fails.
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { EnvelopeViolation } from '../../lib/core/governance-errors.ts';
import { resolveRepoRoot } from '../../lib/governance/envelope.ts';
import { removeGuarded, writeGuarded } from '../../lib/governance/guarded-write.ts';

const ENVELOPE = { allowed_paths: ['docs/**'] };

function repo(): { root: string; outside: string } {
  const root = tempDir('lifeos-write-');
  mkdirSync(join(root, 'docs'));
  writeFileSync(join(root, 'docs/a.md'), 'before');
  const outside = tempDir('lifeos-outside-');
  writeFileSync(join(outside, 'target.txt'), 'untouched');
  return { root, outside };
}

const it = suite('writeGuarded');

it('writes an allowed file, creating its folder', () => {
  const { root } = repo();
  assert.equal(writeGuarded('docs/new/b.md', 'hello', ENVELOPE, { repoRoot: root }), { path: 'docs/new/b.md', bytes: 5 });
  assert.is(readFileSync(join(root, 'docs/new/b.md'), 'utf8'), 'hello');
  writeGuarded('docs/a.md', 'after', ENVELOPE, { repoRoot: root });
  assert.is(readFileSync(join(root, 'docs/a.md'), 'utf8'), 'after');
});

it('refuses a path the envelope denies, before touching anything', () => {
  const { root } = repo();
  assert.throws(() => writeGuarded('src/x.ts', 'x', ENVELOPE, { repoRoot: root }), (e: unknown) => e instanceof EnvelopeViolation && /matches none of the allowed/.test((e as Error).message));
  assert.not.ok(existsSync(join(root, 'src')));
});

it('TOCTOU: the file is swapped for a symlink after the check; the write fails and the target is untouched', () => {
  const { root, outside } = repo();
  const swap = (): void => {
    rmSync(join(root, 'docs/a.md'));
    symlinkSync(join(outside, 'target.txt'), join(root, 'docs/a.md'));
  };
  assert.throws(() => writeGuarded('docs/a.md', 'evil', ENVELOPE, { repoRoot: root, afterCheck: swap }), (e: unknown) => e instanceof EnvelopeViolation && /became a symlink/.test((e as Error).message));
  assert.is(readFileSync(join(outside, 'target.txt'), 'utf8'), 'untouched');
});

it('TOCTOU: a folder on the path is swapped for a symlink after the check; the write fails and nothing is left outside', () => {
  const { root, outside } = repo();
  const swap = (): void => {
    renameSync(join(root, 'docs'), join(root, 'docs-moved'));
    symlinkSync(outside, join(root, 'docs'));
  };
  assert.throws(() => writeGuarded('docs/created.md', 'evil', ENVELOPE, { repoRoot: root, afterCheck: swap }), (e: unknown) => e instanceof EnvelopeViolation && /changed between its check and its use/.test((e as Error).message));
  assert.not.ok(existsSync(join(outside, 'created.md')), 'the file created through the swapped folder was removed');
  assert.is(readFileSync(join(outside, 'target.txt'), 'utf8'), 'untouched');
});

it('issue 18: the repository root (a symlink) is re-pointed after it was resolved for the checks; the write is refused and neither folder is written', () => {
  const { root } = repo();
  const other = tempDir('lifeos-other-');
  mkdirSync(join(other, 'docs'));
  const link = join(tempDir('lifeos-link-'), 'repo');
  symlinkSync(root, link);
  const resolved = resolveRepoRoot(link);
  writeGuarded('docs/a.md', 'through the link', ENVELOPE, { repoRoot: link, root: resolved });
  assert.is(readFileSync(join(root, 'docs/a.md'), 'utf8'), 'through the link');
  rmSync(link);
  symlinkSync(other, link);
  assert.throws(
    () => writeGuarded('docs/a.md', 'evil', ENVELOPE, { repoRoot: link, root: resolved }),
    (e: unknown) => e instanceof EnvelopeViolation && (e as Error).message.includes(`the repository root ${link} now leads to ${realpathSync(other)}, not ${realpathSync(root)} where the path was checked`),
  );
  assert.is(readFileSync(join(root, 'docs/a.md'), 'utf8'), 'through the link');
  assert.not.ok(existsSync(join(other, 'docs/a.md')));
  writeGuarded('docs/a.md', 'a new resolution sees the new folder', ENVELOPE, { repoRoot: link, root: resolveRepoRoot(link) });
  assert.is(readFileSync(join(other, 'docs/a.md'), 'utf8'), 'a new resolution sees the new folder');
});

it('removeGuarded: an allowed file is removed; a denied one, or one whose folder is swapped for a symlink after the check, is not, and nothing outside is removed', () => {
  const { root, outside } = repo();
  writeFileSync(join(root, 'docs/b.md'), 'b');
  removeGuarded('docs/b.md', ENVELOPE, { repoRoot: root });
  assert.not.ok(existsSync(join(root, 'docs/b.md')));
  removeGuarded('docs/b.md', ENVELOPE, { repoRoot: root });
  writeFileSync(join(root, 'README.md'), 'keep');
  assert.throws(() => removeGuarded('README.md', ENVELOPE, { repoRoot: root }), (e: unknown) => e instanceof EnvelopeViolation && /matches none of the allowed/.test((e as Error).message));
  assert.ok(existsSync(join(root, 'README.md')));
  const swap = (): void => {
    renameSync(join(root, 'docs'), join(root, 'docs-moved'));
    symlinkSync(outside, join(root, 'docs'));
  };
  writeFileSync(join(outside, 'a.md'), 'outside');
  assert.throws(() => removeGuarded('docs/a.md', ENVELOPE, { repoRoot: root, afterCheck: swap }), (e: unknown) => e instanceof EnvelopeViolation && /its folder now leads to/.test((e as Error).message));
  assert.is(readFileSync(join(outside, 'a.md'), 'utf8'), 'outside');
});

it('removeGuarded: a symlink in the repository is removed itself, never the file it points to', () => {
  const { root, outside } = repo();
  symlinkSync('a.md', join(root, 'docs/link.md'));
  removeGuarded('docs/link.md', ENVELOPE, { repoRoot: root });
  assert.not.ok(existsSync(join(root, 'docs/link.md')));
  assert.is(readFileSync(join(root, 'docs/a.md'), 'utf8'), 'before');
  assert.is(readFileSync(join(outside, 'target.txt'), 'utf8'), 'untouched');
});

it.run();
