import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { parseYaml } from '../../lib/core/yaml-source.ts';

const yaml = suite('parseYaml');

yaml('reads YAML 1.2 core schema: yes/no/on stay strings, 0x10 is a number', () => {
  const { value, diagnostics } = parseYaml('a: yes\nb: on\nc: 0x10\nd: "1.0"\ne: ~\n');
  assert.equal(diagnostics, []);
  assert.equal(value, { a: 'yes', b: 'on', c: 16, d: '1.0', e: null });
});

yaml('locates values, keys and text inside single-line scalars', () => {
  const { locate } = parseYaml('steps:\n  - id: a\n    params:\n      prompt: "Do {{task}} now"\n');
  assert.equal(locate({ path: '/steps/0/params/prompt' }), { line: 4, column: 15 });
  assert.equal(locate({ path: '/steps/0/params/prompt', key: true }), { line: 4, column: 7 });
  assert.equal(locate({ path: '/steps/0/params/prompt', needle: '{{task}}' }), { line: 4, column: 19 });
  assert.equal(locate({ path: '/steps/0/params/missing/deeper' }), { line: 4, column: 7 }, 'nearest ancestor');
});

yaml('warns (W_YAML) about unknown tags and keeps the value as text', () => {
  const { value, diagnostics } = parseYaml('a: !!js/function "x"\n');
  assert.equal(value, { a: 'x' });
  assert.equal(diagnostics.map((d) => [d.code, d.severity, d.line, d.column]), [['W_YAML', 'warning', 1, 4]]);
});

yaml('never emits a process warning for collection keys', () => {
  const warnings: string[] = [];
  const listener = (warning: Error) => warnings.push(warning.message);
  process.on('warning', listener);
  const { diagnostics } = parseYaml('? [a]\n: 1\n');
  process.off('warning', listener);
  assert.equal(diagnostics.map((d) => d.code), ['E_YAML_SYNTAX']);
  assert.equal(warnings, []);
});

yaml('caps a cascade of syntax errors at the first per line, five at most, and says so', () => {
  const { diagnostics } = parseYaml(`${'a: [1, {\n'.repeat(20)}`);
  assert.ok(diagnostics.length <= 5, `${diagnostics.length} errors`);
  assert.match(diagnostics[diagnostics.length - 1]?.hint ?? '', /more YAML errors follow/);
  assert.equal(new Set(diagnostics.map((d) => d.line)).size, diagnostics.length);
});

yaml('brackets nested a thousand deep are E_YAML_DEPTH, again and again in one process (the library would overflow and then abort node)', () => {
  for (const text of [`{"a": ${'{'.repeat(1000)}`, `x: ${'['.repeat(5000)}`, `{"a": ${'{'.repeat(1000)}`]) {
    const { value, diagnostics } = parseYaml(text);
    assert.is(value, undefined);
    assert.is(diagnostics[0]?.code, 'E_YAML_DEPTH');
  }
  // Brackets inside quotes and comments, or a few left open in prose, are not nesting.
  const text = `a: "${'{'.repeat(300)}"\nb: '${'['.repeat(300)}'\n# ${'{'.repeat(300)}\nd: don't {x\n`;
  assert.equal(parseYaml(text).value, { a: '{'.repeat(300), b: '['.repeat(300), d: "don't {x" });
});

yaml.run();
