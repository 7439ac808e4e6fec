import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DIAGNOSTIC_CODES } from '../lib/core/diagnostics.ts';
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
  const elsewhere = ['E_INPUT_MISSING', 'E_INPUT_UNKNOWN', 'E_FOREACH_NOT_LIST', 'E_TEMPLATE_PATH', 'E_FILE', 'E_SCHEMA', 'W_YAML', 'W_OUTPUT_UNBOUND'];
  for (const code of Object.keys(DIAGNOSTIC_CODES)) {
    if (!elsewhere.includes(code)) assert.ok(fixtures.includes(code), `fixture for ${code}`);
  }
});

docs('the CLI reference lists every flag the commands accept', () => {
  const cliDoc = readFileSync(join(repoRoot, 'docs/cli.md'), 'utf8');
  for (const flag of ['--format', '--missions', '--input', '--inputs', '--help', '--version']) assert.ok(cliDoc.includes(flag), flag);
});

docs.run();
