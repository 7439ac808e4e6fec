// The offline demo (the README's first command): a copy of the hello repository in a temp
// folder, and one run of autonomous_build_cycle replaying the recorded model answers: design,
// council review (4 seats + chair), build, tests, output review, and the steward's commit on a
// feature branch. Then `verify` on the journal, and the commit it made.
//   npm run demo            (builds first)
//   node examples/hello-cycle/demo.mjs [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initRepository } from '../../dist/index.js';
import { createHelloRepo, INPUTS } from './hello-repo.mjs';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'bin.js');
const keep = process.argv.includes('--keep');
const repo = createHelloRepo(mkdtempSync(join(tmpdir(), 'hello-cycle-')), { initRepository });
// Run from inside the copy, so every path printed is relative to it (and still means something
// after the copy is removed).
const lifeos = (...args) => spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', cwd: repo }).status;

console.log(keep ? `hello-cycle: a copy of examples/hello-cycle/repo in ${repo}\n` : 'hello-cycle: a copy of examples/hello-cycle/repo in a temporary folder (removed at the end; run with --keep to keep it)\n');
let status = lifeos('run', 'autonomous_build_cycle', '--repo', '.', '--mode', 'replay', '--inputs', INPUTS);
if (status === 0) {
  const journals = join(repo, 'logs', 'mission_journals');
  const journal = join('logs', 'mission_journals', readdirSync(journals)[0], 'journal.jsonl');
  console.log('');
  status = lifeos('verify', journal);
  console.log('\nThe commit, on its feature branch:');
  console.log(execFileSync('git', ['log', '-1', '--stat', '--format=%h %s%n(on %D)'], { cwd: repo, encoding: 'utf8' }).trimEnd());
}
if (keep || status !== 0) console.log(`\nThe repository is kept in ${repo}`);
else {
  rmSync(repo, { recursive: true, force: true });
  console.log('\nThe copy was removed; run `node examples/hello-cycle/demo.mjs --keep` to keep it and look at its logs/.');
}
process.exit(status ?? 1);
