// Issue 14: the strict journal format means the JS verifier and the Python verifier documented in
// docs/journal-format.md can never disagree. Checked on a corpus of mutated journals: plain
// edits (whose hash no longer matches), and forged ones whose entry_hash was recomputed over the
// mutated bytes, so only the form decides. The same journal must get the same verdict from both.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { hashCanonical, sha256 } from '../../lib/core/canonical.ts';
import { JournalWriter, runDirName, verifyJournal } from '../../lib/runtime/journal.ts';
import { repoRoot } from '../helpers.ts';

const it = suite('JS and Python verifiers agree');
const scratch = tempDir('lifeos-agreement-');
const runId = hashCanonical({ agreement: 'corpus' });
const folder = join(scratch, runDirName(runId));
const journal = join(folder, 'journal.jsonl');
const script = join(scratch, 'verify.py');
const python = spawnSync('python3', ['--version']).status === 0;
mkdirSync(folder, { recursive: true });

writeFileSync(script, /```python\n([\s\S]*?)```/.exec(readFileSync(join(repoRoot, 'docs/journal-format.md'), 'utf8'))?.[1] ?? '');
const writer = JournalWriter.open(journal, runId, { fsync: false });
const values: Array<Record<string, unknown>> = [
  { text: 'plain', n: 5, list: [1, 2, 3], nested: { b: true, a: null } },
  { unicode: 'é € 😀 \u2028', quote: 'say "hi"\\', control: 'tab\tnew\nline\u0001' },
  { floats: [0.1, 1e-7, 1e16, 2.5e-300, -0.5], big: 2 ** 53, negative: -42, empty: {}, none: [] },
  { keys: { '10': 1, '9': 2, Z: 3, a: 4, é: 5 }, deep: [[[{ x: [{}] }]]] },
];
for (let i = 0; i < 12; i++) writer.append(i % 3 === 0 ? 'step_started' : 'operation_finished', { i, ...(values[i % values.length] as object) });
writer.close();
const pristine = readFileSync(journal);

/** A seeded PRNG (mulberry32), so a failing mutation can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUFFIX = /,"entry_hash":"sha256:[0-9a-f]{64}"\}$/;
const REPLACEMENTS: Array<[string, string]> = [
  ['"n":5', '"n":5.0'], ['"n":5', '"n":5e0'], ['"n":5', '"n":05'], ['"n":5', '"n": 5'], ['"n":5', '"n":-0'],
  ['"seq":1,', '"seq":true,'], ['"seq":2,', '"seq":2.0,'], ['"big":9007199254740992', '"big":9007199254740993'],
  ['"b":true', '"b":true,"b":true'], ['"a":null,"b"', '"b":true,"a":null,"x"'], ['é', '\\u00e9'], ['\\t', '\\u0009'],
  ['"quote"', '"quote" '], ['0.1', '0.10'], ['1e-07', '1e-7'], ['/', '\\/'], ['"text"', '"t\\u0065xt"'], ['{}', '{ }'],
  ['"10":1,"9":2', '"9":2,"10":1'], ['"type":"', '"type":"\\ud800'], [':null', ':NaN'], ['😀', '\\ud83d\\ude00'],
];

/** One mutation of one line: a value rewritten, a byte changed, a line removed, a CR added. */
function mutate(next: () => number): { text: Buffer; what: string } {
  const lines = pristine.toString('utf8').split('\n');
  lines.pop();
  const index = Math.floor(next() * lines.length);
  // A forged line is made the last one (the journal cut after it), so its recomputed hash breaks no later link.
  const forge = next() < 0.6;
  if (forge) lines.splice(index + 1);
  const target = index;
  let line = lines[target] as string;
  let what: string;
  const pick = next();
  if (pick < 0.55) {
    const candidates = REPLACEMENTS.filter(([from]) => line.includes(from));
    const [from, to] = candidates[Math.floor(next() * candidates.length)] ?? ['"at":"', '"at" :"'];
    line = line.replace(from, to);
    what = `${from} -> ${to}`;
  } else if (pick < 0.8) {
    const at = Math.floor(next() * line.length);
    const byte = String.fromCharCode(Math.floor(next() * 128));
    line = line.slice(0, at) + byte + line.slice(at + 1);
    what = `byte ${at} -> ${JSON.stringify(byte)}`;
  } else if (pick < 0.9) {
    lines.splice(index, 1);
    what = `line ${index + 1} removed`;
  } else {
    line = `${line}\r`;
    what = 'CR';
  }
  if (forge && SUFFIX.test(line)) {
    // The forger's move: entry_hash recomputed over the mutated bytes.
    const body = `${line.replace(SUFFIX, '')}}`;
    try {
      line = `${body.slice(0, -1)},"entry_hash":"${sha256(body)}"}`;
      what += ' (hash recomputed)';
    } catch {
      // A lone surrogate cannot be hashed as UTF-8: leave the line as it is.
    }
  }
  if (what !== `line ${index + 1} removed`) lines[target] = line;
  return { text: Buffer.from(`${lines.join('\n')}\n`), what };
}

it('the untouched journal passes both', () => {
  if (!python) return console.log('  skipped: python3 is not installed');
  const result = spawnSync('python3', [script, journal], { encoding: 'utf8' });
  const js = verifyJournal(journal);
  assert.ok(js.ok);
  assert.is(result.stdout, `ok: ${js.entries} entries, head ${js.headHash}\n`, result.stderr);
});

// The documented script, run once per journal inside one Python process (startup dominates otherwise).
const BATCH = `import contextlib, io, runpy, sys
script = sys.argv[1]
for path in sys.argv[2:]:
    sys.argv = [script, path]
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            runpy.run_path(script, run_name="__main__")
        print("ok")
    except BaseException:
        print("not ok")
`;

it('400 mutated journals, 60% of them with the hash recomputed: the same verdict from both, every time', () => {
  if (!python) return console.log('  skipped: python3 is not installed');
  const next = random(20261202);
  const cases = Array.from({ length: 400 }, (_, i) => {
    const { text, what } = mutate(next);
    const path = join(scratch, `m${i}`, runDirName(runId), 'journal.jsonl');
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    return { path, what };
  });
  writeFileSync(join(scratch, 'batch.py'), BATCH);
  const run = spawnSync('python3', [join(scratch, 'batch.py'), script, ...cases.map((c) => c.path)], { encoding: 'utf8' });
  const verdicts = run.stdout.trim().split('\n');
  assert.is(verdicts.length, cases.length, run.stderr);
  let accepted = 0;
  cases.forEach(({ path, what }, i) => {
    const js = verifyJournal(path).ok;
    const py = verdicts[i] === 'ok';
    assert.is(py, js, `mutation ${i} (${what}): python says ${py ? 'ok' : 'not ok'}, verifyJournal ${js ? 'ok' : 'not ok'}`);
    if (js) accepted++;
  });
  // Both sides of the verdict occur: some mutations leave a valid journal (a removed last line, a rehashed canonical edit).
  assert.ok(accepted > 0 && accepted < cases.length, `${accepted} of ${cases.length} accepted`);
});

it.after(() => rmSync(scratch, { recursive: true, force: true }));

it.run();
