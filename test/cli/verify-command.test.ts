// Issue 14: `lifeos-mission verify` as an auditor relies on it. One real run (the hello cycle,
// replayed: a journal, a completion bundle, a call log), then one tampering per case on a fresh
// copy, each asserted detected with the kind and the field or line named.
import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { createHelloRepo, FIXTURES, INPUTS } from '../../examples/hello-cycle/hello-repo.mjs';
import { initRepository } from '../../lib/runtime/init-repository.ts';
import { runMission } from '../../lib/runtime/runner.ts';
import { cli } from '../helpers.ts';

const scratch = mkdtempSync(join(tmpdir(), 'lifeos-verify-'));
const source = createHelloRepo(join(scratch, 'source'), { initRepository });
cpSync(FIXTURES, join(source, 'logs/agent_calls/cache'), { recursive: true });
const original = await runMission('autonomous_build_cycle', { repoRoot: source, mode: 'replay', inputs: parse(readFileSync(INPUTS, 'utf8')) as Record<string, unknown>, fsync: false, store: false });
const runName = readdirSync(join(source, 'logs/mission_journals'))[0] as string;
let copies = 0;

type Json = Record<string, unknown>;

/** A fresh copy of the repository after the run; `tamper` changes it; `verify` on the run folder. */
async function verifyAfter(tamper: (run: string, repo: string) => void): Promise<{ code: number; stdout: string; stderr: string }> {
  const repo = join(scratch, `copy-${++copies}`);
  cpSync(source, repo, { recursive: true });
  const run = join(repo, 'logs/mission_journals', runName);
  tamper(run, repo);
  return cli('verify', run);
}

function editBundle(run: string, edit: (bundle: Json) => void): void {
  const path = join(run, 'bundle.1.json');
  const bundle = JSON.parse(readFileSync(path, 'utf8')) as Json;
  edit(bundle);
  writeFileSync(path, `${JSON.stringify(bundle, null, 1)}\n`);
}

const it = suite('lifeos-mission verify (issue 14)');

it('an untouched run verifies, as a run folder, a journal, a bundle, or the folder of runs', async () => {
  assert.is(original.status, 'completed');
  for (const path of [join(source, 'logs/mission_journals', runName), original.journalPath, original.bundlePath as string, join(source, 'logs/mission_journals')]) {
    const result = await cli('verify', path);
    assert.is(result.code, 0, `${path}: ${result.stdout}`);
  }
});

it('a path that does not exist is a usage error (exit 2), never "ok, 0 entries"; a folder without journals too', async () => {
  const missing = await cli('verify', join(scratch, 'no-such-journal.jsonl'));
  assert.is(missing.code, 2);
  assert.match(missing.stderr, 'no such file or folder');
  const empty = await cli('verify', mkdtempSync(join(scratch, 'empty-')));
  assert.is(empty.code, 2);
  assert.match(empty.stderr, 'no mission journal');
});

const fieldEdits: Array<[string, (bundle: Json) => void, RegExp]> = [
  ['status', (b) => (b.status = 'failed'), /field status differs from the journal/],
  ['result_commit', (b) => (b.result_commit = '0'.repeat(40)), /field result_commit differs/],
  ['outputs', (b) => ((b.outputs as Json).commit_hash = 'forged'), /field outputs differs/],
  ['final_state_hash', (b) => (b.final_state_hash = `sha256:${'1'.repeat(64)}`), /field final_state_hash differs/],
  ['final_state', (b) => ((b.final_state as Json).head = '2'.repeat(40)), /field final_state differs/],
  ['receipts', (b) => (b.receipts as Json[]).pop(), /field receipts differs/],
  ['escalations', (b) => (b.escalations as Json[]).push({ reason: 'forged' }), /field escalations differs/],
  ['mission', (b) => (b.mission = 'other'), /field mission differs/],
  ['attempt', (b) => (b.attempt = 2), /field attempt differs/],
  ['baseline_commit', (b) => (b.baseline_commit = '3'.repeat(40)), /field baseline_commit differs/],
  ['run_id_audit', (b) => (b.run_id_audit = 'forged'), /field run_id_audit differs/],
  ['run_id dropped', (b) => delete b.run_id, /field run_id is missing/],
  ['an added field', (b) => (b.approved_by_ceo = true), /field approved_by_ceo is not a bundle field/],
  ['journal.entry_count', (b) => ((b.journal as Json).entry_count = 0), /field journal\.entry_count is 0/],
  ['journal.head_hash', (b) => ((b.journal as Json).head_hash = `sha256:${'4'.repeat(64)}`), /field journal\.head_hash/],
  ['journal.entries', (b) => ((b.journal as Json).entries as Json[]).splice(3, 1), /field journal\.entries is not the journal/],
  ['agent_calls', (b) => ((b.agent_calls as Json).entries as Json[]).reverse(), /does not begin with the entries the bundle holds/],
];
for (const [what, edit, pattern] of fieldEdits) {
  it(`a bundle with ${what} changed is reported by field`, async () => {
    const result = await verifyAfter((run) => editBundle(run, edit));
    assert.is(result.code, 1, result.stdout);
    assert.match(result.stdout, /bundle_mismatch: bundle\.1\.json: /);
    assert.match(result.stdout, pattern);
  });
}

const fileTampers: Array<[string, (run: string, repo: string) => void, RegExp]> = [
  ['the bundle deleted', (run) => rmSync(join(run, 'bundle.1.json')), /bundle_missing: attempt 1 finished .* bundle\.1\.json is missing/],
  ['the bundle replaced by "{"', (run) => writeFileSync(join(run, 'bundle.1.json'), '{'), /parse_error: bundle\.1\.json: not a bundle/],
  ['the bundle replaced by {}', (run) => writeFileSync(join(run, 'bundle.1.json'), '{}'), /field journal is missing/],
  ['the bundle renamed', (run) => renameSync(join(run, 'bundle.1.json'), join(run, 'bundle.7.json')), /bundle\.1\.json is missing[\s\S]*no finished attempt 7/],
  [
    "another run's bundle put in its place",
    (run) => editBundle(run, (b) => (b.run_id = `sha256:${'5'.repeat(64)}`)),
    /field run_id differs/,
  ],
  [
    'the journal cut short by its last two lines',
    (run) => {
      const lines = readFileSync(join(run, 'journal.jsonl'), 'utf8').split('\n');
      writeFileSync(join(run, 'journal.jsonl'), `${lines.slice(0, -3).join('\n')}\n`);
    },
    /entries were removed from its end[\s\S]*|no finished attempt 1[\s\S]*entries were removed/,
  ],
  [
    'a line ending in CRLF',
    (run) => {
      const text = readFileSync(join(run, 'journal.jsonl'), 'utf8');
      writeFileSync(join(run, 'journal.jsonl'), text.replace('\n', '\r\n'));
    },
    /journal\.jsonl|:1: parse_error: entry 1 is not written in the journal's canonical form .*ends with CR/,
  ],
  [
    'a number written 5.0 where the writer wrote 5 (the same to JSON.parse, not to another verifier)',
    (run) => {
      const text = readFileSync(join(run, 'journal.jsonl'), 'utf8');
      writeFileSync(join(run, 'journal.jsonl'), text.replace('"seq":5,', '"seq":5.0,'));
    },
    /:5: parse_error: entry 5 is not written in the journal's canonical form/,
  ],
  [
    'the call log cut short',
    (_run, repo) => {
      const dir = join(repo, 'logs/agent_calls');
      const log = readdirSync(dir).find((name) => name.endsWith('.jsonl')) as string;
      const lines = readFileSync(join(dir, log), 'utf8').split('\n');
      writeFileSync(join(dir, log), `${lines.slice(0, 3).join('\n')}\n`);
    },
    /has 3 entries, fewer than the \d+ the bundle holds: it was truncated/,
  ],
];
for (const [what, tamper, pattern] of fileTampers) {
  it(`${what}: detected`, async () => {
    const result = await verifyAfter(tamper);
    assert.is(result.code, 1, result.stdout);
    assert.match(result.stdout, pattern);
  });
}

it.after(() => rmSync(scratch, { recursive: true, force: true }));

it.run();
