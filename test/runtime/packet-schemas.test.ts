// The built-in packet schemas: every name the built-in missions use is registered, and each
// schema accepts a well-formed packet and refuses a broken one (fail-closed verdicts).
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { compileJsonSchema } from '../../lib/core/json-schema.ts';
import { defaultRegistry } from '../../lib/runtime/mission-library.ts';
import { builtinPacketSchemas } from '../../lib/runtime/packet-schemas.ts';

const test = suite();

test('every schema name used by a built-in mission (output_schema, gate schema) is a built-in packet schema', () => {
  const used = new Set<string>();
  for (const { mission } of defaultRegistry().missions.values()) {
    for (const step of mission.steps) {
      const params = (step as { params?: Record<string, unknown> }).params ?? {};
      for (const key of ['output_schema', 'schema']) if (typeof params[key] === 'string') used.add(params[key] as string);
    }
  }
  assert.ok(used.size >= 3, [...used].join(', '));
  for (const name of used) assert.ok(builtinPacketSchemas().has(name), `schema ${name}`);
});

const EXAMPLES: Record<string, { valid: unknown; invalid: unknown }> = {
  BUILD_PACKET: {
    valid: { type: 'BUILD_PACKET', summary: 'Add CONTRIBUTING.md', payload: { goal: 'explain how to contribute', scope: { allowed_paths: ['CONTRIBUTING.md'] }, acceptance: ['the file exists'] } },
    invalid: { type: 'BUILD_PACKET', summary: 'no scope', payload: { goal: 'x', acceptance: ['y'] } },
  },
  REVIEW_PACKET: {
    valid: { type: 'REVIEW_PACKET', mission_name: 'build', summary: 'added the file', payload: { artifacts_produced: ['CONTRIBUTING.md'], test_result: { passed: true } } },
    invalid: { type: 'REVIEW_PACKET', mission_name: 'build', summary: 's', payload: { artifacts_produced: 'CONTRIBUTING.md' } },
  },
  SEAT_VERDICT: {
    valid: { seat: 'risk', verdict: 'reject', rationale: 'touches the release script' },
    invalid: { seat: 'risk', verdict: 'Reject-ish', rationale: 'an unknown verdict is not a verdict' },
  },
  COUNCIL_APPROVAL_PACKET: {
    valid: { verdict: 'escalated_to_ceo', rationale: 'the risk seat rejected', seat_verdicts: [{ seat: 'risk', verdict: 'reject' }] },
    invalid: { verdict: 'approved', rationale: 'no seats listed' },
  },
  BUILD_RESULT_PACKET: {
    valid: { type: 'BUILD_RESULT_PACKET', summary: 'added hello.mjs', files: [{ path: 'src/hello.mjs', content: 'export {};\n' }] },
    invalid: { type: 'BUILD_RESULT_PACKET', summary: 'a file without content', files: [{ path: 'src/hello.mjs' }] },
  },
  CONTEXT_RESPONSE_PACKET: {
    valid: { type: 'CONTEXT_RESPONSE_PACKET', task: 'do x', context: { files: [] } },
    invalid: { type: 'CONTEXT_RESPONSE_PACKET', context: {} },
  },
};

test('each built-in packet schema accepts a well-formed packet and refuses a broken one', async () => {
  assert.equal([...builtinPacketSchemas().keys()], Object.keys(EXAMPLES).sort());
  for (const [name, { valid, invalid }] of Object.entries(EXAMPLES)) {
    const validate = await compileJsonSchema(builtinPacketSchemas().get(name) as object);
    assert.ok(validate(valid), `${name} valid: ${JSON.stringify(validate.errors)}`);
    assert.not.ok(validate(invalid), `${name} invalid`);
  }
});

test.run();
