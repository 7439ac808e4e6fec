import { readdirSync, readFileSync } from 'node:fs';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { loadMission, validateMission } from '../../lib/runtime/mission-library.ts';
import { errorCodes, fixturePath } from '../helpers.ts';

const invalid = suite('loadMission: invalid fixtures (test/fixtures/invalid/<CODE>*.yaml)');
const dir = fixturePath('invalid');

for (const name of readdirSync(dir).sort()) {
  invalid(`${name} reports exactly its "# expect:" codes at their line:column`, () => {
    const text = readFileSync(`${dir}/${name}`, 'utf8');
    const expected = [...text.matchAll(/^# expect: (\S+) (\d+:\d+)$/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    assert.ok(expected.length > 0, 'fixture declares what it expects');
    assert.ok(expected.some((e) => e.startsWith(name.split(/[-.]/)[0] as string)), 'file is named after a code it expects');
    const result = loadMission(text, { filename: name });
    assert.is(result.ok, false);
    assert.equal(errorCodes(result.diagnostics), expected);
    for (const d of result.diagnostics) {
      assert.is(d.file, name);
      assert.type(d.message, 'string');
      assert.ok(d.path === '' || d.path.startsWith('/'), `JSON pointer: ${d.path}`);
    }
  });
}
invalid.run();

const values = suite('loadMission / validateMission: values JSON cannot hold');

values('reports .nan and -.inf anywhere in the text, at their position', () => {
  const text = 'mission: m\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - id: a\n    kind: runtime\n    operation: noop\n    params:\n      list: [1, .nan]\n      deep: {x: -.inf}\n';
  const result = loadMission(text);
  assert.equal(result.diagnostics.map((d) => [d.code, d.path, d.line, d.column]), [
    ['E_TYPE', '/steps/0/params/list/1', 10, 17],
    ['E_TYPE', '/steps/0/params/deep/x', 11, 17],
  ]);
});

values('reports NaN and __proto__ keys in a mission object too', () => {
  const mission = JSON.parse('{"mission":"m","version":"1.0","inputs":[],"outputs":[],"steps":[{"id":"a","kind":"runtime","operation":"noop","params":{"__proto__":{"x":1}}}]}') as Record<string, unknown>;
  (mission.steps as Array<Record<string, unknown>>).push({ id: 'b', kind: 'runtime', operation: 'noop', params: { n: NaN } });
  assert.equal(validateMission(mission).map((d) => [d.code, d.path]), [
    ['E_RESERVED_KEY', '/steps/0/params/__proto__'],
    ['E_TYPE', '/steps/1/params/n'],
  ]);
});

values.run();
