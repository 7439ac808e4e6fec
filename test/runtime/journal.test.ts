import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { hashCanonical, sha256, type Sha256 } from '../../lib/core/canonical.ts';
import { verifyJournalText } from '../../lib/core/journal-check.ts';
import { entryHash, genesisHash, type JournalEntry } from '../../lib/core/journal-chain.ts';
import { JournalCorrupt, JournalWriter, quarantineTornTail, readJournal, readJournalBackward, runDirName, verifyJournal } from '../../lib/runtime/journal.ts';
import { PARALLEL_MIN_BYTES } from '../../lib/runtime/line-worker.ts';

const test = suite();

const RUN = hashCanonical({ test: 'run-a' });
const OTHER_RUN = hashCanonical({ test: 'run-b' });

function journalWith(runId: Sha256, count: number): string {
  const folder = join(tempDir('lifeos-journal-'), runDirName(runId));
  mkdirSync(folder);
  const path = join(folder, 'journal.jsonl');
  const writer = JournalWriter.open(path, runId, { fsync: false });
  for (let i = 0; i < count; i++) writer.append('step', { index: i, text: `entry ${i}` });
  writer.close();
  return path;
}

const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').slice(0, -1);
const save = (path: string, list: string[]): void => writeFileSync(path, list.map((line) => `${line}\n`).join(''));
const errors = (path: string): string[] => verifyJournal(path).errors.map((e) => `${e.kind}@${e.line}`);

function rehash(entry: Record<string, unknown>): string {
  return JSON.stringify({ ...entry, entry_hash: entryHash(entry) });
}

test('a journal written by the engine verifies; the first entry links to the genesis hash of its run', () => {
  const path = journalWith(RUN, 5);
  const result = verifyJournal(path);
  assert.equal(result.errors, []);
  assert.ok(result.ok);
  assert.is(result.entries, 5);
  const first = JSON.parse(lines(path)[0] as string);
  assert.is(first.prev_entry_hash, genesisHash(RUN));
  assert.is(first.seq, 1);
  assert.is(result.headHash, JSON.parse(lines(path)[4] as string).entry_hash);
});

test('issue 14, finding 1: verifyJournal of a path that does not exist is not ok (never "ok, 0 entries")', () => {
  const result = verifyJournal(join(tmpdir(), `lifeos-no-journal-${process.pid}`, 'journal.jsonl'));
  assert.is(result.ok, false);
  assert.match(result.errors[0]?.message ?? '', 'no such file');
});

test('reopening continues the chain without rewriting a byte', () => {
  const path = journalWith(RUN, 3);
  const before = readFileSync(path, 'utf8');
  const writer = JournalWriter.open(path, RUN, { fsync: false });
  writer.append('more', {});
  writer.close();
  assert.ok(readFileSync(path, 'utf8').startsWith(before));
  assert.equal(errors(path), []);
});

test('tamper: an edited field is a hash_mismatch on its line', () => {
  const path = journalWith(RUN, 5);
  const list = lines(path);
  list[2] = (list[2] as string).replace('entry 2', 'entry X');
  save(path, list);
  assert.equal(errors(path), ['hash_mismatch@3']);
});

test('tamper: an edited and rehashed entry breaks the chain at the next line', () => {
  const path = journalWith(RUN, 5);
  const list = lines(path);
  const entry = JSON.parse(list[1] as string);
  entry.data.text = 'forged';
  list[1] = rehash(entry);
  save(path, list);
  assert.equal(errors(path), ['chain_break@3']);
});

test('tamper: deleting the first, a middle or the last entry is detected', () => {
  const first = journalWith(RUN, 5);
  save(first, lines(first).slice(1));
  assert.equal(errors(first), ['sequence_gap@1']);

  const middle = journalWith(RUN, 5);
  save(middle, lines(middle).filter((_, i) => i !== 2));
  assert.equal(errors(middle), ['sequence_gap@3']);

  // The last entry can only be missed against a record of the journal's end: a completion bundle.
  const last = journalWith(RUN, 5);
  const head = JSON.parse(lines(last)[4] as string).entry_hash;
  writeFileSync(join(last, '..', 'bundle.1.json'), JSON.stringify({ journal: { entry_count: 5, head_hash: head } }));
  assert.equal(errors(last), []);
  save(last, lines(last).slice(0, 4));
  assert.equal(errors(last), ['torn_tail@5']);
});

test('tamper: a rewritten last entry is caught by the bundle anchor', () => {
  const path = journalWith(RUN, 4);
  const list = lines(path);
  writeFileSync(join(path, '..', 'bundle.1.json'), JSON.stringify({ journal: { entry_count: 4, head_hash: JSON.parse(list[3] as string).entry_hash } }));
  const entry = JSON.parse(list[3] as string);
  entry.data.text = 'rewritten';
  list[3] = rehash(entry);
  save(path, list);
  assert.equal(errors(path), ['hash_mismatch@4']);
});

test('tamper: reordered entries are sequence gaps from where the order breaks until it is restored', () => {
  const path = journalWith(RUN, 5);
  const list = lines(path);
  [list[1], list[2]] = [list[2] as string, list[1] as string];
  save(path, list);
  assert.equal(errors(path), ['sequence_gap@2', 'sequence_gap@3', 'sequence_gap@4']);
});

test('tamper: an inserted forged entry with a valid hash breaks the chain after it', () => {
  const path = journalWith(RUN, 4);
  const list = lines(path);
  const previous = JSON.parse(list[1] as string);
  const forged = { at: previous.at, data: { forged: true }, prev_entry_hash: previous.entry_hash, run_id: RUN, seq: 3, type: 'step' };
  list.splice(2, 0, rehash(forged));
  save(path, list);
  assert.equal(errors(path), ['sequence_gap@4']);
});

test('tamper: an entry spliced in from another run breaks the chain on its line and the next', () => {
  const path = journalWith(RUN, 4);
  const other = lines(journalWith(OTHER_RUN, 4));
  const list = lines(path);
  list[2] = other[2] as string;
  save(path, list);
  assert.equal(errors(path), ['chain_break@3', 'chain_break@4']);
  assert.match(verifyJournal(path).errors[0]?.message ?? '', `belongs to run ${OTHER_RUN}`);
});

test('tamper: a torn last line is reported with its line, and set aside byte for byte by recovery', () => {
  const path = journalWith(RUN, 3);
  const whole = readFileSync(path, 'utf8');
  writeFileSync(path, `${whole}{"at":"2026-`);
  assert.equal(errors(path), ['torn_tail@4']);
  assert.throws(() => JournalWriter.open(path, RUN), (error: unknown) => error instanceof JournalCorrupt);
  const torn = quarantineTornTail(path);
  assert.equal(torn?.offset, Buffer.byteLength(whole));
  assert.is(readFileSync(torn?.file as string, 'utf8'), '{"at":"2026-');
  assert.equal(errors(path), []);
});

test('a line that is not JSON is a parse_error; the chain resumes after it', () => {
  const path = journalWith(RUN, 4);
  const list = lines(path);
  list[1] = 'not json';
  save(path, list);
  assert.equal(errors(path), ['parse_error@2']);
});

test('a journal long enough to be checked on two threads (over 32 MB, several read chunks) gets exactly the verdict, line for line, of the one-thread check of the same text', () => {
  const runId = hashCanonical({ test: 'long' });
  const folder = join(tempDir('lifeos-journal-'), runDirName(runId));
  try {
    mkdirSync(folder);
    const path = join(folder, 'journal.jsonl');
    const writer = JournalWriter.open(path, runId, { fsync: false });
    const text = 'x'.repeat(600);
    for (let i = 0; i < 60_000; i++) writer.append(i % 7 === 0 ? 'operation_finished' : 'step', { index: i, text });
    writer.close();
    assert.ok(readFileSync(path).length > PARALLEL_MIN_BYTES + 4 * 1024 * 1024);
    const pristine = verifyJournal(path);
    assert.equal([pristine.ok, pristine.entries, pristine.errors], [true, 60_000, []]);
    // Forged lines get their entry_hash recomputed over their new bytes, so only the form and the links decide.
    const forge = (line: string, edit: (body: string) => string): string => {
      const body = edit(`${line.replace(/,"entry_hash":"sha256:[0-9a-f]{64}"\}$/, '')}}`);
      return `${body.slice(0, -1)},"entry_hash":"${sha256(body)}"}`;
    };
    const list = lines(path);
    const edits: Array<[number, (line: string) => string]> = [
      [5, (line) => line.replace('"index":', '"index":1')],
      [9_001, (line) => forge(line, (body) => body.replace(/\}$/, ',"zz":1}'))],
      [15_555, (line) => forge(line, (body) => body.replace(/"seq":(\d+)/, '"seq":$1.0'))],
      [20_000, (line) => `${line}\r`],
      [27_000, (line) => forge(line, (body) => body.replace('"type":"step"', '"type":"st\\u0065p"'))],
      [33_333, (line) => line.replace('"text":"x', '"text":"\u00e9')],
      [45_000, (line) => `${line.slice(0, 100)}\u00ff${line.slice(101)}`],
      [59_999, (line) => forge(line, (body) => body.replace('"at":"', '"at":"1'))],
    ];
    for (const [at, edit] of edits) list[at] = edit(list[at] as string);
    list.splice(12_345, 1);
    save(path, list);
    const threads = verifyJournal(path);
    const single = verifyJournalText(readFileSync(path, 'utf8'), { runId });
    assert.ok(threads.errors.length >= edits.length);
    assert.equal(threads, single);
  } finally {
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
});

test('readJournalBackward gives the entries readJournal gives, last first, without verifying, whatever the lines (not JSON, not canonical, not UTF-8, tampered, longer than its blocks, a torn tail)', () => {
  const path = journalWith(RUN, 6);
  const list = lines(path);
  const hash = `sha256:${'a'.repeat(64)}`;
  list[1] = 'not json';
  list[2] = (list[2] as string).replace('"index":2', '"index": 2').replace(/"type":"step"/, '"type":"run_paused"');
  list[3] = `${(list[3] as string).slice(0, 20)}\u00ff${(list[3] as string).slice(21)}`;
  list.push('[1, 2]', '', 'null', `{"type":"run_paused","data":{},"type":"operation_finished","entry_hash":"${hash}"}`);
  // A string member that ends like a line of type run_paused, inside a line of another type.
  list.push(`{"type":"step","data":{"note":"\\",\\"type\\":\\"run_paused\\",\\"entry_hash\\":\\"${hash}\\"}"},"seq":9,"type":"operation_finished","entry_hash":"${hash}"}`);
  list.push(`{"seq":10,"data":{"type":"run_paused"},"type":"human_requested","entry_hash":"${hash}"}`);
  // Lines longer than the blocks the file is read in from its end (16 KiB), one beside another.
  list.splice(1, 0, `{"seq":1.5,"data":{"pad":"${'x'.repeat(40_000)}"},"type":"step","entry_hash":"${hash}"}`, `{"seq":1.6,"data":{"pad":"${'y'.repeat(16_383)}"},"type":"step","entry_hash":"${hash}"}`);
  // Every line is ASCII but the one with \u00ff, written as the lone byte 0xff (not UTF-8).
  writeFileSync(path, Buffer.from(`${list.map((line) => `${line}\n`).join('')}{"at":"2026-`, 'latin1'));
  const verified = readJournal(path).entries;
  assert.equal([verified.length, verifyJournal(path).ok], [9, false]);
  const backward = (file: string, types?: string[], want = Number.POSITIVE_INFINITY): JournalEntry[] => {
    const seen: JournalEntry[] = [];
    readJournalBackward(file, types && new Set(types), (entry) => seen.push(entry) >= want);
    return seen;
  };
  assert.equal(backward(path), [...verified].reverse());
  for (const types of [['run_paused'], ['operation_finished', 'human_requested'], ['step'], []]) {
    assert.equal(backward(path, types), verified.filter((entry) => types.includes(String(entry.type))).reverse(), types.join());
  }
  assert.equal(backward(path, undefined, 2), verified.slice(-2).reverse(), 'stops when told');
  assert.equal(backward(join(tempDir(), 'absent.jsonl')), [], 'a missing journal is an empty one');
  const one = join(tempDir(), 'one.jsonl');
  writeFileSync(one, `${lines(journalWith(RUN, 1))[0] as string}\n`);
  assert.equal(backward(one), readJournal(one).entries, 'a single line');
  writeFileSync(one, '{"a":1');
  assert.equal(backward(one), [], 'only a torn line');
});

test.run();
