#!/usr/bin/env node
// Runs the uvu suites under tsx and ends with the closing line CI reads: "N passed, N failed".
// uvu prints only "Total / Passed / Skipped"; this wrapper also fails a run that executed no test.
// Usage: npm test [-- <pattern>]   (pattern: a regular expression; runs the test files whose path matches)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// uvu's package exports do not expose bin.js, so locate it beside this script.
const uvuBin = fileURLToPath(new URL('../node_modules/uvu/bin.js', import.meta.url));
// A user pattern narrows the test files; it never selects fixtures.
const pattern = `${process.argv[2] ?? ''}.*\\.test\\.ts$`;
const colour = process.stdout.isTTY ? [] : ['--no-color'];
// Every temporary file the tests, the library and their child processes make goes under one
// folder of this run (TMPDIR), removed at the end whatever happened: a test that fails, or forgets
// to clean up, leaves nothing behind in the system's temporary folder.
const scratch = mkdtempSync(join(tmpdir(), 'lifeos-tests-'));
const child = spawn(process.execPath, ['--import', 'tsx', uvuBin, 'test', pattern, ...colour], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, TMPDIR: scratch, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' },
});

// Ctrl-C or a CI timeout: pass the signal on and let 'close' below clean up.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));

let output = '';
child.stdout.on('data', (chunk) => {
  output += chunk;
  process.stdout.write(chunk);
});

child.on('close', (code, signal) => {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const count = (label) => Number(plain.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm'))?.[1] ?? 0);
  const total = count('Total');
  const passed = count('Passed');
  const skipped = count('Skipped');
  // A runner that died after its suites passed (or before printing) still counts as a failure.
  const failed = total - passed || (code === 0 ? 0 : 1);
  const left = readdirSync(scratch);
  rmSync(scratch, { recursive: true, force: true });
  if (left.length > 0) process.stdout.write(`\n${left.length} temporary folders the tests left were removed (${left.slice(0, 5).join(', ')}${left.length > 5 ? ', ...' : ''})`);
  process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  if (signal) process.stderr.write(`test runner killed by ${signal}\n`);
  if (total === 0) process.stderr.write('no test ran: that is a failure\n');
  process.exit(code === 0 && total > 0 && failed === 0 ? 0 : 1);
});
