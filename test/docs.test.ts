import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from './temp.ts';
import * as assert from 'uvu/assert';
import { BASELINE_USAGE } from '../lib/cli/baseline-command.ts';
import { INIT_USAGE } from '../lib/cli/init-command.ts';
import { PLAN_USAGE } from '../lib/cli/plan-command.ts';
import { QUEUE_USAGE } from '../lib/cli/queue-command.ts';
import { RECOVER_USAGE } from '../lib/cli/recover-command.ts';
import { BACKLOG_USAGE } from '../lib/cli/backlog-command.ts';
import { RESUME_USAGE } from '../lib/cli/resume-command.ts';
import { RUN_USAGE } from '../lib/cli/run-command.ts';
import { STATUS_USAGE } from '../lib/cli/status-command.ts';
import { STORE_USAGE } from '../lib/cli/store-command.ts';
import { VALIDATE_USAGE } from '../lib/cli/validate-command.ts';
import { KEYGEN_USAGE } from '../lib/cli/keygen-command.ts';
import { VERIFY_USAGE } from '../lib/cli/verify-command.ts';
import { DIAGNOSTIC_CODES } from '../lib/core/diagnostics.ts';
import { verifyJournal } from '../lib/runtime/journal.ts';
import { runMission } from '../lib/runtime/runner.ts';
import { makeRepo, mission } from './git-repo.ts';
import { fixturePath, repoRoot } from './helpers.ts';

const docs = suite('docs');
const errorsDoc = readFileSync(join(repoRoot, 'docs/errors.md'), 'utf8');

docs('docs/errors.md documents every diagnostic code, and no code that does not exist', () => {
  const documented = [...errorsDoc.matchAll(/^### ([EW]_[A-Z_]+)$/gm)].map((m) => m[1]).sort();
  assert.equal(documented, Object.keys(DIAGNOSTIC_CODES).sort());
});

docs('every error code reported from mission text has an invalid fixture named after it', () => {
  const fixtures = readdirSync(fixturePath('invalid')).map((name) => name.split(/[-.]/)[0]);
  // Codes that only arise from inputs, object inputs or the file system have tests elsewhere.
  // The role codes depend on the roles known where it is validated (test/cli/validate-params.test.ts).
  const elsewhere = ['E_INPUT_MISSING', 'E_INPUT_UNKNOWN', 'E_FOREACH_NOT_LIST', 'E_TEMPLATE_PATH', 'E_FILE', 'E_SCHEMA', 'W_YAML', 'W_OUTPUT_UNBOUND', 'E_UNKNOWN_ROLE', 'W_UNKNOWN_ROLE', 'E_PLAN_TOO_LARGE', 'E_FILE_ENCODING'];
  for (const code of Object.keys(DIAGNOSTIC_CODES)) {
    if (!elsewhere.includes(code)) assert.ok(fixtures.includes(code), `fixture for ${code}`);
  }
});

docs('the CLI reference has a section for every command and lists every flag its usage text names', () => {
  const cliDoc = readFileSync(join(repoRoot, 'docs/cli.md'), 'utf8');
  const usages = { validate: VALIDATE_USAGE, plan: PLAN_USAGE, run: RUN_USAGE, resume: RESUME_USAGE, recover: RECOVER_USAGE, backlog: BACKLOG_USAGE, queue: QUEUE_USAGE, status: STATUS_USAGE, store: STORE_USAGE, baseline: BASELINE_USAGE, verify: VERIFY_USAGE, keygen: KEYGEN_USAGE, init: INIT_USAGE };
  for (const [command, usage] of Object.entries(usages)) {
    assert.ok(cliDoc.includes(`\n## ${command}\n`), `section for ${command}`);
    for (const flag of usage.match(/--[a-z][a-z-]*/g) ?? []) assert.ok(cliDoc.includes(`\`${flag}`), `${command} ${flag}`);
  }
  assert.ok(cliDoc.includes('--version'));
});

docs('the Python verifier in docs/journal-format.md agrees with verifyJournal and catches an edited entry', async () => {
  const script = /```python\n([\s\S]*?)```/.exec(readFileSync(join(repoRoot, 'docs/journal-format.md'), 'utf8'))?.[1];
  assert.ok(script, 'a python block');
  const scriptPath = join(tempDir('lifeos-doc-'), 'verify.py');
  writeFileSync(scriptPath, script as string);
  const result = await runMission(mission('mission: doc\nversion: "1.0"\ninputs: []\noutputs: []\nsteps: [{id: n, kind: runtime, operation: noop}]\n'), { repoRoot: makeRepo(), fsync: false });
  const expected = verifyJournal(result.journalPath);
  const ok = spawnSync('python3', [scriptPath, result.journalPath], { encoding: 'utf8' });
  assert.is(ok.stdout, `ok: ${expected.entries} entries, head ${expected.headHash}\n`, ok.stderr);
  writeFileSync(result.journalPath, readFileSync(result.journalPath, 'utf8').replace('"kind":"runtime"', '"kind":"human"'));
  const bad = spawnSync('python3', [scriptPath, result.journalPath], { encoding: 'utf8' });
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /line \d+: hash mismatch/);
  // The strict form: both verifiers refuse a CR line end and a number written another way.
  const text = readFileSync(result.journalPath, 'utf8').replace('"kind":"human"', '"kind":"runtime"');
  for (const [what, tampered] of [['CRLF', text.replace('\n', '\r\n')], ['2.0', text.replace('"seq":2,', '"seq":2.0,')]] as const) {
    writeFileSync(result.journalPath, tampered);
    const python = spawnSync('python3', [scriptPath, result.journalPath], { encoding: 'utf8' });
    assert.is(python.status, 1, what);
    assert.match(python.stderr, /not in canonical form/, what);
    assert.not.ok(verifyJournal(result.journalPath).ok, what);
  }
});

docs.run();
