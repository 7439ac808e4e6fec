import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readMissionFiles, validateMissionFiles } from '../lib/runtime/mission-library.ts';
import { codes, repoRoot } from './helpers.ts';

const examples = suite('examples/');

examples('embed-validate-plan.ts registers a host operation, validates and plans docs_review', () => {
  // Imports 'lifeos-mission' as a user would, which resolves to this package's dist/ (npm ci builds it).
  const output = execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'examples/embed-validate-plan.ts')], { cwd: repoRoot, encoding: 'utf8' });
  assert.match(output, /^docs_review v1\.0: 10 operations/);
  assert.match(output, /\n {2}check\[1\] \(operation: spell_check\)\n/);
  assert.match(output, /\n {4}review\/run_seats\[governance\] \(operation: llm_call\)\n/);
});

examples('docs_review.yaml is valid except for the host operation it needs registered', () => {
  const { reports } = validateMissionFiles(readMissionFiles([join(repoRoot, 'examples/missions')]).files);
  assert.equal(reports.map((r) => codes(r.diagnostics)), [['E_UNKNOWN_OPERATION']]);
});

examples.run();
