import { isUtf8 } from 'node:buffer';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { canonicalJson, isSha256, sha256, type Sha256 } from '../../lib/core/canonical.ts';
import { entryLine, sealEntry, type JournalEntry } from '../../lib/core/journal-chain.ts';
import { scanJournalLine, type ScannedLine } from '../../lib/core/journal-line-scan.ts';

// --- Reproducible generation -------------------------------------------------------------

type Random = () => number;

/** mulberry32: small, seeded, good enough to spread mutations. */
function seeded(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const below = (random: Random, n: number): number => Math.floor(random() * n);
const pick = <T>(random: Random, items: readonly T[]): T => items[below(random, items.length)] as T;

/**
 * `fast` values are all in the form the scan must accept; `rich` ones add what it may refuse
 * (control characters written as \u00xx, floats, integers past 15 digits, keys outside
 * printable ASCII or needing escapes).
 */
type Mode = 'fast' | 'rich';

const FAST_PIECES = ['a', 'Z', '0', ' ', '-', '/', ':', ',', '{', '}', '[', ']', '"', '\\', '\n', '\t', '\r', '\b', '\f', 'é', '€', '😀', '\u007f', '\u2028', 'ü', 'word ', 'sha256:'];
const RICH_PIECES = [...FAST_PIECES, '\u0000', '\u0001', '\u001b', '\u001f'];
const FAST_KEYS = ['a', 'b', 'B', 'path', 'bytes', 'ok', 'ok2', '10', '2', '_', 'a b', '~', '!', 'z-1', '', 'entry_hash', 'seq', '\u007f'];
const RICH_KEYS = [...FAST_KEYS, 'é', '€', 'k"q', 'k\\b', 'line\n', '😀', '\u0001'];
const FAST_INTEGERS = [0, 1, -1, 2, 42, -17, 123456789, 999_999_999_999_999, -999_999_999_999_999, 100_000_000_000_000];
const RICH_NUMBERS = [...FAST_INTEGERS, 2 ** 53, -(2 ** 53), 1_000_000_000_000_000, 0.5, -1.25e-7, 1e21, 2.5, -0];

function randomString(random: Random, mode: Mode): string {
  const pieces = mode === 'fast' ? FAST_PIECES : RICH_PIECES;
  let text = '';
  for (let n = below(random, 6); n > 0; n--) text += pick(random, pieces);
  return text;
}

function randomValue(random: Random, mode: Mode, depth: number): unknown {
  const kind = below(random, depth > 3 ? 5 : 7);
  switch (kind) {
    case 0:
    case 1:
      return randomString(random, mode);
    case 2:
      return pick(random, mode === 'fast' ? FAST_INTEGERS : RICH_NUMBERS);
    case 3:
      return pick(random, [true, false]);
    case 4:
      return null;
    case 5:
      return Array.from({ length: below(random, 4) }, () => randomValue(random, mode, depth + 1));
    default:
      return randomObject(random, mode, depth + 1);
  }
}

function randomObject(random: Random, mode: Mode, depth: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let n = below(random, 5); n > 0; n--) object[pick(random, mode === 'fast' ? FAST_KEYS : RICH_KEYS)] = randomValue(random, mode, depth);
  return object;
}

/** What the scan promises to accept: no float, no integer past 15 digits, no \u escape, plain keys. */
function fastForm(value: unknown): boolean {
  if (typeof value === 'string') return !/[\u0000-\u0007\u000b\u000e-\u001f]/.test(value);
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < 1e15;
  if (value === null || typeof value === 'boolean') return true;
  if (Array.isArray(value)) return value.every(fastForm);
  return Object.entries(value as Record<string, unknown>).every(([key, item]) => /^[\u0020-\u007f]*$/.test(key) && !/["\\]/.test(key) && fastForm(item));
}

const RUN = sha256('journal-line-scan test run');

/** A chain of sealed entries with random data, as the writer writes them. */
function journal(random: Random, mode: Mode, count: number): Array<{ entry: JournalEntry; line: string }> {
  const sealed: Array<{ entry: JournalEntry; line: string }> = [];
  let previous: JournalEntry | undefined;
  for (let n = 0; n < count; n++) {
    const type = pick(random, mode === 'fast' ? ['step_started', 'operation_finished', 'schritt_beendet_ü', ''] : ['step_started', 'a"b', 'tab\there']);
    const next = sealEntry({ run_id: RUN, type, at: '2026-01-02T03:04:05.678Z', data: randomObject(random, mode, 0) }, previous);
    // sealEntry's line ends with the LF; the scan is given the line without it.
    sealed.push({ entry: next.entry, line: next.line.slice(0, -1) });
    previous = next.entry;
  }
  return sealed;
}

/** A line built like sealEntry's but with any top-level fields (the scan does not fix the key set). */
function lineOf(fields: Record<string, unknown>): string {
  const body = canonicalJson(fields);
  return `${body.slice(0, -1)},"entry_hash":"${sha256(body)}"}`;
}

const bytesOf = (text: string): Buffer => Buffer.from(text, 'utf8');
const scanText = (text: string): ScannedLine | undefined => {
  const bytes = bytesOf(text);
  return scanJournalLine(bytes, 0, bytes.length);
};

/** sha256 of the body the caller hashes: bytes[start, bodyEnd) then `}`. */
function bodyHash(bytes: Uint8Array, start: number, bodyEnd: number): Sha256 {
  return sha256(Buffer.concat([bytes.subarray(start, bodyEnd), Buffer.from('}')]));
}

function assertFields(scanned: ScannedLine | undefined, entry: JournalEntry, line: string): void {
  assert.ok(scanned, `accepted: ${line}`);
  assert.is(scanned.seq, entry.seq);
  assert.is(scanned.type, entry.type);
  assert.is(scanned.runId, entry.run_id);
  assert.is(scanned.prevHash, entry.prev_entry_hash);
  assert.is(scanned.entryHash, entry.entry_hash);
}

/**
 * The exact path's verdict on the form (journal-check.ts): the line parses, has the fields'
 * shapes, and re-serialises to itself. Returns why not, or undefined when it accepts.
 */
function exactPathRefusal(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return `JSON.parse: ${(error as Error).message}`;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'not an object';
  const entry = parsed as Record<string, unknown>;
  if (!isSha256(entry.entry_hash) || !isSha256(entry.prev_entry_hash) || !isSha256(entry.run_id) || !Number.isSafeInteger(entry.seq) || typeof entry.type !== 'string') {
    return 'fields lack their shapes';
  }
  try {
    const again = entryLine(entry as unknown as JournalEntry);
    return again === text ? undefined : `re-serialised as ${again}`;
  } catch (error) {
    return `canonicalJson: ${(error as Error).message}`;
  }
}

// --- Accepting the writer's lines -----------------------------------------------------------

const accepts = suite('scanJournalLine accepts the writer\'s lines');

accepts('returns the entry\'s fields, and a body end whose body hashes to entry_hash, for every line in the fast form', () => {
  const random = seeded(1);
  for (const { entry, line } of journal(random, 'fast', 3000)) {
    const bytes = bytesOf(line);
    const scanned = scanJournalLine(bytes, 0, bytes.length);
    assertFields(scanned, entry, line);
    assert.is(bodyHash(bytes, 0, scanned!.bodyEnd), entry.entry_hash);
    const { entry_hash: _hash, ...rest } = entry;
    assert.is(Buffer.concat([bytes.subarray(0, scanned!.bodyEnd), Buffer.from('}')]).toString('utf8'), canonicalJson(rest));
  }
});

accepts('accepts exactly the lines without floats, integers past 15 digits, \\u escapes or unusual keys, and reads them right', () => {
  const random = seeded(2);
  let accepted = 0;
  let refused = 0;
  for (const { entry, line } of journal(random, 'rich', 3000)) {
    const scanned = scanText(line);
    const expected = fastForm(entry.data) && !/["\\\u0000-\u001f]/.test(entry.type);
    assert.is(scanned !== undefined, expected, line);
    if (!scanned) {
      refused++;
      continue;
    }
    accepted++;
    assertFields(scanned, entry, line);
    assert.is(bodyHash(bytesOf(line), 0, scanned.bodyEnd), entry.entry_hash);
  }
  assert.ok(accepted > 100 && refused > 100, `both outcomes occur (${accepted} accepted, ${refused} refused)`);
});

accepts('accepts big nested data: empty containers, arrays of objects, literals, negative and 15-digit integers', () => {
  const data = {
    empty: {},
    none: [],
    rows: [{ a: 1, b: [true, false, null] }, { a: -2, b: [[], [{}], 'x'] }],
    text: 'quote " backslash \\ newline \n tab \t cr \r bs \b ff \f é € 😀 \u2028 \u007f',
    max: 999_999_999_999_999,
    min: -999_999_999_999_999,
    zero: 0,
  };
  const { entry, line } = sealEntry({ run_id: RUN, type: 'operation_finished', at: '2026-01-02T03:04:05.678Z', data }, undefined);
  assertFields(scanText(line.slice(0, -1)), entry, line);
});

accepts('a leading U+FEFF in the type is kept, as JSON.parse keeps it (a decoder that drops it would hide a forged "\\uFEFFrun_started")', () => {
  const { entry, line } = sealEntry({ run_id: RUN, type: '\uFEFFrun_started', at: 'now', data: { note: '\uFEFFx' } }, undefined);
  assertFields(scanText(line.slice(0, -1)), entry, line);
  assert.is(scanText(line.slice(0, -1))?.type, '\uFEFFrun_started');
});

accepts('accepts integer-like keys and "__proto__", which canonical JSON sorts like any other key', () => {
  const data = JSON.parse('{"10":1,"2":2,"__proto__":{"a":1},"a":{"10":[],"9":{}}}') as Record<string, unknown>;
  const { entry, line } = sealEntry({ run_id: RUN, type: 't', at: 'now', data }, undefined);
  const text = line.slice(0, -1);
  assert.ok(text.includes('"__proto__":{"a":1}'));
  assertFields(scanText(text), entry, text);
  assert.is(exactPathRefusal(text), undefined);
});

accepts('requires only its five fields: other top-level keys are allowed in order, and the fields are read wherever they sit', () => {
  const base = { prev_entry_hash: sha256('p'), run_id: RUN, seq: 7, type: 'custom' };
  const cases: Array<Record<string, unknown>> = [
    base,
    { ...base, a: 1, zz: [1, 'x'] },
    // A key between prev_entry_hash and type, too long for the shared decode of the fields.
    { ...base, result: 'r'.repeat(5000) },
    // A type outside ASCII, decoded on its own.
    { ...base, type: 'fertig_ü_€_😀' },
    { ...base, type: '', seq: -3 },
  ];
  for (const fields of cases) {
    const line = lineOf(fields);
    const scanned = scanText(line);
    assert.ok(scanned, line.slice(0, 200));
    assert.is(scanned.seq, fields.seq);
    assert.is(scanned.type, fields.type);
    assert.is(scanned.runId, RUN);
    assert.is(scanned.prevHash, fields.prev_entry_hash);
    assert.is(scanned.entryHash, sha256(canonicalJson(fields)));
    assert.is(exactPathRefusal(line), undefined);
  }
  const { seq: _seq, ...withoutSeq } = base;
  assert.is(scanText(lineOf(withoutSeq)), undefined, 'seq missing');
  const { run_id: _run, ...withoutRun } = base;
  assert.is(scanText(lineOf(withoutRun)), undefined, 'run_id missing');
  const { type: _type, ...withoutType } = base;
  assert.is(scanText(lineOf(withoutType)), undefined, 'type missing');
  const { prev_entry_hash: _prev, ...withoutPrev } = base;
  assert.is(scanText(lineOf(withoutPrev)), undefined, 'prev_entry_hash missing');
});

accepts('reads only bytes[start, end): lines inside a larger buffer, at any offset, truncated or not', () => {
  const sealed = journal(seeded(3), 'fast', 50);
  const text = sealed.map(({ line }) => `${line}\n`).join('');
  for (let shift = 0; shift < 4; shift++) {
    // A view at an odd byte offset of a larger buffer, as a file reader's chunk may be.
    const backing = Buffer.alloc(shift + Buffer.byteLength(text) + 8, 0x7d);
    backing.write(text, shift, 'utf8');
    const bytes = new Uint8Array(backing.buffer, backing.byteOffset + shift, Buffer.byteLength(text));
    let start = 0;
    for (const { entry, line } of sealed) {
      const end = bytes.indexOf(0x0a, start);
      const scanned = scanJournalLine(bytes, start, end);
      assertFields(scanned, entry, line);
      assert.is(bodyHash(bytes, start, scanned!.bodyEnd), entry.entry_hash);
      // Every shorter line is refused, though the bytes that would complete it follow.
      for (const cut of [1, 2, 3, 40, 75, end - start - 1]) assert.is(scanJournalLine(bytes, start, end - cut), undefined);
      assert.is(scanJournalLine(bytes, start + 1, end), undefined);
      start = end + 1;
    }
  }
  const one = bytesOf(sealed[0]!.line);
  assert.is(scanJournalLine(one, 0, one.length + 1), undefined, 'end past the buffer');
  assert.is(scanJournalLine(one, -1, one.length), undefined, 'negative start');
  assert.is(scanJournalLine(one, 5, 3), undefined, 'end before start');
});

accepts('nests up to its depth guard and refuses deeper data', () => {
  const nested = (depth: number): unknown => {
    let value: unknown = 'core';
    for (let n = 0; n < depth; n++) value = n % 2 === 0 ? [value] : { k: value };
    return value;
  };
  const shallow = lineOf({ data: nested(400), prev_entry_hash: RUN, run_id: RUN, seq: 1, type: 't' });
  assert.ok(scanText(shallow));
  const deep = lineOf({ data: nested(600), prev_entry_hash: RUN, run_id: RUN, seq: 1, type: 't' });
  assert.is(scanText(deep), undefined);
});

accepts.run();

// --- Refusing everything else --------------------------------------------------------------

const refuses = suite('scanJournalLine refuses lines not in the exact form');

const sample = sealEntry(
  {
    run_id: RUN,
    type: 'operation_finished',
    at: '2026-01-02T03:04:05.678Z',
    data: { a: 1, b: 'x\ny/z', c: [2, true, null, { d: 'q' }], n: -25, s: 'tab\there' },
  },
  { seq: 41, entry_hash: sha256('previous') },
).line.slice(0, -1);
const sampleHash = (JSON.parse(sample) as JournalEntry).entry_hash;

/** Named rewrites of the sample line; each must change it and make the scan refuse. */
const NON_CANONICAL: Array<[string, (line: string) => string]> = [
  ['a space after a colon', (l) => l.replace('"a":1', '"a": 1')],
  ['a space after a comma', (l) => l.replace('1,"b"', '1, "b"')],
  ['a leading space', (l) => ` ${l}`],
  ['a trailing space', (l) => `${l} `],
  ['a CR at the end (CRLF line end)', (l) => `${l}\r`],
  ['a tab between values', (l) => l.replace('[2,', '[2,\t')],
  ['a space after a comma in an array', (l) => l.replace('[2,', '[2, ')],
  ['2 written as 2.0', (l) => l.replace('[2,', '[2.0,')],
  ['2 written as 2e0', (l) => l.replace('[2,', '[2e0,')],
  ['2 written as 02', (l) => l.replace('[2,', '[02,')],
  ['0 written as -0', (l) => l.replace('"a":1', '"a":-0')],
  ['an integer of 16 digits (valid, left to the exact path)', (l) => l.replace('"a":1', '"a":1000000000000000')],
  ['a minus sign alone', (l) => l.replace('"a":1', '"a":-')],
  ['\\n written as \\u000a', (l) => l.replace('x\\ny', 'x\\u000ay')],
  ['a slash escaped as \\/', (l) => l.replace('y/z', 'y\\/z')],
  ['an unknown escape', (l) => l.replace('x\\ny', 'x\\qy')],
  ['a raw tab in a string', (l) => l.replace('tab\\there', 'tab\there')],
  ['a raw newline in a string', (l) => l.replace('x\\ny', 'x\ny')],
  ['a duplicate nested key', (l) => l.replace('{"d":"q"}', '{"d":"q","d":"q"}')],
  ['nested keys out of order', (l) => l.replace('{"d":"q"}', '{"e":1,"d":"q"}')],
  ['a duplicate data key', (l) => l.replace('"a":1,', '"a":1,"a":1,')],
  ['data keys out of order', (l) => l.replace('"a":1,"b":"x\\ny/z"', '"b":"x\\ny/z","a":1')],
  ['top-level keys out of order', (l) => l.replace(/^\{("at":"[^"]*"),("data":.*),("prev_entry_hash")/, '{$2,$1,$3')],
  ['a duplicate top-level key', (l) => l.replace('"seq":42,', '"seq":42,"seq":42,')],
  ['entry_hash not last', (l) => l.replace(`,"entry_hash":"${sampleHash}"}`, '}').replace('{"at"', `{"entry_hash":"${sampleHash}","at"`)],
  ['entry_hash twice', (l) => l.replace('"seq":42,', `"entry_hash":"${sampleHash}","seq":42,`)],
  ['entry_hash missing', (l) => l.replace(`,"entry_hash":"${sampleHash}"`, '')],
  ['entry_hash in upper case', (l) => l.replace(sampleHash, sampleHash.toUpperCase().replace('SHA256', 'sha256'))],
  ['entry_hash one digit short', (l) => l.replace(sampleHash, sampleHash.slice(0, -1))],
  ['run_id not a hash', (l) => l.replace(`"run_id":"${RUN}"`, '"run_id":"abc"')],
  ['seq a string', (l) => l.replace('"seq":42', '"seq":"42"')],
  ['seq a float', (l) => l.replace('"seq":42', '"seq":42.5')],
  ['type with an escape', (l) => l.replace('"type":"operation_finished"', '"type":"operation\\nfinished"')],
  ['type not a string', (l) => l.replace('"type":"operation_finished"', '"type":7')],
  ['a trailing comma in an array', (l) => l.replace('{"d":"q"}]', '{"d":"q"},]')],
  ['a trailing comma in an object', (l) => l.replace('{"d":"q"}', '{"d":"q",}')],
  ['a truncated literal', (l) => l.replace('true', 'tru')],
  ['a literal with a wrong last letter', (l) => l.replace('null', 'nulx')],
  ['a capitalised literal', (l) => l.replace('null', 'Null')],
  ['a literal run on', (l) => l.replace('true', 'truex')],
  ['a key with an escape (valid, left to the exact path)', (l) => l.replace('"d":"q"', '"d\\"":"q"')],
  ['a key outside ASCII (valid, left to the exact path)', (l) => l.replace('"d":"q"', '"é":"q"')],
  ['bytes after the closing brace', (l) => `${l}}`],
  ['a byte order mark', (l) => `\ufeff${l}`],
  ['a missing closing brace', (l) => l.slice(0, -1)],
  ['an array at the top', (l) => `[${l}]`],
];

refuses('the sample line itself is accepted', () => {
  assert.ok(scanText(sample));
  assert.is(exactPathRefusal(sample), undefined);
});

for (const [name, rewrite] of NON_CANONICAL) {
  refuses(name, () => {
    const line = rewrite(sample);
    assert.is.not(line, sample, 'the rewrite applies to the sample');
    assert.is(scanText(line), undefined);
  });
}

refuses('empty and tiny lines', () => {
  for (const text of ['', '{', '{}', '}', '""', 'null']) assert.is(scanText(text), undefined, JSON.stringify(text));
});

refuses.run();

// --- Soundness under mutation ----------------------------------------------------------------

const sound = suite('scanJournalLine is sound');

// Mutations work on "binary strings", one character per byte (latin1), so a byte edit is a
// string edit and the result maps back to exactly those bytes.
const binary = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
const WHITESPACE = [' ', '\t', '\r', '\n'];
const BYTES = [...'{}[]:,"\\ 0129-.eEtfnulrabs_xX', '\x00', '\x09', '\x0d', '\x7f', '\xc3', '\xa9', '\x80'];

/** One random rewrite of a line (as a binary string). */
type Mutation = (line: string, random: Random) => string;

const MUTATIONS: Array<[string, Mutation]> = [
  ['replace a byte', (l, r) => { const at = position(l, r); return l.slice(0, at) + pick(r, BYTES) + l.slice(at + 1); }],
  ['insert a byte', (l, r) => { const at = position(l, r); return l.slice(0, at) + pick(r, BYTES) + l.slice(at); }],
  ['delete a byte', (l, r) => { const at = position(l, r); return l.slice(0, at) + l.slice(at + 1); }],
  ['swap adjacent bytes', (l, r) => { const at = position(l, r); return l.slice(0, at) + l.charAt(at + 1) + l.charAt(at) + l.slice(at + 2); }],
  ['insert whitespace', (l, r) => { const at = position(l, r) + below(r, 2); return l.slice(0, at) + pick(r, WHITESPACE) + l.slice(at); }],
  ['append CR', (l) => `${l}\r`],
  ['rewrite a number', (l, r) => replaceOne(l, r, /-?\d+/g, (m) => pick(r, [`${m}.0`, `${m}e0`, `0${m}`, `-${m}`, '-0', `${m}0000000000000000`, m.slice(0, -1) || '-']))],
  ['rewrite an escape', (l, r) => replaceOne(l, r, /\\[nt"\\rbf]|\//g, (m) => pick(r, [asUnicodeEscape(JSON.parse(`"${m}"`) as string), '\\/', m.slice(1), `\\${m}`]))],
  ['write a letter as \\u', (l, r) => replaceOne(l, r, /[a-z]/g, asUnicodeEscape)],
  ['rewrite a literal', (l, r) => replaceOne(l, r, /true|false|null/g, (m) => pick(r, [m.toUpperCase(), m.slice(1), `${m}e`, `"${m}"`]))],
  ['cut the line', (l, r) => l.slice(0, below(r, l.length))],
  ['re-serialise with disordered members', (l, r) => binary(reserialise(Buffer.from(l, 'latin1').toString('utf8'), r))],
];

/**
 * Where a byte edit goes: half the time anywhere, half the time outside strings (structure,
 * numbers, literals), where a single byte decides the grammar and edits are rarely harmless.
 */
function position(line: string, random: Random): number {
  if (random() < 0.5) return below(random, line.length);
  const outside: number[] = [];
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else {
      outside.push(i);
    }
  }
  return outside.length > 0 ? pick(random, outside) : below(random, line.length);
}

const asUnicodeEscape = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

function replaceOne(line: string, random: Random, pattern: RegExp, rewrite: (match: string) => string): string {
  const matches = [...line.matchAll(pattern)];
  if (matches.length === 0) return line;
  const match = pick(random, matches);
  const at = match.index ?? 0;
  return line.slice(0, at) + rewrite(match[0]) + line.slice(at + match[0].length);
}

/**
 * A structural mutation: re-serialise the parsed line with one object's members swapped,
 * duplicated, reversed or given another kind of value, or (at the top) with entry_hash moved,
 * doubled or dropped.
 */
function reserialise(line: string, random: Random): string {
  const { entry_hash: hash, ...rest } = JSON.parse(line) as Record<string, unknown>;
  const objects: object[] = [];
  const collect = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    if (!Array.isArray(value)) objects.push(value);
    for (const item of Object.values(value)) collect(item);
  };
  collect(rest.data);
  const target: object = objects.length > 0 && random() < 0.6 ? pick(random, objects) : rest;
  const write = (value: unknown): string => {
    if (value === null || typeof value !== 'object') return canonicalJson(value);
    if (Array.isArray(value)) return `[${value.map(write).join(',')}]`;
    const record = value as Record<string, unknown>;
    const members = Object.keys(record).sort().map((key): Member => [JSON.stringify(key), write(record[key])]);
    if (value === rest) members.push(['"entry_hash"', JSON.stringify(hash)]);
    if (value === target) disorder(members, random, value === rest);
    return `{${members.map(([key, item]) => `${key}:${item}`).join(',')}}`;
  };
  return write(rest);
}

/** An object member as written: quoted key, value text. */
type Member = [string, string];

const OTHER_VALUES = ['"42"', '42', '-7', 'null', 'true', '[]', '{}', '"x\\"y"', '4.5', `"${RUN}"`, '""'];

function disorder(members: Member[], random: Random, top: boolean): void {
  const n = members.length;
  if (n === 0) {
    members.push(['"k"', '1'], ['"k"', '1']);
    return;
  }
  const i = below(random, n);
  const j = below(random, n);
  switch (below(random, top ? 7 : 4)) {
    case 0:
      [members[i], members[j]] = [members[j]!, members[i]!];
      return;
    case 1:
      members.splice(j, 0, members[i]!);
      return;
    case 2:
      members.reverse();
      return;
    case 3:
      members[i] = [members[i]![0], pick(random, OTHER_VALUES)];
      return;
    // At the top the last member is entry_hash: move it, double it, or drop it.
    case 4:
      members.splice(j, 0, members.pop()!);
      return;
    case 5:
      members.splice(j, 0, members[n - 1]!);
      return;
    default:
      members.pop();
  }
}

/** Why an accepted line disagrees with the exact path, or undefined if it agrees. */
function disagreement(scanned: ScannedLine, bytes: Uint8Array, start: number, text: string): string | undefined {
  const refusal = exactPathRefusal(text);
  if (refusal !== undefined) return refusal;
  const entry = JSON.parse(text) as JournalEntry;
  if (scanned.seq !== entry.seq || scanned.type !== entry.type || scanned.runId !== entry.run_id || scanned.prevHash !== entry.prev_entry_hash || scanned.entryHash !== entry.entry_hash) {
    return `fields differ: ${JSON.stringify(scanned)}`;
  }
  const { entry_hash: _hash, ...rest } = entry;
  const body = Buffer.concat([bytes.subarray(start, scanned.bodyEnd), Buffer.from('}')]).toString('utf8');
  return body === canonicalJson(rest) ? undefined : `bodyEnd ${scanned.bodyEnd - start} does not end the canonical body`;
}

sound('a line it accepts is one the exact path accepts too, over 24,000 seeded mutations', () => {
  const random = seeded(20260601);
  const pool = [...journal(seeded(4), 'fast', 150), ...journal(seeded(5), 'rich', 50)].map(({ line }) => binary(line));
  const others = pool.map((line) => Buffer.from(line, 'latin1'));
  const failures: string[] = [];
  let accepted = 0;
  let refused = 0;
  let notUtf8 = 0;
  let tried = 0;
  while (tried < 24_000) {
    let line = pick(random, pool);
    const applied: string[] = [];
    for (let n = 1 + below(random, 3); n > 0; n--) {
      const [name, mutate] = pick(random, MUTATIONS);
      try {
        line = mutate(line, random);
        applied.push(name);
      } catch {
        // Re-serialising a line an earlier mutation made unparseable: skip this one.
      }
    }
    const raw = Buffer.from(line, 'latin1');
    // The caller checks UTF-8 before it scans.
    if (!isUtf8(raw)) {
      notUtf8++;
      continue;
    }
    tried++;
    // Between bytes of other lines, so that a read past either end would show.
    const before = pick(random, others).subarray(0, below(random, 80));
    const after = pick(random, others).subarray(below(random, 80));
    const bytes = Buffer.concat([before, raw, after]);
    const scanned = scanJournalLine(bytes, before.length, before.length + raw.length);
    if (!scanned) {
      refused++;
      continue;
    }
    accepted++;
    const text = raw.toString('utf8');
    const problem = disagreement(scanned, bytes, before.length, text);
    if (problem) failures.push(`after ${applied.join(' + ')}: ${problem}\n  line: ${text}`);
  }
  assert.is(failures.length, 0, `${failures.length} accepted lines the exact path refuses:\n${failures.slice(0, 5).join('\n')}`);
  // Both sides are exercised: some mutations leave a valid line (an edit inside a string), most do not.
  assert.ok(accepted > 1000 && refused > 10_000, `${accepted} accepted, ${refused} refused, ${notUtf8} not UTF-8`);
});

sound.run();
