import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from './temp.ts';
import * as assert from 'uvu/assert';
import { readMissionFiles, validateMissionFiles } from '../lib/runtime/mission-library.ts';
import { makeRepo } from './git-repo.ts';
import { codes, repoRoot } from './helpers.ts';

const examples = suite('examples/');

examples('embed-validate-plan.ts registers a host operation, validates and plans docs_review', () => {
  // Imports 'lifeos-mission' as a user would, which resolves to this package's dist/ (npm ci builds it).
  const output = execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'examples/embed-validate-plan.ts')], { cwd: repoRoot, encoding: 'utf8' });
  assert.match(output, /^docs_review v1\.0: 19 operations/);
  assert.match(output, /\n {2}check\[1\] \(operation: spell_check\)\n/);
  assert.match(output, /\n {4}review\/run_seats\[governance\] \(operation: llm_call\)\n/);
});

examples('the example missions are valid, except for the host operations some need registered', () => {
  const { reports } = validateMissionFiles(readMissionFiles([join(repoRoot, 'examples/missions')]).files);
  assert.equal(
    reports.map((r) => [r.file.split('/').pop(), codes(r.diagnostics)]),
    [
      ['ask_designer.yaml', []],
      ['changelog.yaml', ['E_UNKNOWN_OPERATION']],
      ['docs_review.yaml', ['E_UNKNOWN_OPERATION']],
    ],
  );
});

examples('embed-run.ts runs changelog.yaml with its host handler, approves it in code, and audits the journal', () => {
  const output = execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'examples/embed-run.ts')], { cwd: repoRoot, encoding: 'utf8' });
  assert.match(output, /status: awaiting_human \(step approve waits for a decision\)\n/);
  assert.match(output, /status: completed, outputs: \{"written":\{"file":"CHANGELOG.md","entries":2\}\}\n# Changelog\n\n## 1\.2\.0\n\n- Faster plans\n- Fix: resume by run id prefix\n/);
  assert.match(output, /journal: verifies, \d+ entries\n/);
  assert.match(output, /append +append_changelog +completed\n/);
});

examples('the documented CLI run of changelog.yaml with --handlers pauses for approval, and resume --approve writes CHANGELOG.md', () => {
  const repo = makeRepo({ 'CHANGELOG.md': '# Changelog\n' });
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'dist/cli/bin.js'), ...args], { cwd: repo, encoding: 'utf8' });
  const handlers = ['--handlers', join(repoRoot, 'examples/handlers/changelog.mjs')];
  const paused = cli('run', join(repoRoot, 'examples/missions/changelog.yaml'), ...handlers, '--input', 'version=1.2.0', '--input', 'entries=["Faster plans"]');
  assert.is(paused.status, 1, paused.stderr);
  const runId = /resume ([0-9a-f]{12}) --approve/.exec(paused.stdout)?.[1] as string;
  const done = cli('resume', runId, '--approve', '--by', 'release-manager', ...handlers);
  assert.is(done.status, 0, done.stdout + done.stderr);
  assert.match(done.stdout, /✓ append +append_changelog +completed/);
  assert.is(readFileSync(join(repo, 'CHANGELOG.md'), 'utf8'), '# Changelog\n\n## 1.2.0\n\n- Faster plans\n');
});

examples('hello-cycle/demo.mjs (npm run demo) runs the whole cycle offline, commits on a branch and verifies the journal', () => {
  const demo = spawnSync(process.execPath, [join(repoRoot, 'examples/hello-cycle/demo.mjs')], { cwd: repoRoot, encoding: 'utf8' });
  assert.is(demo.status, 0, demo.stdout + demo.stderr);
  assert.match(demo.stdout, /✓ steward +mission +completed/);
  assert.match(demo.stdout, /completed: mission autonomous_build_cycle/);
  assert.match(demo.stdout, /journal\.jsonl: ok, \d+ entries/);
  assert.match(demo.stdout, /add-greet: Add greet\(name\) with a test\n\(on HEAD -> lifeos\/add-greet\)/);
});

examples.run();
