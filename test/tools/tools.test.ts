// The tool_invoke back ends on real git repositories and real child processes.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { EnvelopeViolation } from '../../lib/core/governance-errors.ts';
import { EscalationRequired } from '../../lib/core/run-errors.ts';
import { executeBuild } from '../../lib/tools/coding-agent.ts';
import { readFiles, updateState, writeFiles } from '../../lib/tools/filesystem.ts';
import { add, commit, diffStat, status } from '../../lib/tools/git.ts';
import { runTests } from '../../lib/tools/test-runner.ts';
import { git, makeRepo, repoFingerprint } from '../git-repo.ts';
import { rejects } from '../helpers.ts';
import { toolContext } from '../tool-context.ts';

const test = suite();

const context = toolContext;

test('read_files returns contents inside the envelope, refuses a file over max_file_bytes with its size, and a denied path', () => {
  const repo = makeRepo({ 'docs/a.md': 'alpha\n', 'src/big.txt': 'x'.repeat(2000) });
  const docsOnly = context(repo, [{ allowed_paths: ['docs/**'] }]);
  assert.equal(readFiles({ paths: ['docs/a.md'] }, docsOnly).files, [{ path: 'docs/a.md', content: 'alpha\n', bytes: 6 }]);
  assert.throws(() => readFiles({ paths: ['src/big.txt'], max_file_bytes: 1000 }, context(repo)), /2000 bytes, over max_file_bytes \(1000\)/);
  assert.throws(() => readFiles({ paths: ['src/big.txt'] }, docsOnly), (error: unknown) => error instanceof EnvelopeViolation);
});

test('write_files writes nothing when one path is refused, and never a protected file', () => {
  const repo = makeRepo();
  const before = repoFingerprint(repo);
  const files = [{ path: 'src/ok.txt', content: 'fine' }, { path: 'config/models.yaml', content: 'roles: {}' }];
  assert.throws(() => writeFiles({ files }, context(repo)), (error: unknown) => error instanceof EnvelopeViolation && /config\/models\.yaml/.test(error.message));
  assert.is(repoFingerprint(repo), before);
  writeFiles({ files: [files[0]] }, context(repo, [{ allowed_paths: ['src/**'] }]));
  assert.is(readFileSync(join(repo, 'src/ok.txt'), 'utf8'), 'fine');
});

test('update_state ticks the backlog item and records it as done; an unknown task is an error naming the file', () => {
  const repo = makeRepo({ 'BACKLOG.md': '# Backlog\n\n- [ ] First task\n- [ ] Second task\n' });
  assert.equal(updateState({ task: 'Second task' }, context(repo)).changed, ['BACKLOG.md', 'LIFEOS_STATE.md']);
  assert.is(readFileSync(join(repo, 'BACKLOG.md'), 'utf8'), '# Backlog\n\n- [ ] First task\n- [x] Second task\n');
  assert.match(readFileSync(join(repo, 'LIFEOS_STATE.md'), 'utf8'), '## Done\n- Second task\n');
  assert.throws(() => updateState({ task: 'Third task' }, context(repo)), /no open item "- \[ \] Third task" \(or "TODO: Third task"\) in BACKLOG\.md/);
});

test('git: a path that looks like an option is a path; commit takes exactly the listed paths on a new branch', () => {
  const repo = makeRepo();
  writeFileSync(join(repo, '--all'), 'a file named like an option\n');
  writeFileSync(join(repo, 'extra.txt'), 'not listed\n');
  assert.equal(diffStat({}, context(repo)).paths.sort(), ['--all', 'extra.txt']);
  add({ paths: ['--all'] }, context(repo));
  assert.is(git(repo, 'diff', '--cached', '--name-only').trim(), '--all');
  const made = commit({ message: 'add the file', branch: 'lifeos/Option Named File', paths: [['--all']] }, context(repo));
  assert.equal([made.branch, made.files], ['lifeos/option-named-file', ['--all']]);
  assert.equal(status({}, context(repo)).files.map((f) => f.path), ['extra.txt']);
  assert.throws(() => status({ expect_clean: true }, context(repo)), /not clean: \?\? extra\.txt/);
});

test('git commit refuses when the index holds files outside its paths', () => {
  const repo = makeRepo();
  writeFileSync(join(repo, 'a.txt'), 'a\n');
  writeFileSync(join(repo, 'b.txt'), 'b\n');
  add({ paths: ['a.txt', 'b.txt'] }, context(repo));
  assert.throws(() => commit({ message: 'm', paths: ['a.txt'] }, context(repo)), /outside the commit's paths: b\.txt/);
});

test('the test tool retries once, then escalates with both outputs; on success it reports the command', async () => {
  const repo = makeRepo({ 'count.mjs': "import { appendFileSync, readFileSync } from 'node:fs'; appendFileSync('runs', 'x'); console.log('run', readFileSync('runs', 'utf8').length); process.exit(1);\n" });
  await rejects(
    () => runTests({ command: [process.execPath, 'count.mjs'] }, context(repo)),
    (error) => error instanceof EscalationRequired && /tests failed after 2 attempt\(s\)/.test(error.message) && (error.evidence.attempts as unknown[]).length === 2,
  );
  assert.is(readFileSync(join(repo, 'runs'), 'utf8'), 'xx');
  const passed = await runTests({ command: [process.execPath, '-e', 'console.log("ok")'] }, context(repo));
  assert.equal([passed.passed, passed.attempts, passed.output_tail], [true, 1, 'ok']);
});

test('coding_agent: the agent works in its own worktree; its change is applied only after every path passes the envelope', async () => {
  const repo = makeRepo({ 'src/app.txt': 'v1\n' });
  const agent = join(tempDir('lifeos-agent-script-'), 'agent.sh');
  writeFileSync(agent, '#!/bin/sh\nprintf "v2\\n" > src/app.txt\nmkdir -p docs && echo notes > docs/notes.md\n[ -n "$WRITE_PROTECTED" ] && mkdir -p config && echo hacked > config/models.yaml\nexit 0\n');
  chmodSync(agent, 0o755);
  const applied = await executeBuild({ command: [agent], instruction: { summary: 'bump' } }, context(repo, [{ allowed_paths: ['src/**', 'docs/**'] }]));
  assert.equal(applied.changed.map((c) => c.path).sort(), ['docs/notes.md', 'src/app.txt']);
  assert.is(readFileSync(join(repo, 'src/app.txt'), 'utf8'), 'v2\n');
  assert.is(git(repo, 'worktree', 'list').trim().split('\n').length, 1, 'no worktree of the repository is used');

  const clean = makeRepo({ 'src/app.txt': 'v1\n' });
  const before = repoFingerprint(clean);
  // The agent sees the variable only because the host passes it by name.
  await rejects(
    () => executeBuild({ command: [agent] }, context(clean, [{ allowed_paths: ['src/**', 'docs/**', 'config/**'] }], { child_env: { set: { WRITE_PROTECTED: '1' } } })),
    (error) => error instanceof EnvelopeViolation && /config\/models\.yaml/.test(error.message),
  );
  assert.is(repoFingerprint(clean), before, 'nothing applied');
  assert.not.ok(existsSync(join(clean, 'docs')));
});

test.run();
