// Issue 14: `lifeos-mission verify` as an auditor relies on it. Two real runs in one repository,
// their anchors signed with a key made by `keygen`: the hello cycle (replayed: a journal, a
// completion bundle, a call log) and a run paused at a human step. Then one tampering per case
// on a fresh copy, each asserted detected with the kind and the field or line named.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { createHelloRepo, FIXTURES, INPUTS } from '../../examples/hello-cycle/hello-repo.mjs';
import { sealEntry, type JournalEntry } from '../../lib/core/journal-chain.ts';
import { ANCHOR_LOG_ID, anchorPayload } from '../../lib/runtime/anchor-log.ts';
import { initRepository } from '../../lib/runtime/init-repository.ts';
import { JournalWriter } from '../../lib/runtime/journal.ts';
import { resumeMission, runMission } from '../../lib/runtime/runner.ts';
import { resolveRunPaths } from '../../lib/runtime/run-paths.ts';
import { openStateStore } from '../../lib/runtime/store/open-store.ts';
import { generateSigningKey, loadSigningKey, signWith } from '../../lib/runtime/signing.ts';
import { decisionContentHash } from '../../lib/core/run-state.ts';
import { stateHash } from '../../lib/runtime/git-state.ts';
import { failingOnce, makeRepo, mission, missionYaml, PACKET_THEN_ASK, writeFileHandler } from '../git-repo.ts';
import { cli, rejects, repoRoot } from '../helpers.ts';

const scratch = tempDir('lifeos-verify-');
const key = join(scratch, 'keys/signing-key.pem');
const keygen = await cli('keygen', '--out', key);
const source = createHelloRepo(join(scratch, 'source'), { initRepository });
cpSync(FIXTURES, join(source, 'logs/agent_calls/cache'), { recursive: true });
const original = await runMission('autonomous_build_cycle', { repoRoot: source, mode: 'replay', inputs: parse(readFileSync(INPUTS, 'utf8')) as Record<string, unknown>, fsync: false, store: false, signingKey: key });
const paused = await runMission(mission(PACKET_THEN_ASK), { repoRoot: source, handlers: [writeFileHandler], fsync: false, store: false, signingKey: key });
const runName = original.runId.slice('sha256:'.length);
const pausedName = paused.runId.slice('sha256:'.length);
let copies = 0;

type Json = Record<string, unknown>;

/** A fresh copy of the repository after the runs; `tamper` changes it; `verify` on the run folder (or `target`), with `args`. */
async function verifyAfter(
  tamper: (run: string, repo: string) => void,
  args: string[] = [],
  target: (run: string, repo: string) => string = (run) => run,
  argsFor: (repo: string) => string[] = () => args,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const repo = join(scratch, `copy-${++copies}`);
  cpSync(source, repo, { recursive: true });
  const run = join(repo, 'logs/mission_journals', runName);
  tamper(run, repo);
  return cli('verify', target(run, repo), ...argsFor(repo));
}

const readEntries = (path: string): JournalEntry[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as JournalEntry);

/** Write entries as a journal whose chain is recomputed from the first entry: what a forger with write access does. */
function writeChained(path: string, runId: JournalEntry['run_id'], entries: readonly JournalEntry[]): JournalEntry[] {
  let previous: JournalEntry | undefined;
  let text = '';
  const sealed = entries.map((entry) => {
    const { entry: next, line } = sealEntry({ run_id: runId, type: entry.type, at: entry.at, data: entry.data }, previous);
    text += line;
    return (previous = next);
  });
  writeFileSync(path, text);
  return sealed;
}

const publicKey = `${key}.pub`;

function editBundle(run: string, edit: (bundle: Json) => void): void {
  const path = join(run, 'bundle.1.json');
  const bundle = JSON.parse(readFileSync(path, 'utf8')) as Json;
  edit(bundle);
  writeFileSync(path, `${JSON.stringify(bundle, null, 1)}\n`);
}

const it = suite('lifeos-mission verify (issue 14)');

it('an untouched run verifies, as a run folder, a journal, a bundle, or the folder of runs, with and without the public key', async () => {
  assert.is(keygen.code, 0, keygen.stderr);
  assert.is(original.status, 'completed');
  assert.is(paused.status, 'awaiting_human');
  for (const path of [join(source, 'logs/mission_journals', runName), original.journalPath, original.bundlePath as string, join(source, 'logs/mission_journals')]) {
    for (const args of [[], ['--public-key', publicKey]]) {
      const result = await cli('verify', path, ...args);
      assert.is(result.code, 0, `${path} ${args.join(' ')}: ${result.stdout}`);
    }
  }
  const all = await cli('verify', join(source, 'logs/mission_journals'), '--public-key', publicKey);
  assert.match(all.stdout, /2 runs: 2 ok, 0 failed/);
  assert.match(all.stdout, /anchors\.jsonl: ok, 2 entries/);
});

it('a bundle written with --embed-journal verifies on its own, away from its journal, and an edit to it is reported by field', async () => {
  const repo = makeRepo();
  const file = join(scratch, 'embed.yaml');
  writeFileSync(file, missionYaml('embed', ['{id: look, kind: runtime, operation: noop, params: {}}']));
  const ran = await cli('run', file, '--repo', repo, '--embed-journal', '--format', 'json');
  assert.is(ran.code, 0, ran.stderr);
  const { journalPath, bundlePath } = JSON.parse(ran.stdout) as { journalPath: string; bundlePath: string };
  const bundle = JSON.parse(readFileSync(bundlePath, 'utf8')) as { journal: { entries?: unknown[]; entry_count: number } };
  assert.is(bundle.journal.entries?.length, bundle.journal.entry_count, 'the copy holds the whole journal');
  rmSync(journalPath);
  const alone = await cli('verify', bundlePath);
  assert.is(alone.code, 0, alone.stdout);
  const edited = JSON.parse(readFileSync(bundlePath, 'utf8')) as Json;
  edited.status = 'FORGED';
  writeFileSync(bundlePath, JSON.stringify(edited));
  const forged = await cli('verify', bundlePath);
  assert.is(forged.code, 1);
  assert.match(forged.stdout, /field status differs from the journal/);
});

it('relative paths verify as absolute ones do: `verify .` inside a run folder, `verify logs/mission_journals` at the root', async () => {
  const before = process.cwd();
  try {
    process.chdir(join(source, 'logs/mission_journals', runName));
    const inside = await cli('verify', '.', '--public-key', publicKey);
    assert.is(inside.code, 0, inside.stdout);
    process.chdir(source);
    const root = await cli('verify', 'logs/mission_journals');
    assert.is(root.code, 0, root.stdout);
    assert.match(root.stdout, /^logs\/anchors\.jsonl: ok/m);
  } finally {
    process.chdir(before);
  }
});

it('keygen writes a 0600 private key and its public key, never overwrites one, and refuses a path inside a git repository', async () => {
  assert.is(statSync(key).mode & 0o777, 0o600);
  assert.match(keygen.stdout, /export LIFEOS_SIGNING_KEY=/);
  const again = await cli('keygen', '--out', key);
  assert.is(again.code, 2);
  assert.match(again.stderr, /exists already/);
  const inside = await cli('keygen', '--out', join(source, 'secrets/key.pem'));
  assert.is(inside.code, 2);
  assert.match(inside.stderr, /inside the git repository/);
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
  ['journal.entries (a copy added that is not the journal)', (b) => ((b.journal as Json).entries = []), /field journal\.entries is not the journal/],
  ['journal (a field added)', (b) => ((b.journal as Json).approved = true), /field journal\.approved is not a bundle field/],
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

const replaceLine = (path: string, index: number, edit: (line: string) => string): void => {
  const lines = readFileSync(path, 'utf8').split('\n');
  lines[index] = edit(lines[index] as string);
  writeFileSync(path, lines.join('\n'));
};
const journalOf = (run: string) => join(run, 'journal.jsonl');
const anchorsOf = (repo: string) => join(repo, 'logs/anchors.jsonl');
const pausedJournal = (repo: string) => join(repo, 'logs/mission_journals', pausedName, 'journal.jsonl');
const callLogOf = (repo: string) => {
  const dir = join(repo, 'logs/agent_calls');
  return join(dir, readdirSync(dir).find((name) => name.endsWith('.jsonl')) as string);
};

/**
 * The full rewrite: an entry of the finished run changed, its journal re-chained, its bundle
 * rebuilt to match, its anchor rewritten and the anchor log re-chained. `sign` decides what the
 * forged anchor carries.
 */
function fullRewrite(run: string, repo: string, sign: (anchor: Json, seq: number, prev: string) => Json | null): void {
  const entries = readEntries(journalOf(run));
  const step = entries.find((entry) => entry.type === 'step_started') as JournalEntry;
  step.data = { ...step.data, note: 'forged' };
  const sealed = writeChained(journalOf(run), original.runId, entries);
  const bundlePath = join(run, 'bundle.1.json');
  const bundle = JSON.parse(readFileSync(bundlePath, 'utf8')) as Json;
  bundle.journal = { ...(bundle.journal as Json), entries: sealed, head_hash: sealed[sealed.length - 1]?.entry_hash };
  writeFileSync(bundlePath, `${JSON.stringify(bundle, null, 1)}\n`);
  const anchors = readEntries(anchorsOf(repo));
  let previous: JournalEntry | undefined;
  let text = '';
  for (const anchor of anchors) {
    const data = { ...anchor.data } as Json;
    if (data.run_id === original.runId) {
      data.head_hash = sealed[sealed.length - 1]?.entry_hash;
      data.bundle_hash = `sha256:${createHash('sha256').update(readFileSync(bundlePath)).digest('hex')}`;
      const { signature: _old, ...fields } = data;
      const seq = (previous?.seq ?? 0) + 1;
      const prev = previous?.entry_hash ?? (anchor.prev_entry_hash as string);
      const forged = sign(fields, seq, prev);
      data.signature = forged === null ? null : forged ?? data.signature;
    }
    const { entry, line } = sealEntry({ run_id: ANCHOR_LOG_ID, type: anchor.type, at: anchor.at, data }, previous);
    text += line;
    previous = entry;
  }
  writeFileSync(anchorsOf(repo), text);
}

const forgerKey = join(scratch, 'forger/key.pem');
generateSigningKey(forgerKey);
const evidenceTampers: Array<[string, (run: string, repo: string) => void, RegExp, string[]?, ((run: string, repo: string) => string)?]> = [
  // The journal.
  ['an entry edited in the middle', (run) => replaceLine(journalOf(run), 4, (line) => line.replace('"data":{', '"data":{"added":1,')), /:5: hash_mismatch: entry 5: content hashes to/],
  [
    'an entry removed from the middle',
    (run) => {
      const lines = readFileSync(journalOf(run), 'utf8').split('\n');
      lines.splice(6, 1);
      writeFileSync(journalOf(run), lines.join('\n'));
    },
    /:7: sequence_gap: expected seq 7, found 8/,
  ],
  [
    'two entries swapped',
    (run) => {
      const lines = readFileSync(journalOf(run), 'utf8').split('\n');
      [lines[5], lines[6]] = [lines[6] as string, lines[5] as string];
      writeFileSync(journalOf(run), lines.join('\n'));
    },
    /:6: sequence_gap: expected seq 6, found 7/,
  ],
  ['a line that is not valid UTF-8', (run) => writeFileSync(journalOf(run), Buffer.concat([readFileSync(journalOf(run)).subarray(0, 40), Buffer.from([0xff]), readFileSync(journalOf(run)).subarray(41)])), /:1: parse_error: not a journal entry: the line is not valid UTF-8/],
  ['a duplicate key holding the same value (the same entry to JSON.parse)', (run) => replaceLine(journalOf(run), 2, (line) => line.replace('{"at":', '{"type":"x","at":')), /:3: (parse_error: entry 3 is not written in the journal's canonical form|hash_mismatch)/],
  [
    'an entry appended after the run finished, with a correct chain',
    (run) => {
      const writer = JournalWriter.open(journalOf(run), original.runId, { fsync: false });
      writer.append('human_decided', { request_id: 'x', decision: 'approved', by: 'CEO', note: null, content_hash: null, ceo_override: true });
      writer.close();
    },
    /unexpected_entry: a human_decided entry follows the end of attempt 1/,
  ],
  ["another run's journal put in its place", (run, repo) => cpSync(pausedJournal(repo), journalOf(run)), /:1: chain_break: entry belongs to run sha256:/],
  // Decisions.
  [
    'a forged approval with a wrong content hash appended to the paused run, chain correct',
    (_run, repo) => {
      const request = readEntries(pausedJournal(repo)).find((entry) => entry.type === 'human_requested') as JournalEntry;
      const writer = JournalWriter.open(pausedJournal(repo), paused.runId, { fsync: false });
      writer.append('human_decided', { request_id: request.data.request_id, decision: 'approved', by: 'CEO', note: null, content_hash: `sha256:${'0'.repeat(64)}`, ceo_override: false });
      writer.close();
    },
    /decision_mismatch: the decision on sha256:\w+ is bound to sha256:0{64}, but its request and the state the run paused in hash to/,
    [],
    (_run, repo) => join(repo, 'logs/mission_journals', pausedName),
  ],
  [
    'a decision on a request that was never made',
    (_run, repo) => {
      const writer = JournalWriter.open(pausedJournal(repo), paused.runId, { fsync: false });
      writer.append('human_decided', { request_id: `sha256:${'9'.repeat(64)}`, decision: 'approved', by: 'CEO', note: null, content_hash: null, ceo_override: false });
      writer.close();
    },
    /decision_mismatch: the decision on sha256:9{64} follows no request and pause on it/,
    [],
    (_run, repo) => join(repo, 'logs/mission_journals', pausedName),
  ],
  // The call log.
  ['a call log entry edited', (_run, repo) => replaceLine(callLogOf(repo), 1, (line) => line.replace('"status":"success"', '"status":"failure"')), /call log logs\/agent_calls\/[^:]+:2: hash_mismatch/],
  ['the call log deleted', (_run, repo) => rmSync(callLogOf(repo)), /the call log logs\/agent_calls\/\S+ the bundle holds a copy of is missing/],
  // The anchor log.
  ['the anchor log deleted', (_run, repo) => rmSync(anchorsOf(repo)), /anchor_missing: attempt 1 finished \(line \d+\) but there is no anchor log at/],
  ['an anchor edited in place', (_run, repo) => replaceLine(anchorsOf(repo), 0, (line) => line.replace('"attempt":1', '"attempt":2')), /anchors\.jsonl:1: hash_mismatch/, [], (_run, repo) => join(repo, 'logs/mission_journals')],
  [
    "the finished run's anchor removed and the anchor log re-chained",
    (_run, repo) => {
      const anchors = readEntries(anchorsOf(repo)).filter((anchor) => anchor.data.run_id !== original.runId || anchor.data.moment !== 'finished');
      writeChained(anchorsOf(repo), ANCHOR_LOG_ID, anchors);
    },
    /anchor_missing: attempt 1 finished \(line \d+\) but anchors\.jsonl has no anchor for it/,
  ],
  ['the bundle re-formatted (the same JSON, other bytes)', (run) => writeFileSync(join(run, 'bundle.1.json'), JSON.stringify(JSON.parse(readFileSync(join(run, 'bundle.1.json'), 'utf8')))), /anchor_mismatch: bundle\.1\.json is not the bundle anchors\.jsonl line 1 anchored/],
  ['a run folder removed while the anchor log names it', (_run, repo) => rmSync(join(repo, 'logs/mission_journals', pausedName), { recursive: true }), /anchors\.jsonl:\d+: anchor_mismatch: anchor \d+ names run sha256:\w+, whose run folder is missing/, [], (_run, repo) => join(repo, 'logs/mission_journals')],
  [
    'the journal cut back and its bundle deleted (evidence of the end removed consistently)',
    (run) => {
      const lines = readFileSync(journalOf(run), 'utf8').split('\n');
      writeFileSync(journalOf(run), `${lines.slice(0, 10).join('\n')}\n`);
      rmSync(join(run, 'bundle.1.json'));
    },
    /torn_tail: the journal ends after 10 entries, but \d+ were recorded \(anchors\.jsonl line 1\)/,
  ],
  // Signing: what only the key detects.
  ['a full rewrite (journal, bundle, anchor re-chained), checked with the public key', (run, repo) => fullRewrite(run, repo, () => undefined as unknown as Json), /anchors\.jsonl:1: signature_invalid: anchor 1 .*the signature does not match/, ['--public-key', publicKey], (_run, repo) => join(repo, 'logs/mission_journals')],
  [
    "a full rewrite re-signed with the forger's own key",
    (run, repo) => {
      const forger = loadSigningKey(forgerKey);
      fullRewrite(run, repo, (fields, seq, prev) => ({ ...signWith(forger, anchorPayload(fields as never, seq, prev as never)) }));
    },
    /signature_invalid: anchor 1 .* is signed by key sha256:\w+, not by the given public key/,
    ['--public-key', publicKey],
    (_run, repo) => join(repo, 'logs/mission_journals'),
  ],
  ['a full rewrite with the signature stripped', (run, repo) => fullRewrite(run, repo, () => null), /anchor_missing: attempt 1 finished .* has no validly signed anchor[\s\S]*signature_invalid: anchor 1 .* is not signed/, ['--public-key', publicKey], (_run, repo) => join(repo, 'logs/mission_journals')],
  ['the anchor log deleted, checked with the public key', (_run, repo) => rmSync(anchorsOf(repo)), /anchors\.jsonl:1: anchor_missing: .*no such file; with --public-key every finished run must be anchored there/, ['--public-key', publicKey], (_run, repo) => join(repo, 'logs/mission_journals')],
  ['an untouched history checked against another public key', () => undefined, /signature_invalid: anchor 1 .* is signed by key sha256:\w+, not by the given public key/, ['--public-key', `${forgerKey}.pub`], (_run, repo) => join(repo, 'logs/mission_journals')],
];
for (const [what, tamper, pattern, args = [], target] of evidenceTampers) {
  it(`${what}: detected`, async () => {
    const result = await verifyAfter(tamper, args, target);
    assert.is(result.code, 1, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, pattern);
  });
}

// Found by an attack on the first version (issue 14 review): each of these verified, or crashed verify, or was laundered into signed evidence.
const pausedFolder = (repo: string) => join(repo, 'logs/mission_journals', pausedName);
const appendTo = (path: string, runId: JournalEntry['run_id'], entries: Array<[string, Json]>): void => {
  const writer = JournalWriter.open(path, runId, { fsync: false });
  for (const [type, data] of entries) writer.append(type, data);
  writer.close();
};
/** A forged completion of the paused run: a decision bound exactly as the engine binds one, then its end. */
const forgeCompletion = (repo: string): void => {
  const entries = readEntries(pausedJournal(repo));
  const request = entries.find((entry) => entry.type === 'human_requested') as JournalEntry;
  const pause = entries.find((entry) => entry.type === 'run_paused') as JournalEntry;
  const contentHash = decisionContentHash(request.data, stateHash(pause.data.state as never));
  appendTo(pausedJournal(repo), paused.runId, [
    ['human_decided', { request_id: request.data.request_id, decision: 'approved', by: 'CEO', note: null, content_hash: contentHash, ceo_override: false }],
    ['run_resumed', { request_id: request.data.request_id }],
    ['run_finished', { status: 'completed', outputs: { shipped: 'FORGED' }, final_state: pause.data.state, final_state_hash: stateHash(pause.data.state as never) }],
  ]);
};
const attackTampers: Array<[string, (run: string, repo: string) => void, RegExp, string[]?, ((run: string, repo: string) => string)?]> = [
  ['a forged completion of the paused run (before any recovery)', (_run, repo) => forgeCompletion(repo), /^(?=[\s\S]*bundle_missing: attempt 1 finished)(?=[\s\S]*anchor_missing: attempt 1 finished)/, ['--public-key', publicKey], (_run, repo) => pausedFolder(repo)],
  [
    "the paused run's journal re-chained with another question, verified as `journal.jsonl` from inside its folder",
    (_run, repo) => {
      const entries = readEntries(pausedJournal(repo));
      const request = entries.find((entry) => entry.type === 'human_requested') as JournalEntry;
      request.data = { ...request.data, question: 'ship the forged packet?' };
      writeChained(pausedJournal(repo), paused.runId, entries);
    },
    /hash_mismatch: entry \d+ has hash sha256:\w+, but sha256:\w+ was recorded \(anchors\.jsonl line 2\)/,
    ['--anchors', 'ANCHORS', '--public-key', publicKey],
    (_run, repo) => pausedJournal(repo),
  ],
  [
    "the paused run's journal re-chained and its pause anchor cut from the anchor log",
    (_run, repo) => {
      const entries = readEntries(pausedJournal(repo));
      (entries.find((entry) => entry.type === 'human_requested') as JournalEntry).data.question = 'forged?';
      writeChained(pausedJournal(repo), paused.runId, entries);
      writeChained(anchorsOf(repo), ANCHOR_LOG_ID, readEntries(anchorsOf(repo)).filter((anchor) => anchor.data.moment !== 'paused'));
    },
    /anchor_missing: attempt 1 paused for a human \(line \d+\) but anchors\.jsonl has no validly signed anchor for that pause/,
    ['--public-key', publicKey],
    (_run, repo) => join(repo, 'logs/mission_journals'),
  ],
  [
    'an entry appended after the run finished whose type starts with U+FEFF (read as run_started by a decoder that drops it)',
    (run) => appendTo(journalOf(run), original.runId, [['\uFEFFrun_started', { attempt: 2 }], ['escalated', { reason: 'forged' }]]),
    /unexpected_entry: 2 entries \(the first a \uFEFFrun_started\) follow the end of attempt 1/,
  ],
  ['a lone bundle (no journal copy) edited, its journal deleted, checked with the public key', (run) => {
    editBundle(run, (b) => (b.status = 'FORGED'));
    rmSync(journalOf(run));
  }, /^(?=[\s\S]*bundle_mismatch: the bundle holds no copy of its journal .* that journal is not beside it: verify the run folder, or write bundles with --embed-journal)(?=[\s\S]*anchor_missing: bundle\.1\.json: no validly signed anchor in anchors\.jsonl names this bundle)/, ['--public-key', publicKey], (run) => join(run, 'bundle.1.json')],
  ['a bundle whose journal reference is set to null', (run) => editBundle(run, (b) => (b.journal = null)), /field journal is not \{ file, entry_count, head_hash \} \(with entries when embedded\)/],
  ['an entry appended to the call log after the last attempt ended', (_run, repo) => {
    const log = callLogOf(repo);
    const entries = readEntries(log);
    const last = entries[entries.length - 1] as JournalEntry;
    const { line } = sealEntry({ run_id: last.run_id, type: last.type, at: last.at, data: { ...last.data, forged: true } }, last);
    writeFileSync(log, `${readFileSync(log, 'utf8')}${line}`);
  }, /entries more than the bundle holds, though no attempt ran after it: they were added/],
  ['a forged bundle beside the real one under a name the engine does not write (bundle.01.json)', (run) => {
    writeFileSync(join(run, 'bundle.01.json'), '{"status": "FORGED"}');
  }, /bundle_mismatch: bundle\.01\.json: not a name the engine writes \(bundle\.1\.json\), so it was not checked/],
  // Hostile input: reported, never a crash or a hang.
  ['the journal replaced by a FIFO', (run) => {
    rmSync(journalOf(run));
    execFileSync('mkfifo', [journalOf(run)]);
  }, /parse_error: .*journal\.jsonl: not a regular file/],
  ['an anchor whose run_id is a number, re-chained', (_run, repo) => {
    const anchors = readEntries(anchorsOf(repo));
    (anchors[0] as JournalEntry).data.run_id = 5;
    writeChained(anchorsOf(repo), ANCHOR_LOG_ID, anchors);
  }, /anchors\.jsonl:1: anchor_mismatch: anchor 1 is not an anchor: run_id and head_hash must be sha256 hashes/, ['--public-key', publicKey], (_run, repo) => join(repo, 'logs/mission_journals')],
  ['entries with null data appended to the paused run, chain correct', (_run, repo) => {
    appendTo(pausedJournal(repo), paused.runId, [['human_decided', null as unknown as Json], ['run_paused', null as unknown as Json]]);
  }, /parse_error: entry \d+ \(human_decided\) has no data object/, [], (_run, repo) => pausedFolder(repo)],
];
it('a file of a run folder that is neither its journal nor one of its bundles is refused when named (exit 2), never reported ok unread', async () => {
  for (const name of ['bundle.01.json', 'forged.json', 'agent_calls.jsonl']) {
    const result = await verifyAfter((run) => writeFileSync(join(run, name), '{"status": "FORGED"}'), [], (run) => join(run, name));
    assert.is(result.code, 2, `${name}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, new RegExp(`${name.replace('.', '\\.')}: not journal\\.jsonl nor a bundle \\(bundle\\.<attempt>\\.json\\) of its run folder`));
    assert.not.match(result.stdout, /: ok,/);
  }
});

for (const [what, tamper, pattern, args = [], target] of attackTampers) {
  it(`${what}: detected`, async () => {
    const result = await verifyAfter(tamper, args, target, (repo) => args.map((arg) => (arg === 'ANCHORS' ? anchorsOf(repo) : arg)));
    assert.is(result.code, 1, `${result.stdout}${result.stderr}`);
    assert.match(result.stdout, pattern, result.stdout);
  });
}

it('recovery never signs a forged tail: a forged completion of a paused run, then `recover`, is refused, and verify still fails', async () => {
  const repo = join(scratch, `copy-${++copies}`);
  cpSync(source, repo, { recursive: true });
  forgeCompletion(repo);
  const recover = await cli('recover', '--repo', repo, '--signing-key', key, '--handlers', join(repoRoot, 'test/fixtures/handlers/write-file.ts'));
  assert.is(recover.code, 2, recover.stdout);
  assert.match(recover.stderr, /journal entries after its last anchor .* were anchored by no run, and no crashed run of it left its run lock behind/);
  assert.not.ok(existsSync(join(pausedFolder(repo), 'bundle.1.json')), 'no bundle written over the forged tail');
  const verify = await cli('verify', join(repo, 'logs/mission_journals'), '--public-key', publicKey);
  assert.is(verify.code, 1);
});

it('with a signing key, a real crash is recovered (its signed run lock vouches for it), and a stale lock written by hand vouches for nothing', async () => {
  const crashed = createHelloRepo(join(scratch, `crash-${++copies}`), { initRepository });
  cpSync(FIXTURES, join(crashed, 'logs/agent_calls/cache'), { recursive: true });
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/fixtures/processes/cycle-crash.ts'), 'run', crashed, 'build/run_tests', 'operation_started'], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, LIFEOS_SIGNING_KEY: key } });
  assert.is(child.signal, 'SIGKILL', child.stderr);
  const lock = JSON.parse(readFileSync(join(crashed, '.lifeos_run_lock'), 'utf8')) as { signature?: { key_id: string } };
  assert.ok(lock.signature?.key_id.startsWith('sha256:'), 'the lock is signed');
  const recovered = await cli('recover', '--repo', crashed, '--mode', 'replay', '--signing-key', key);
  assert.is(recovered.code, 0, `${recovered.stdout}${recovered.stderr}`);
  const verified = await cli('verify', join(crashed, 'logs/mission_journals'), '--public-key', publicKey);
  assert.is(verified.code, 0, verified.stdout);

  const repo = join(scratch, `copy-${++copies}`);
  cpSync(source, repo, { recursive: true });
  forgeCompletion(repo);
  writeFileSync(join(repo, '.lifeos_run_lock'), JSON.stringify({ run_id: paused.runId, run_id_audit: 'forged', pid: 999_999, process_start: null, host: hostname(), mission_type: 'packet_then_ask', acquired_at: new Date().toISOString(), journal_entries: 99 }));
  const refused = await cli('recover', '--repo', repo, '--signing-key', key, '--handlers', join(repoRoot, 'test/fixtures/handlers/write-file.ts'));
  assert.is(refused.code, 2, refused.stdout);
  assert.match(refused.stderr, /were anchored by no run/);
  assert.not.ok(existsSync(join(pausedFolder(repo), 'bundle.1.json')));
});

it('with a signing key every decision is signed: a genuine approval resumes to completion; a forged one, with the queue edited to match, halts the run', async () => {
  for (const forged of [false, true]) {
    const repo = makeRepo();
    try {
      const options = { repoRoot: repo, handlers: [writeFileHandler], fsync: false, signingKey: key };
      const waiting = await runMission(mission(PACKET_THEN_ASK), options);
      const requestId = String(waiting.awaiting?.request_id);
      if (forged) {
        const entries = readEntries(waiting.journalPath);
        const request = entries.find((entry) => entry.type === 'human_requested') as JournalEntry;
        const pause = entries.find((entry) => entry.type === 'run_paused') as JournalEntry;
        appendTo(waiting.journalPath, waiting.runId, [['human_decided', { request_id: requestId, decision: 'approved', by: 'CEO', note: null, content_hash: decisionContentHash(request.data, stateHash(pause.data.state as never)), ceo_override: false }]]);
        const store = openStateStore({ repoRoot: repo, paths: resolveRunPaths() });
        store.resolveEscalation(requestId as never, { resolution: 'approved', resolved_by: 'CEO', resolved_at: new Date().toISOString(), notes: null });
        store.close();
      }
      const result = await resumeMission(waiting.runId, { ...options, ...(forged ? {} : { decisions: [{ decision: 'approved' as const, by: 'CEO' }] }) });
      if (!forged) {
        assert.is(result.status, 'completed');
        const decided = readEntries(waiting.journalPath).find((entry) => entry.type === 'human_decided') as JournalEntry;
        assert.match(String((decided.data.signature as Json | undefined)?.key_id), /^sha256:/);
      } else {
        assert.is(result.status, 'halted');
        assert.match(result.escalation?.reason ?? '', /is not signed by the signing key/);
      }
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  }
});

it('--accept-unanchored wants at least 6 hex digits of the run id: "sha256:" or "sha256:0" accept nothing', async () => {
  const repo = join(scratch, `copy-${++copies}`);
  cpSync(source, repo, { recursive: true });
  forgeCompletion(repo);
  for (const prefix of ['sha256:', `sha256:${pausedName.slice(0, 1)}`, pausedName.slice(0, 5)]) {
    const result = await cli('recover', '--repo', repo, '--signing-key', key, '--accept-unanchored', prefix, '--handlers', join(repoRoot, 'test/fixtures/handlers/write-file.ts'));
    assert.is(result.code, 2, `${prefix}: ${result.stdout}`);
  }
  assert.not.ok(existsSync(join(pausedFolder(repo), 'bundle.1.json')));
});

it('hostile bundles and call logs are reported, never hung on or crashed on: a FIFO, a directory, a device, nesting 20,000 deep', async () => {
  const cases: Array<[string, (run: string, repo: string) => void, RegExp]> = [
    ['a FIFO bundle', (run) => { rmSync(join(run, 'bundle.1.json')); execFileSync('mkfifo', [join(run, 'bundle.1.json')]); }, /bundle\.1\.json: not a bundle: .*not a regular file/],
    ['a directory bundle', (run) => { rmSync(join(run, 'bundle.1.json')); mkdirSync(join(run, 'bundle.1.json')); }, /not a bundle|not a regular file/],
    ['a bundle linked to /dev/zero', (run) => { rmSync(join(run, 'bundle.1.json')); symlinkSync('/dev/zero', join(run, 'bundle.1.json')); }, /not a regular file/],
    ['a FIFO call log', (_run, repo) => { rmSync(callLogOf(repo)); execFileSync('mkfifo', [join(repo, 'logs/agent_calls', `${runName}.jsonl`)]); }, /the call log .* cannot be read: .*not a regular file/],
    ['outputs nested 20,000 deep', (run) => { const path = join(run, 'bundle.1.json'); const text = readFileSync(path, 'utf8'); writeFileSync(path, text.replace('"outputs": {', `"outputs": ${'['.repeat(20_000)}${']'.repeat(20_000)}, "x": {`)); }, /bundle_mismatch/],
  ];
  for (const [what, tamper, pattern] of cases) {
    const result = await verifyAfter(tamper);
    assert.is(result.code, 1, `${what}: ${result.stdout}${result.stderr}`);
    assert.match(result.stdout, pattern, `${what}: ${result.stdout}`);
  }
});

it('a forged second attempt appended to a finished run is refused by resume, nothing is written', async () => {
  const repo = join(scratch, `copy-${++copies}`);
  cpSync(source, repo, { recursive: true });
  const run = join(repo, 'logs/mission_journals', runName);
  const started = readEntries(journalOf(run)).find((entry) => entry.type === 'run_started') as JournalEntry;
  const finished = readEntries(journalOf(run)).find((entry) => entry.type === 'run_finished') as JournalEntry;
  appendTo(journalOf(run), original.runId, [['run_started', { ...started.data, attempt: 2 }], ['run_finished', { ...finished.data, outputs: { commit_hash: 'FORGED' } }]]);
  const resume = await cli('resume', runName.slice(0, 12), '--repo', repo, '--signing-key', key);
  assert.is(resume.code, 2, resume.stdout);
  assert.match(resume.stderr, /were anchored by no run/);
  assert.not.ok(existsSync(join(run, 'bundle.2.json')));
});

it('a run of two attempts (the first failed) verifies: the bundle of each names its own attempt', async () => {
  const repo = makeRepo();
  try {
    const flaky = missionYaml('flaky', ['{id: once, kind: runtime, operation: fail_once}']);
    const failOnce = failingOnce('fail_once');
    const options = { repoRoot: repo, handlers: [failOnce], fsync: false, store: false as const, signingKey: key };
    const first = await runMission(mission(flaky, [failOnce]), options);
    const second = await runMission(mission(flaky, [failOnce]), options);
    assert.equal([first.status, second.status, first.runId === second.runId], ['failed', 'completed', true]);
    const result = await cli('verify', join(repo, 'logs/mission_journals'), '--public-key', publicKey);
    assert.is(result.code, 0, result.stdout);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

it('keygen follows symlinks: a path through a link into a repository is refused; a run refuses a signing key inside its repository', async () => {
  const links = mkdtempSync(join(scratch, 'links-'));
  symlinkSync(join(source, 'logs'), join(links, 'into-repo'));
  const linked = await cli('keygen', '--out', join(links, 'into-repo/key.pem'));
  assert.is(linked.code, 2);
  assert.match(linked.stderr, /inside the git repository/);
  const repo = makeRepo();
  try {
    cpSync(key, join(repo, 'key.pem'));
    await rejects(() => runMission(mission(PACKET_THEN_ASK), { repoRoot: repo, handlers: [writeFileHandler], fsync: false, store: false, signingKey: join(repo, 'key.pem') }), /the signing key .* is inside the repository/);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

it('the limit the docs name: a full rewrite by someone with write access verifies without the public key (and fails with it, above)', async () => {
  const result = await verifyAfter((run, repo) => fullRewrite(run, repo, () => undefined as unknown as Json), [], (_run, repo) => join(repo, 'logs/mission_journals'));
  assert.is(result.code, 0, result.stdout);
});

it.after(() => rmSync(scratch, { recursive: true, force: true }));

it.run();
