import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers.ts';

const runner = suite('scripts/run-tests.mjs');

runner('a run that executes no test fails, and still prints the closing line', () => {
  const result = spawnSync(process.execPath, [join(repoRoot, 'scripts/run-tests.mjs'), 'no-test-file-matches-this'], { cwd: repoRoot, encoding: 'utf8' });
  assert.is(result.status, 1);
  assert.match(result.stdout, /\n0 passed, 0 failed, 0 skipped\n$/);
  assert.match(result.stderr, /no test ran/);
});

runner('a passing run ends with "N passed, 0 failed" and exits 0', () => {
  const result = spawnSync(process.execPath, [join(repoRoot, 'scripts/run-tests.mjs'), 'value-type'], { cwd: repoRoot, encoding: 'utf8' });
  assert.is(result.status, 0, result.stderr);
  assert.match(result.stdout, /\n2 passed, 0 failed, 0 skipped\n$/);
});

runner.run();
