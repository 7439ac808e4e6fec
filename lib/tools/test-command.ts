/**
 * The test command of a repository when none is given (`test_command: [auto]`, the build
 * cycle's default): found from the files the project's own tools read, first match wins.
 *
 *   package.json with a `test` script (not npm's placeholder)   npm test
 *   pytest.ini, conftest.py, [tool.pytest.ini_options] in pyproject.toml,
 *     [tool:pytest] in setup.cfg, [pytest] in tox.ini              pytest
 *   Cargo.toml                                                  cargo test
 *   go.mod                                                      go test ./...
 *   a Makefile with a `test:` target                            make test
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The value of a test command that asks for detection. */
export const AUTO_TEST_COMMAND = 'auto';

export interface DetectedTestCommand {
  command: string[];
  /** The file it was found from. */
  from: string;
}

const NPM_PLACEHOLDER = /no test specified/;

/** Small files only: a 1 MB package.json is not one a project's tools would read either. */
function read(repoRoot: string, name: string): string | null {
  const path = join(repoRoot, name);
  try {
    const stat = statSync(path);
    return stat.isFile() && stat.size <= 1024 * 1024 ? readFileSync(path, 'utf8') : null;
  } catch {
    return null;
  }
}

export function detectTestCommand(repoRoot: string): DetectedTestCommand | null {
  const pkg = read(repoRoot, 'package.json');
  if (pkg !== null) {
    try {
      const script = (JSON.parse(pkg) as { scripts?: { test?: unknown } }).scripts?.test;
      if (typeof script === 'string' && script.trim() !== '' && !NPM_PLACEHOLDER.test(script)) return { command: ['npm', 'test'], from: 'package.json' };
    } catch {
      // Not JSON: npm could not run it either.
    }
  }
  const pytest: Array<[string, RegExp | null]> = [['pytest.ini', null], ['conftest.py', null], ['pyproject.toml', /^\[tool\.pytest\.ini_options\]/m], ['setup.cfg', /^\[tool:pytest\]/m], ['tox.ini', /^\[pytest\]/m]];
  for (const [name, section] of pytest) {
    const text = read(repoRoot, name);
    if (text !== null && (!section || section.test(text))) return { command: ['pytest'], from: name };
  }
  if (existsSync(join(repoRoot, 'Cargo.toml'))) return { command: ['cargo', 'test'], from: 'Cargo.toml' };
  if (existsSync(join(repoRoot, 'go.mod'))) return { command: ['go', 'test', './...'], from: 'go.mod' };
  const make = read(repoRoot, 'Makefile');
  if (make !== null && /^test\s*:/m.test(make)) return { command: ['make', 'test'], from: 'Makefile' };
  return null;
}

/** What to tell the user when nothing was found. */
export const NO_TEST_COMMAND = 'no test command could be detected (no package.json test script, pytest configuration, Cargo.toml, go.mod or Makefile test target); give one, e.g. --input \'test_command=["npm","test"]\'';

/** `command` as given, or detected when it is [auto]; null when detection found nothing. */
export function resolveTestCommand(command: readonly string[], repoRoot: string): DetectedTestCommand | { command: readonly string[]; from: null } | null {
  if (command.length === 1 && command[0] === AUTO_TEST_COMMAND) return detectTestCommand(repoRoot);
  return { command, from: null };
}
