#!/usr/bin/env node
// Before the tests (pretest): the README's first command installs with --ignore-scripts, which
// skips better-sqlite3's native build (most of a fresh install's time; the demo does not need
// it). The SQLite store tests do: build it here, once, when it is missing or cannot load.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function sqliteLoads() {
  try {
    const Database = require('better-sqlite3');
    new Database(':memory:').close();
    return true;
  } catch {
    return false;
  }
}

if (!sqliteLoads()) {
  console.log('better-sqlite3 has no native build yet (npm ci --ignore-scripts skips it): building it for the SQLite store tests, once');
  execFileSync('npm', ['rebuild', 'better-sqlite3'], { stdio: 'inherit' });
  if (!sqliteLoads()) {
    console.error('better-sqlite3 still does not load: its tests will fail; see the npm rebuild output above');
    process.exitCode = 1;
  }
}
