import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { deepStrictEqual } from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBlockYaml } from '../../lib/core/yaml-block-reader.ts';
import { parseWithLibrary } from '../../lib/core/yaml-source.ts';

// The block reader must give exactly what the yaml library gives (value, every position, the line
// starts) or decline. These tests compare the two on every YAML file of the project and on
// mutations of them, which reach the corners (odd indentation, stray indicators, cut quotes).

const root = fileURLToPath(new URL('../../', import.meta.url));
const reader = suite('yaml block reader');

function yamlFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

const corpus = ['missions', 'examples', 'templates', 'test/fixtures'].flatMap((folder) => yamlFiles(join(root, folder)));

/** Throws when the reader read the text and disagrees with the library; says whether it read it. */
function agreesWithLibrary(text: string, label: string): boolean {
  const fast = readBlockYaml(text);
  if (!fast) return false;
  const library = parseWithLibrary(text);
  const context = `${label}\n--- text ---\n${text}`;
  assert.equal(library.parsed.diagnostics, [], `the block reader read text the library reports problems in: ${context}`);
  deepStrictEqual(fast.value, library.parsed.value, `values differ: ${context}`);
  deepStrictEqual([...fast.positions].sort(), [...library.positions].sort(), `positions differ: ${context}`);
  deepStrictEqual(fast.lineStarts, library.lineStarts, `line starts differ: ${context}`);
  return true;
}

reader('reads every built-in and example mission, exactly as the yaml library does', () => {
  const handWritten = corpus.filter((file) => /^(missions|examples)\//.test(relative(root, file)) && !file.includes('/fixtures/'));
  assert.ok(handWritten.length >= 8, `found ${handWritten.length} missions`);
  const declined = handWritten.filter((file) => !agreesWithLibrary(readFileSync(file, 'utf8'), file));
  assert.equal(declined.map((file) => relative(root, file)), [], 'the fast path would not be used for these');
});

reader('agrees with the yaml library on every YAML file of the project it reads', () => {
  let read = 0;
  for (const file of corpus) if (agreesWithLibrary(readFileSync(file, 'utf8'), file)) read++;
  assert.ok(read > corpus.length / 2, `read ${read} of ${corpus.length} files`);
});

/** A small deterministic generator, so a failing mutation is the same on every run. */
function generator(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state % below;
  };
}

const SIGNIFICANT = [' ', ' ', '  ', '\n', ':', ': ', '-', '- ', '#', ' #', '"', "'", '[', ']', '{', '}', ',', '|', '|-', '>', '&a ', '*a', '!', '?', '\\', '\\u00e9', '\t', '\r', 'x', '1', '.5', '~', 'true', '0x1', '\u2028'];

function mutate(text: string, random: (below: number) => number): string {
  const lines = text.split('\n');
  const at = random(text.length + 1);
  const line = random(lines.length);
  switch (random(6)) {
    case 0:
      return text.slice(0, at) + (SIGNIFICANT[random(SIGNIFICANT.length)] as string) + text.slice(at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1 + random(3));
    case 2:
      lines.splice(line, 0, lines[line] as string);
      return lines.join('\n');
    case 3:
      lines[line] = ' '.repeat(1 + random(3)) + (lines[line] as string);
      return lines.join('\n');
    case 4:
      lines[line] = (lines[line] as string).replace(/^ {1,2}/, '');
      return lines.join('\n');
    default: {
      const other = random(lines.length);
      [lines[line], lines[other]] = [lines[other] as string, lines[line] as string];
      return lines.join('\n');
    }
  }
}

reader('never disagrees with the yaml library on mutated missions (it declines or gives the same)', () => {
  const random = generator(17);
  let read = 0;
  let tried = 0;
  for (const file of corpus) {
    const text = readFileSync(file, 'utf8');
    for (let round = 0; round < 60; round++) {
      let mutant = mutate(text, random);
      if (round % 3 === 0) mutant = mutate(mutant, random);
      tried++;
      if (agreesWithLibrary(mutant, `${relative(root, file)}, mutation ${round}`)) read++;
    }
  }
  // Most single mutations leave valid YAML the reader should still take: the test must exercise it.
  assert.ok(read > tried / 4, `read ${read} of ${tried} mutants`);
});

const SAME_AS_LIBRARY: Array<[string, string]> = [
  ['plain scalars of the core schema', 'a: 1\nb: -2\nc: +3\nd: 1.5\ne: .5\nf: 1e3\ng: -0\nh: ~\ni: null\nj: True\nk: FALSE\nl: yes\nm: 1.2.3\nn: 007\n'],
  ['a comment after a value, and a # inside one', 'a: x#y # note\nb: "q" # note\n'],
  ['quoted scalars with escapes', `a: "tab\\t \\"q\\" \\u00e9 \\x41 \\\\"\nb: 'it''s'\nc: ''\nd: ""\n`],
  ['flow collections on one line', 'a: [x, "y", [1, 2], {k: v, n: [ ]}]\nb: { verdict: none }\nc: []\nd: {}\n'],
  ['a sequence at its key’s indentation, then a key', 'a:\n- 1\n- x: 2\n  y: 3\nb: 4\n'],
  ['compact mappings in a sequence, nested', 'steps:\n  - id: a\n    params:\n      - k: v\n        w: [1]\n  -   id: b\n'],
  ['literal block scalars, kept and stripped', 'a: |\n  line one\n\n    indented\n  # not a comment\nb: |-\n  x\n  y\nc: |\n  last'],
  ['a value that looks like a template', 'role: reviewer_{{seat}}\nvalue: "{{steps.a.output}}"\n'],
  ['keys with dots and dashes, unicode values', 'a.b-c_d: §5.3 — ok\n'],
];

for (const [name, text] of SAME_AS_LIBRARY) {
  reader(`reads ${name} as the library does`, () => {
    assert.ok(agreesWithLibrary(text, name), 'the reader declined it');
  });
}

const DECLINED: Array<[string, string]> = [
  ['an empty value', 'a:\nb: 1\n'],
  ['a multi-line plain scalar', 'a: one\n  two\n'],
  ['a multi-line quoted scalar', 'a: "one\n  two"\n'],
  ['anchors and aliases', 'a: &x 1\nb: *x\n'],
  ['a tag', 'a: !!str 1\n'],
  ['a duplicate key', 'a: 1\na: 2\n'],
  ['a folded scalar', 'a: >\n  x\n'],
  ['a document marker', '---\na: 1\n'],
  ['tabs', 'a:\t1\n'],
  ['CRLF line ends', 'a: 1\r\nb: 2\r\n'],
  ['a nested mapping on one line', 'a: b: c\n'],
  ['hexadecimal and infinity', 'a: 0x10\n'],
  ['a root that is a list', '- a\n- b\n'],
  ['an empty document', '# only a comment\n'],
  ['a trailing comma in a flow list', 'a: [1, 2, ]\n'],
  ['a key the core schema reads as a boolean', 'true: 1\n'],
  ['a __proto__ key', '__proto__: 1\n'],
];

for (const [name, text] of DECLINED) {
  reader(`leaves ${name} to the library`, () => {
    assert.is(readBlockYaml(text), undefined);
  });
}

reader.run();
