import { readdirSync, readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadMission } from '../../lib/runtime/mission-library.ts';
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
