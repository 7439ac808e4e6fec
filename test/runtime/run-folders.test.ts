// Run ids on disk: a full id, or a unique prefix of one, resolved against the run folders.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { sha256 } from '../../lib/core/canonical.ts';
import { RunPreconditionFailed } from '../../lib/core/run-errors.ts';
import { findRunId, RunFolderIndex, runFolders } from '../../lib/runtime/run-folders.ts';
import { DEFAULT_RUN_PATHS } from '../../lib/runtime/run-paths.ts';

const test = suite();

const hexOf = (text: string): string => sha256(text).slice('sha256:'.length);

/** A repository folder with a run folder for each hex id (and whatever else is given). */
function repoWith(folders: readonly string[]): string {
  const repo = tempDir('lifeos-run-folders-');
  for (const folder of folders) mkdirSync(join(repo, DEFAULT_RUN_PATHS.journals, folder), { recursive: true });
  return repo;
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.instance(error, RunPreconditionFailed);
    return (error as Error).message;
  }
  throw new assert.Assertion({ message: 'expected a RunPreconditionFailed', generated: false, operator: 'throws', expects: 'throws', actual: 'returned' });
}

test('a unique prefix of 6 or more digits, bare or after sha256:, resolves to its run', () => {
  const [a, b] = [hexOf('run a'), hexOf('run b')];
  const repo = repoWith([a, b]);
  for (const ref of [a.slice(0, 6), a.slice(0, 12), `sha256:${a.slice(0, 9)}`]) assert.is(findRunId(repo, DEFAULT_RUN_PATHS, ref), `sha256:${a}`, ref);
  assert.is(findRunId(repo, DEFAULT_RUN_PATHS, b.slice(0, 7)), `sha256:${b}`);
});

test('an ambiguous prefix is refused, naming the runs it matches and asking for more digits', () => {
  const repo = repoWith(['abcdef01'.padEnd(64, '1'), 'abcdef02'.padEnd(64, '2'), 'abcdee00'.padEnd(64, '3')]);
  assert.match(refusal(() => findRunId(repo, DEFAULT_RUN_PATHS, 'abcdef')), /^run id prefix abcdef is ambiguous in .*logs\/mission_journals \(abcdef011111, abcdef022222\); give more digits$/);
  assert.is(findRunId(repo, DEFAULT_RUN_PATHS, 'abcdef02'), `sha256:${'abcdef02'.padEnd(64, '2')}`);
});

test('a prefix no run starts with, or something that is not a run id, is refused saying so', () => {
  const repo = repoWith([hexOf('run a')]);
  assert.match(refusal(() => findRunId(repo, DEFAULT_RUN_PATHS, '000000')), /^no run in .*logs\/mission_journals starts with 000000$/);
  assert.match(refusal(() => findRunId(tempDir(), DEFAULT_RUN_PATHS, '000000')), /^no run in .* starts with 000000$/, 'no journals folder at all');
  for (const ref of ['abc12', 'ABCDEF12', 'sha256:xyz123', `${hexOf('x')}0`]) assert.match(refusal(() => findRunId(repo, DEFAULT_RUN_PATHS, ref)), /is not a run id \(sha256:<64 hex>, or at least 6 of its hex digits\)$/, ref);
});

test('a full run id is taken as given, without listing the run folders (it resolves where a listing would fail)', () => {
  const repo = tempDir();
  mkdirSync(join(repo, 'logs'));
  // The journals "folder" is a file: any listing of it throws.
  writeFileSync(join(repo, DEFAULT_RUN_PATHS.journals), '');
  const full = hexOf('run a');
  const index = new RunFolderIndex(repo, DEFAULT_RUN_PATHS);
  assert.is(index.find(full), `sha256:${full}`);
  assert.is(index.find(`sha256:${full}`), `sha256:${full}`);
  assert.throws(() => index.find(full.slice(0, 12)), (error: Error) => (error as NodeJS.ErrnoException).code === 'ENOTDIR');
});

test('an index lists the run folders once, at its first prefix: a run made after that is found by a new index', () => {
  const [a, b] = [hexOf('run a'), hexOf('run b')];
  const repo = repoWith([a]);
  const index = new RunFolderIndex(repo, DEFAULT_RUN_PATHS);
  assert.is(index.find(a.slice(0, 8)), `sha256:${a}`);
  mkdirSync(join(repo, DEFAULT_RUN_PATHS.journals, b));
  assert.match(refusal(() => index.find(b.slice(0, 8))), /^no run in .* starts with/);
  assert.is(new RunFolderIndex(repo, DEFAULT_RUN_PATHS).find(b.slice(0, 8)), `sha256:${b}`);
});

test('among many runs, every prefix resolves to exactly what a scan of all folder names finds', () => {
  // Runs whose ids share long prefixes (so neighbours in the sorted list differ late), and others.
  const names = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? `a0a0a0${hexOf(`near ${i % 30}`).slice(0, 4)}${hexOf(`run ${i}`)}`.slice(0, 64) : hexOf(`run ${i}`)));
  const repo = repoWith([...new Set(names), 'A'.repeat(64), hexOf('short').slice(0, 63)]);
  writeFileSync(join(repo, DEFAULT_RUN_PATHS.journals, 'notes.txt'), '');
  const folders = runFolders(repo, DEFAULT_RUN_PATHS);
  assert.equal(folders, [...new Set(names)].sort(), 'only names of 64 lowercase hex digits are run folders');
  const index = new RunFolderIndex(repo, DEFAULT_RUN_PATHS);
  for (const name of folders) {
    for (const length of [6, 8, 10, 12]) {
      const prefix = name.slice(0, length);
      const matches = folders.filter((folder) => folder.startsWith(prefix));
      let found: string;
      try {
        found = index.find(prefix);
      } catch (error) {
        found = (error as Error).message;
      }
      assert.is(found, matches.length === 1 ? `sha256:${matches[0]}` : refusal(() => findRunId(repo, DEFAULT_RUN_PATHS, prefix)), prefix);
      if (matches.length > 1) assert.match(found, new RegExp(`ambiguous .*\\(${matches.map((m) => m.slice(0, 12)).join(', ')}\\)`), prefix);
    }
  }
  for (const absent of ['000000', 'ffffff', 'a0a0a0ff']) assert.match(refusal(() => index.find(absent)), /^no run in /, absent);
});

test.run();
