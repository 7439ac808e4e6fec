import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers.ts';

// The executable (dist/cli/lifeos-mission.cjs) runs `validate` from one CommonJS bundle with V8's
// code cache, and every other command through the ES module CLI (dist/cli/bin.js). Both are
// built before the tests (pretest); these tests check that the two give the same results.
const launcher = suite('the lifeos-mission executable');
const executable = join(repoRoot, 'dist/cli/lifeos-mission.cjs');
const esmCli = join(repoRoot, 'dist/cli/bin.js');

function run(entry: string, args: string[], env: Record<string, string> = {}) {
  const child = spawnSync(process.execPath, [entry, ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

const CASES: Array<[string, string[]]> = [
  ['the built-in missions', ['validate', 'missions/']],
  ['a mission with fourteen mistakes', ['validate', 'test/fixtures/many-mistakes/typos.yaml']],
  ['the same as JSON', ['validate', '--format', 'json', 'test/fixtures/many-mistakes/typos.yaml']],
  ['GitHub annotations of YAML errors', ['validate', '--format', 'github', 'test/fixtures/invalid/E_YAML_DUPLICATE_KEY.yaml', 'test/fixtures/invalid/E_YAML_ALIAS_LIMIT.yaml']],
  ['host operations from --handlers', ['validate', '--handlers', 'examples/handlers/changelog.mjs', 'examples/missions/']],
  ['a usage error', ['validate', '--frmat', 'json']],
  ['a usage error as JSON', ['validate', '--format', 'json', '--frmat']],
  ['the help', ['validate', '--help']],
  ['a path that does not exist', ['validate', 'no-such-folder/']],
];

for (const [name, args] of CASES) {
  launcher(`validate gives what the ES module CLI gives: ${name}`, () => {
    const fast = run(executable, args);
    const reference = run(esmCli, args);
    assert.equal(fast, reference);
  });
}

launcher('validate starts from the code cache the build wrote', () => {
  const result = run(executable, ['validate', 'missions/'], { LIFEOS_CODE_CACHE: 'report' });
  assert.is(result.status, 0, result.stderr);
  assert.match(result.stderr, /^code cache: used\n$/);
});

launcher('a missing, corrupt, truncated or stale code cache is rejected, and validate still reports every problem', () => {
  // A copy of the executable beside the real dist/ (its package root and node_modules stay the same).
  const copy = mkdtempSync(join(repoRoot, 'dist', 'launcher-test-'));
  try {
    const cli = join(copy, 'cli');
    spawnSync('mkdir', [cli]);
    for (const file of ['lifeos-mission.cjs', 'validate.cjs']) copyFileSync(join(repoRoot, 'dist/cli', file), join(cli, file));
    const args = ['validate', 'test/fixtures/many-mistakes/typos.yaml'];
    const reference = run(esmCli, args);
    const cache = readFileSync(join(repoRoot, 'dist/cli/validate.cjs.cache'));
    const corrupt = Buffer.from(cache);
    for (let at = 64; at < corrupt.length; at += 97) corrupt[at] = (corrupt[at] as number) ^ 0xff;
    const variants: Array<[string, Buffer | undefined, string]> = [
      ['missing', undefined, 'none'],
      ['corrupt', corrupt, 'rejected'],
      ['truncated', cache.subarray(0, cache.length >> 1), 'rejected'],
    ];
    for (const [label, bytes, status] of variants) {
      rmSync(join(cli, 'validate.cjs.cache'), { force: true });
      if (bytes) writeFileSync(join(cli, 'validate.cjs.cache'), bytes);
      const result = run(join(cli, 'lifeos-mission.cjs'), args, { LIFEOS_CODE_CACHE: 'report' });
      assert.is(result.status, reference.status, label);
      assert.is(result.stdout, reference.stdout, label);
      assert.is(result.stderr, `${reference.stderr}code cache: ${status}\n`, label);
    }
    // A cache of another build, though the scripts have the same length (which is all V8 compares).
    writeFileSync(join(cli, 'validate.cjs.cache'), cache);
    const script = readFileSync(join(cli, 'validate.cjs'), 'utf8');
    const id = /^"use strict";\/\*build ([0-9a-f]{16})\*\//.exec(script)?.[1] as string;
    assert.ok(id, 'validate.cjs names its build on its first line');
    writeFileSync(join(cli, 'validate.cjs'), script.replace(id, id.split('').reverse().join('')));
    const stale = run(join(cli, 'lifeos-mission.cjs'), args, { LIFEOS_CODE_CACHE: 'report' });
    assert.equal([stale.status, stale.stdout, stale.stderr], [reference.status, reference.stdout, `${reference.stderr}code cache: rejected\n`]);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

launcher('every other command goes to the ES module CLI', () => {
  assert.equal(run(executable, ['--version']), run(esmCli, ['--version']));
  assert.equal(run(executable, ['validte']), run(esmCli, ['validte']));
  const planned = run(executable, ['plan', 'review', '--input', 'subject_packet={}', '--input', 'review_type=build_review']);
  assert.is(planned.status, 0, planned.stderr);
  assert.match(planned.stdout, /^plan review v1\.0/);
});

launcher.run();
