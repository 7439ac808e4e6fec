import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { runMission } from '../../lib/runtime/runner.ts';
import { makeRepo, mission } from '../git-repo.ts';
import { cli, fixturePath, repoRoot } from '../helpers.ts';

const invalid = fixturePath('invalid');
const validate = suite('lifeos-mission validate');

validate('exit 0 and a summary for valid missions', async () => {
  const { code, stdout } = await cli('validate', join(repoRoot, 'missions'));
  assert.is(code, 0);
  assert.is(stdout, '5 files checked: 0 errors, 0 warnings\n');
});

validate('exit 1 with file:line:col: severity message [code] and a hint line', async () => {
  const { code, stdout } = await cli('validate', join(invalid, 'E_UNKNOWN_OPERATION.yaml'));
  assert.is(code, 1);
  assert.ok(stdout.includes(`${join(invalid, 'E_UNKNOWN_OPERATION.yaml')}:9:16: error steps[0].operation: unknown operation "tool_invok" [E_UNKNOWN_OPERATION]\n    hint: did you mean "tool_invoke"?\n`), stdout);
  assert.match(stdout, /1 file checked: 1 error, 0 warnings\n$/);
});

validate('checks a whole folder and reports every problem at once', async () => {
  const { code, stdout } = await cli('validate', invalid);
  assert.is(code, 1);
  const files = readdirSync(invalid).length;
  assert.match(stdout, new RegExp(`${files} files checked: \\d+ errors`));
  assert.ok((stdout.match(/ error /g) ?? []).length > files);
});

validate('--format json prints one JSON document', async () => {
  const { code, stdout } = await cli('validate', '--format', 'json', join(invalid, 'E_ENUM.yaml'), join(repoRoot, 'missions', 'design.yaml'));
  assert.is(code, 1);
  const report = JSON.parse(stdout) as { ok: boolean; summary: { files: number; errors: number }; files: Array<{ file: string; diagnostics: Array<Record<string, unknown>> }> };
  assert.is(report.ok, false);
  assert.equal(report.summary, { files: 2, errors: 1, warnings: 0 });
  assert.equal(report.files[0]?.diagnostics[0], {
    severity: 'error',
    code: 'E_ENUM',
    message: 'steps[0].kind: "runtim" is not one of "runtime", "mission" or "human"',
    path: '/steps/0/kind',
    file: join(invalid, 'E_ENUM.yaml'),
    line: 8,
    column: 11,
    hint: 'did you mean "runtime"?',
  });
});

validate('--format github prints workflow annotations with escaped fields', async () => {
  const { stdout } = await cli('validate', '--format', 'github', join(invalid, 'E_UNKNOWN_REF.yaml'));
  const file = join(invalid, 'E_UNKNOWN_REF.yaml');
  assert.ok(
    stdout.startsWith(`::error file=${file},line=12,col=28,title=E_UNKNOWN_REF::steps[0].params.prompt: {{task_spek}}: unknown name "task_spek" (hint: did you mean "task_spec"?)\n`),
    stdout,
  );
});

validate('exit 2 for a missing path, an unknown flag or a bad format', async () => {
  const missing = await cli('validate', '/nonexistent.yaml');
  assert.is(missing.code, 2);
  assert.match(missing.stdout, /E_FILE/);
  const flag = await cli('validate', '--frmat', 'json');
  assert.is(flag.code, 2);
  assert.is(flag.stderr, 'lifeos-mission validate: unknown option --frmat; did you mean --format?\nusage: lifeos-mission validate [files|folders...] [options]  (`lifeos-mission validate --help` for more)\n');
  assert.is((await cli('validate', '--format', 'xml', 'missions')).code, 2);
});

validate('issue 17, finding 6: a file that is not valid UTF-8 is an error with the offset and line of the first bad byte, never read with it replaced', async () => {
  const file = join(tempDir('not-utf8-'), 'latin1.yaml');
  writeFileSync(file, Buffer.concat([Buffer.from('mission: caf\u00e9\nversion: "1.0"\n# '), Buffer.from([0xff]), Buffer.from(' here\n')]));
  const { code, stdout } = await cli('validate', file);
  assert.is(code, 1);
  assert.is(stdout, `${file}:3:1: error the file is not valid UTF-8: the byte at offset 32 starts no character [E_FILE_ENCODING]\n    hint: save the file as UTF-8\n1 file checked: 1 error, 0 warnings\n`);
});

validate('--missions registers a folder of missions for kind: mission steps', async () => {
  const lib = tempDir('lifeos-lib-');
  const work = tempDir('lifeos-work-');
  writeFileSync(join(lib, 'shared.yaml'), 'mission: shared\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - {id: n, kind: runtime, operation: noop}\n');
  writeFileSync(join(work, 'uses.yaml'), 'mission: uses\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - {id: s, kind: mission, mission: shared}\n');
  assert.is((await cli('validate', work)).code, 1);
  assert.is((await cli('validate', '--missions', lib, work)).code, 0);
});

validate.run();

const plan = suite('lifeos-mission plan');

plan('prints the plan tree of a built-in mission with --input values parsed as JSON or text', async () => {
  const { code, stdout } = await cli('plan', 'review', '--input', 'subject_packet={"summary":"s"}', '--input', 'review_type=build_review');
  assert.is(code, 0);
  assert.match(stdout, /^plan review v1\.0 {2}sha256:/);
  assert.match(stdout, /inputs: subject_packet=\{"summary":"s"\}, review_type="build_review"/);
  assert.match(stdout, /run_seats +fan-out x4 over seat\n +├─ \[architect\] +llm_call role=reviewer_architect {2}\[read-only\]/);
});

plan('a test step left to detection ([auto], the cycle\'s default) shows what it finds in the current folder', async () => {
  // The tests run from this repository, whose package.json has a test script.
  const { code, stdout } = await cli('plan', 'autonomous_build_cycle', '--input', 'task_spec=x');
  assert.is(code, 0);
  assert.match(stdout, /\ntest command \[auto\]: `npm test` \(from package\.json here\)\n$/);
  const given = await cli('plan', 'autonomous_build_cycle', '--input', 'task_spec=x', '--input', 'test_command=["node","--test"]');
  assert.not.match(given.stdout, /test command \[auto\]/);
});

plan('--format json prints the ExecutionPlan; --inputs reads a YAML file', async () => {
  const { code, stdout } = await cli('plan', 'autonomous_build_cycle', '--inputs', join(repoRoot, 'examples/inputs/build-cycle.yaml'), '--format', 'json');
  assert.is(code, 0);
  const parsed = JSON.parse(stdout) as { mission: string; inputs: { context_refs: string[] }; counts: { operations: number } };
  assert.is(parsed.mission, 'autonomous_build_cycle');
  assert.equal(parsed.inputs.context_refs, ['README.md', 'package.json']);
  assert.is(parsed.counts.operations, 91);
});

plan('exit 1 with diagnostics for invalid inputs', async () => {
  const { code, stderr } = await cli('plan', 'design', '--input', 'task_spec=3', '--input', 'context_ref=1');
  assert.is(code, 1);
  assert.match(stderr, /error input "task_spec" \(str\): expected a string, got number 3 \[E_INPUT_TYPE\]/);
  assert.match(stderr, /input "context_ref" is not declared[^\n]*\[E_INPUT_UNKNOWN\]\n {4}hint: did you mean "context_refs"\?/);
});

plan('exit 1 for an invalid mission file, 2 for usage errors', async () => {
  assert.is((await cli('plan', join(invalid, 'E_FORWARD_REF.yaml'))).code, 1);
  assert.is((await cli('plan')).code, 2);
  assert.is((await cli('plan', 'design', '--input', 'no-equals-sign')).code, 2);
  assert.is((await cli('plan', 'nonexistent_mission')).code, 2);
});

plan.run();

const process_ = suite('lifeos-mission as a real process');
const bin = join(repoRoot, 'lib/cli/bin.ts');
const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', bin, ...args], { cwd: repoRoot, encoding: 'utf8' });

process_('exit codes reach the shell: 0, 1, 2', () => {
  assert.is(run(['validate']).status, 0, 'defaults to ./missions');
  assert.is(run(['validate', 'test/fixtures/invalid/E_ENUM.yaml']).status, 1);
  assert.is(run(['frobnicate']).status, 2);
});

process_('--version and --help print and exit 0', () => {
  const version = execFileSync(process.execPath, ['--import', 'tsx', bin, '--version'], { cwd: repoRoot, encoding: 'utf8' });
  assert.match(version, /^\d+\.\d+\.\d+\n$/);
  assert.match(execFileSync(process.execPath, ['--import', 'tsx', bin, 'validate', '--help'], { encoding: 'utf8' }), /Usage: lifeos-mission validate/);
});

process_('the executable (dist/cli/lifeos-mission.cjs and the bundles it starts, built before the tests by pretest) finds the built-in missions and its version from its chunks', () => {
  const bundled = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'dist/cli/lifeos-mission.cjs'), ...args], { cwd: tmpdir(), encoding: 'utf8' });
  const planned = bundled('plan', 'autonomous_build_cycle', '--input', 'task_spec=x');
  assert.is(planned.status, 0, planned.stderr);
  assert.match(planned.stdout, /^plan autonomous_build_cycle v1\.0/);
  assert.match(bundled('--version').stdout, /^\d+\.\d+\.\d+\n$/);
  const runHelp = bundled('run', '--help');
  assert.is(runHelp.status, 0, runHelp.stderr);
});

process_('a reader that goes away (| head) is not a crash: the command ends with its own exit code and no stack trace', async () => {
  // The plan of the full cycle is longer than a pipe holds; the read end is closed before it is written.
  const child = spawn(process.execPath, [join(repoRoot, 'dist/cli/lifeos-mission.cjs'), 'plan', 'autonomous_build_cycle', '--input', 'task_spec=x', '--format', 'json'], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  assert.is(stderr, '');
  assert.is(code, 0);
});

process_.run();

const verify = suite('lifeos-mission verify');

verify('exit 0 for a journal and its bundle; exit 1 with file:line: kind for a tampered journal', async () => {
  const repo = makeRepo();
  const result = await runMission(mission('mission: v\nversion: "1.0"\ninputs: []\noutputs: []\nsteps: [{id: n, kind: runtime, operation: noop}]\n'), { repoRoot: repo });
  const ok = await cli('verify', result.journalPath, result.bundlePath as string);
  assert.is(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /journal.jsonl: ok, \d+ entries, head sha256:/);
  const text = readFileSync(result.journalPath, 'utf8');
  writeFileSync(result.journalPath, text.replace('"status":"completed"', '"status":"failed"'));
  const bad = await cli('verify', '--format', 'json', result.journalPath);
  assert.is(bad.code, 1);
  const [report] = JSON.parse(bad.stdout);
  assert.is(report.errors[0].kind, 'hash_mismatch');
  assert.is(report.errors[0].line, text.split('\n').findIndex((line) => line.includes('"status":"completed"')) + 1);
});

verify.run();
