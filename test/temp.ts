// Temporary folders for tests, and the uvu suites that remove them. A folder made during a test
// is removed when that test ends, passed or failed (uvu runs after.each hooks on failure too);
// one made outside a test (a file's shared fixture) when the test process exits. npm test also
// points TMPDIR at one folder it removes at the end (scripts/run-tests.mjs), for what the
// library and child processes make.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite as uvuSuite, type Test } from 'uvu';

const ofTest: string[] = [];
const ofProcess: string[] = [];
let inTest = false;

/** A new empty folder in the temporary directory, removed when the test (or the process) ends. */
export function tempDir(prefix = 'lifeos-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  (inTest ? ofTest : ofProcess).push(dir);
  return dir;
}

function removeAll(dirs: string[]): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

process.on('exit', () => removeAll(ofProcess));

/** A uvu suite whose every test removes the temporary folders it made. */
export function suite(name?: string): Test {
  const tests = uvuSuite(name);
  tests.before.each(() => {
    inTest = true;
  });
  tests.after.each(() => {
    inTest = false;
    removeAll(ofTest);
  });
  return tests;
}
