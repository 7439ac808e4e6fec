import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from './temp.ts';
import * as assert from 'uvu/assert';
import { readMissionFiles, validateMissionFiles } from '../lib/runtime/mission-library.ts';
import { makeRepo } from './git-repo.ts';
import { cli, codes, repoRoot } from './helpers.ts';

const examples = suite('examples/');

examples('embed-validate-plan.ts registers a host operation, validates and plans docs_review', () => {
  // Imports 'lifeos-mission' as a user would, which resolves to this package's dist/ (npm test builds it first).
  const output = execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'examples/embed-validate-plan.ts')], { cwd: repoRoot, encoding: 'utf8' });
  assert.match(output, /^docs_review v1\.0: 19 operations/);
  assert.match(output, /\n {2}check\[1\] \(operation: spell_check\)\n/);
  assert.match(output, /\n {4}review\/run_seats\[governance\] \(operation: llm_call\)\n/);
});

examples('the example missions are valid, except for the host operations some need registered', () => {
  const { reports } = validateMissionFiles(readMissionFiles([join(repoRoot, 'examples/missions'), join(repoRoot, 'examples/embed')]).files);
  assert.equal(
    reports.map((r) => [r.file.split('/').pop(), codes(r.diagnostics)]),
    [
      ['ask_designer.yaml', []],
      ['changelog.yaml', ['E_UNKNOWN_OPERATION']],
      ['docs_review.yaml', ['E_UNKNOWN_OPERATION']],
    ],
  );
});

examples('issue 17, finding 2: validate --handlers registers the host operations and checks their params at their lines', async () => {
  const handlers = join(repoRoot, 'examples/handlers/changelog.mjs');
  const valid = await cli('validate', '--handlers', handlers, join(repoRoot, 'examples/missions'));
  assert.is(valid.code, 0, valid.stdout);
  assert.is(valid.stdout, "2 files checked: 0 errors, 0 warnings\n");
  const dir = tempDir('changelog-typo-');
  const typo = readFileSync(join(repoRoot, 'examples/missions/changelog.yaml'), 'utf8').replace('      version: "{{version}}"', '      verison: "{{version}}"');
  writeFileSync(join(dir, 'changelog.yaml'), typo);
  const line = typo.split('\n').findIndex((text) => text.includes('verison:')) + 1;
  const bad = await cli('validate', '--handlers', handlers, join(dir, 'changelog.yaml'));
  assert.is(bad.code, 1);
  assert.match(bad.stdout, new RegExp(`changelog\\.yaml:${line}:7: error steps\\[2\\]\\.params\\.verison: operation append_changelog takes no param "verison" \\[E_PARAM_UNKNOWN\\]\\n {4}hint: did you mean "version"\\?`));
  assert.match(bad.stdout, /operation append_changelog needs param "version" \[E_PARAM_MISSING\]\n {4}hint: "verison" is given: did you mean "version"\?/);
  const registry = await cli('validate', '--registry', join(repoRoot, 'examples/handlers/changelog.mjs'), join(repoRoot, 'examples/missions'));
  assert.equal([registry.code, registry.stderr.split('\n')[0]], [2, `lifeos-mission validate: --registry ${join(repoRoot, 'examples/handlers/changelog.mjs')} exports no registry; export \`registry\` (or a default) made with createRegistry()`]);
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
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'dist/cli/lifeos-mission.cjs'), ...args], { cwd: repo, encoding: 'utf8' });
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
