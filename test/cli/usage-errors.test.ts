// Issue 17, finding 3: every usage error is one line saying what is wrong (with a did-you-mean
// where one is close) and one usage line pointing at --help, never the whole help or Node's
// parseArgs wording; with --format json, every outcome is one JSON document on stdout.
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { makeRepo } from '../git-repo.ts';
import { cli } from '../helpers.ts';

const it = suite('usage errors (issue 17, finding 3)');

const COMMANDS = ['validate', 'plan', 'run', 'resume', 'recover', 'backlog', 'queue', 'status', 'store', 'baseline', 'verify', 'keygen', 'init'];

/** A usage error as text: exit 2, nothing on stdout, the message line and the usage line on stderr. */
async function textError(argv: string[], message: RegExp): Promise<void> {
  const { code, stdout, stderr } = await cli(...argv);
  assert.is(code, 2, `${argv.join(' ')}: ${stderr}`);
  assert.is(stdout, '', argv.join(' '));
  const lines = stderr.split('\n');
  assert.is(lines.length, 3, `${argv.join(' ')}: two lines and the final newline, got ${JSON.stringify(stderr)}`);
  assert.match(lines[0] ?? '', message, argv.join(' '));
  assert.match(lines[1] ?? '', /^usage: lifeos-mission .*\(`lifeos-mission (\w+ )?--help` for more\)$/, argv.join(' '));
}

/** The same error with --format json: exit 2, one JSON document on stdout with the message. */
async function jsonError(argv: string[], message: RegExp): Promise<void> {
  const { code, stdout } = await cli(...argv, '--format', 'json');
  assert.is(code, 2, argv.join(' '));
  const parsed = JSON.parse(stdout) as { ok: boolean; exit_code: number; error: { kind: string; message: string; usage: string } };
  assert.equal([parsed.ok, parsed.exit_code, parsed.error.kind], [false, 2, 'usage'], argv.join(' '));
  assert.match(parsed.error.message, message, argv.join(' '));
}

it('an unknown option, for every command, with the closest known one when there is one', async () => {
  for (const command of COMMANDS) {
    await textError([command, '--no-such-option'], new RegExp(`^lifeos-mission ${command}: unknown option --no-such-option$`));
    await jsonError([command, '--no-such-option'], /^unknown option --no-such-option$/);
  }
  await textError(['validate', '--frmat', 'json'], /^lifeos-mission validate: unknown option --frmat; did you mean --format\?$/);
  await textError(['run', 'review', '--handler', 'x.mjs'], /: unknown option --handler; did you mean --handlers\?$/);
  await textError(['backlog', 'run', '--max-task', '2'], /: unknown option --max-task; did you mean --max-tasks\?$/);
});

it('an unknown command, a missing option value, a value given to a flag, an argument too many, a bad --format', async () => {
  await textError(['valdate'], /^lifeos-mission: unknown command "valdate"; did you mean "validate"\?$/);
  await jsonError(['valdate'], /^unknown command "valdate"; did you mean "validate"\?$/);
  await textError(['plan', 'review', '--input'], /^lifeos-mission plan: option --input needs a value$/);
  await textError(['validate', '--help=yes'], /^lifeos-mission validate: option --help takes no value$/);
  await textError(['status', 'extra'], /^lifeos-mission status: /);
  await textError(['plan'], /^lifeos-mission plan: name exactly one mission/);
  await textError(['validate', '--format', 'xml', 'missions'], /^lifeos-mission validate: --format must be text, json, github; got "xml"$/);
  await jsonError(['plan'], /^name exactly one mission/);
  for (const flag of ['--until=', '--daily-budget=', '--base=', '--mission= ']) await textError(['backlog', 'run', flag], new RegExp(`^lifeos-mission backlog: option ${flag.replace(/=.*/, '')} needs a value$`));
});

it('--format json: an environment error or a refused run is one JSON document on stdout too, with the exit code and the message', async () => {
  const notRepo = makeRepo();
  const { code, stdout, stderr } = await cli('plan', 'autonomous_build_cycle', '--input', 'x=1', '--format', 'json');
  assert.is(code, 1);
  const parsed = JSON.parse(stdout) as { ok: boolean; exit_code: number; error: { kind: string; message: string } };
  assert.equal([parsed.ok, parsed.exit_code, parsed.error.kind], [false, 1, 'failed']);
  assert.match(parsed.error.message, /input "x" is not declared[\s\S]*\[E_INPUT_UNKNOWN\]/);
  assert.match(stderr, /E_INPUT_UNKNOWN/, 'standard error still has the text');
  const unknown = await cli('resume', 'abcdef123456', '--repo', notRepo, '--format', 'json');
  assert.is(unknown.code, 2);
  assert.is((JSON.parse(unknown.stdout) as { error: { kind: string } }).error.kind, 'environment');
});

it('--format json with --help or --version is one JSON document too', async () => {
  const help = await cli('status', '--help', '--format', 'json');
  assert.is(help.code, 0);
  assert.match((JSON.parse(help.stdout) as { usage: string }).usage, /^Usage: lifeos-mission status/);
  const version = await cli('--version', '--format', 'json');
  assert.match((JSON.parse(version.stdout) as { version: string }).version, /^\d+\.\d+\.\d+/);
});

it.run();
