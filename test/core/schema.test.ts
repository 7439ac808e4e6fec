import { readFileSync } from 'node:fs';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { COMPENSATION_COMMANDS } from '../../lib/core/compensation.ts';
import { checkSchema } from '../../lib/core/schema.ts';
import { generateMissionValidator, generatedFile, schemaFile } from '../../scripts/generate-validators.ts';

const schema = suite('checkSchema / schemas/mission.schema.json');

const minimal = () => ({
  mission: 'm',
  version: '1.0',
  inputs: [],
  outputs: [],
  steps: [{ id: 'a', kind: 'runtime', operation: 'noop' }],
});

schema('the committed standalone validator is generated from the current schema (npm run gen:validators)', () => {
  assert.is(readFileSync(generatedFile, 'utf8'), generateMissionValidator());
});

schema('accepts a minimal mission and every field of the spec plus documented extras', () => {
  assert.equal(checkSchema(minimal()), []);
  const full = {
    ...minimal(),
    description: 'd',
    preconditions: ['x == 1', { '==': [1, 1] }],
    envelope: { allowed_paths: ['docs/**'], denied_paths: ['config'], allowed_tools: ['git'], allowed_roles: ['designer'], reject_symlinks: true, max_budget_usd: 2.5, timeout_seconds: 60 },
    timeout_seconds: 10,
    inputs: [{ name: 'x', type: 'int', required: false, default: 1, description: 'd' }],
    outputs: [{ name: 'y', type: 'str', value: '{{x}}', description: 'd' }],
    steps: [
      { id: 'a', kind: 'runtime', operation: 'noop', description: 'd', params: {}, envelope: {}, for_each: { v: [1], w: '{{x}}' }, compensation: 'git reset HEAD', timeout_seconds: 5 },
      { id: 'b', kind: 'mission', mission: 'design', params: {} },
      { id: 'c', kind: 'human', params: { prompt: 'ok?' } },
    ],
  };
  assert.equal(checkSchema(full), []);
});

schema('the compensation enum is exactly the closed command table', () => {
  const json = JSON.parse(readFileSync(schemaFile, 'utf8')) as { definitions: { compensation: { enum: string[] } } };
  assert.equal([...json.definitions.compensation.enum].sort(), Object.keys(COMPENSATION_COMMANDS).sort());
});

schema('names the missing field, the unknown key with a suggestion, and the allowed kinds', () => {
  const value = { ...minimal(), steps: [{ id: 'a', kind: 'mision', mission: 'design', paramz: {} }] };
  const diagnostics = checkSchema(value);
  const byCode = Object.fromEntries(diagnostics.map((d) => [d.code, d]));
  assert.is(byCode.E_UNKNOWN_KEY?.path, '/steps/0/paramz');
  assert.is(byCode.E_UNKNOWN_KEY?.hint, 'did you mean "params"?');
  assert.is(byCode.E_ENUM?.message, 'steps[0].kind: "mision" is not one of "runtime", "mission" or "human"');
  assert.is(byCode.E_ENUM?.hint, 'did you mean "mission"?');
});

schema('suggests quoting a numeric version', () => {
  const [d] = checkSchema({ ...minimal(), version: 1.5 });
  assert.is(d?.code, 'E_TYPE');
  assert.is(d?.hint, 'quote it: `version: "1.0"`');
});

schema('a non-mapping document is one type error at the root', () => {
  const diagnostics = checkSchema(['not', 'a', 'mission']);
  assert.equal(diagnostics.map((d) => [d.code, d.path]), [['E_TYPE', '']]);
});

schema.run();
