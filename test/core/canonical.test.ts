import { readFileSync } from 'node:fs';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import {
  CanonicalJsonError,
  canonicalJson,
  computeCallId,
  computeRunId,
  hashCanonical,
  sha256,
  type Sha256,
} from '../../lib/core/canonical.ts';

const fixture = (name: string) => new URL(`../fixtures/canonical/${name}`, import.meta.url);

const canonical = suite('canonicalJson');

canonical('matches CPython byte for byte on the reference corpus (scripts/python-canonical-reference.py)', () => {
  const lines = readFileSync(fixture('python-reference.jsonl'), 'utf8').trim().split('\n');
  assert.ok(lines.length > 400, 'reference corpus is present');
  for (const line of lines) {
    const { json, canonical: expected, sha256: expectedHash } = JSON.parse(line) as Record<string, string>;
    const value: unknown = JSON.parse(json as string);
    assert.is(canonicalJson(value), expected, `value ${json}`);
    assert.is(hashCanonical(value), expectedHash);
  }
});

canonical('sorts keys by code point, not by UTF-16 unit', () => {
  // U+FF61 is one UTF-16 unit above the surrogate D800 that starts U+1F600, but a smaller code point.
  assert.is(canonicalJson({ '\u{1F600}': 1, '\uff61': 2, a: 3 }), '{"a":3,"｡":2,"😀":1}');
  assert.is(canonicalJson({ b: 1, a: 2, B: 3, aa: 4, '': 5 }), '{"":5,"B":3,"a":2,"aa":4,"b":1}');
});

canonical('keeps astral characters, U+2028 and DEL unescaped', () => {
  assert.is(canonicalJson('😀\u2028\u2029\u007f é'), '"😀\u2028\u2029\u007f é"');
});

canonical('escapes control characters with short forms, else lowercase \\u00xx', () => {
  assert.is(canonicalJson('\u0000\u0001\u001f\b\f\n\r\t"\\'), '"\\u0000\\u0001\\u001f\\b\\f\\n\\r\\t\\"\\\\"');
  assert.is(canonicalJson('\u001b'), '"\\u001b"');
});

canonical('prints integers up to 2^53 as integers and larger numbers as Python floats', () => {
  assert.is(canonicalJson(2 ** 53), '9007199254740992');
  assert.is(canonicalJson(-(2 ** 53)), '-9007199254740992');
  assert.is(canonicalJson(2 ** 53 + 2), '9007199254740994.0');
  assert.is(canonicalJson(2 ** 60), '1.152921504606847e+18');
  assert.is(canonicalJson(1e16), '1e+16');
  assert.is(canonicalJson(12345678901234567890n), '12345678901234567890');
  assert.is(canonicalJson(-0), '0');
});

canonical('prints floats in exponent form exactly as Python repr', () => {
  assert.is(canonicalJson(1e-7), '1e-07');
  assert.is(canonicalJson(1e-5), '1e-05');
  assert.is(canonicalJson(1e-4), '0.0001');
  assert.is(canonicalJson(1.5e-10), '1.5e-10');
  assert.is(canonicalJson(1e22), '1e+22');
  assert.is(canonicalJson(1.7976931348623157e308), '1.7976931348623157e+308');
  assert.is(canonicalJson(5e-324), '5e-324');
  assert.is(canonicalJson(0.1), '0.1');
  assert.is(canonicalJson(-123.456), '-123.456');
  assert.is(canonicalJson(0.30000000000000004), '0.30000000000000004');
});

canonical('rejects NaN, Infinity, undefined, functions, symbols and bigint-free oddities, naming the path', () => {
  const cases: Array<[unknown, string]> = [
    [{ a: [1, NaN] }, '$.a[1]'],
    [{ x: Infinity }, '$.x'],
    [-Infinity, '$'],
    [{ u: undefined }, '$.u'],
    [[undefined], '$[0]'],
    [{ f: () => 1 }, '$.f'],
    [Symbol('s'), '$'],
  ];
  for (const [value, path] of cases) {
    assert.throws(
      () => canonicalJson(value),
      (error: unknown) => error instanceof CanonicalJsonError && error.path === path,
      `expected CanonicalJsonError at ${path}`,
    );
  }
});

canonical('rejects lone surrogates in strings and keys', () => {
  assert.throws(() => canonicalJson('a\ud800b'), /lone surrogate/);
  assert.throws(() => canonicalJson({ '\udc00': 1 }), /lone surrogate/);
  assert.throws(() => sha256('\ud83d'), /lone surrogate/);
});

canonical('rejects cycles, sparse arrays and non-plain objects', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => canonicalJson(cyclic), /cycle at \$\.self/);
  // eslint-disable-next-line no-sparse-arrays
  assert.throws(() => canonicalJson([1, , 3]), /sparse array/);
  assert.throws(() => canonicalJson(new Date(0)), /non-plain object \(Date\)/);
  assert.throws(() => canonicalJson(new Map()), /non-plain object \(Map\)/);
  assert.throws(() => canonicalJson({ [Symbol('k')]: 1 }), /symbol-keyed/);
});

canonical('accepts shared (non-cyclic) references and null-prototype objects', () => {
  const shared = { z: 1 };
  assert.is(canonicalJson({ a: shared, b: shared }), '{"a":{"z":1},"b":{"z":1}}');
  const bare = Object.assign(Object.create(null) as object, { k: true });
  assert.is(canonicalJson(bare), '{"k":true}');
});

canonical.run();

const hashing = suite('sha256 / hashCanonical');

hashing('prefixes lowercase hex with sha256:', () => {
  assert.is(sha256(''), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.is(sha256(new Uint8Array([0x61, 0x62, 0x63])), sha256('abc'));
});

hashing('hashes UTF-8 bytes of the canonical form, independent of key insertion order', () => {
  assert.is(hashCanonical({ b: 1, a: 'é' }), hashCanonical({ a: 'é', b: 1 }));
  assert.is(hashCanonical({ a: 'é', b: 1 }), sha256('{"a":"é","b":1}'));
});

hashing.run();

const ids = suite('computeRunId / computeCallId');
const reference = JSON.parse(readFileSync(fixture('python-ids.json'), 'utf8')) as {
  mission_spec: unknown;
  inputs: unknown;
  inputs_hash: Sha256;
  surfaces: Record<string, string>;
  code_version_id: string;
  run_id: Sha256;
  role: string;
  prompt_hash: Sha256;
  packet_hash: Sha256;
  call_id: Sha256;
};

ids('computeRunId equals the spec §5.1.3 formula computed by CPython', () => {
  assert.is(hashCanonical(reference.inputs), reference.inputs_hash);
  const runId = computeRunId({
    missionSpec: reference.mission_spec,
    inputsHash: reference.inputs_hash,
    governanceSurfaceHashes: reference.surfaces,
    codeVersionId: reference.code_version_id,
  });
  assert.is(runId, reference.run_id);
});

ids('computeRunId does not depend on the order governance surfaces are listed in', () => {
  const reversed = Object.fromEntries(Object.entries(reference.surfaces).reverse());
  const runId = computeRunId({
    missionSpec: reference.mission_spec,
    inputsHash: reference.inputs_hash,
    governanceSurfaceHashes: reversed,
    codeVersionId: reference.code_version_id,
  });
  assert.is(runId, reference.run_id);
});

ids('computeRunId changes when any component changes', () => {
  const base = {
    missionSpec: reference.mission_spec,
    inputsHash: reference.inputs_hash,
    governanceSurfaceHashes: reference.surfaces,
    codeVersionId: reference.code_version_id,
  };
  const variants = [
    { ...base, missionSpec: { ...(reference.mission_spec as object), version: '1.1' } },
    { ...base, inputsHash: hashCanonical({ other: true }) },
    { ...base, governanceSurfaceHashes: { ...reference.surfaces, 'GEMINI.md': `sha256:${'f'.repeat(64)}` } },
    { ...base, codeVersionId: 'ffffffffffffffffffffffffffffffffffffffff' },
  ];
  for (const variant of variants) assert.is.not(computeRunId(variant), reference.run_id);
});

ids('computeCallId equals the spec §5.1.3 formula computed by CPython', () => {
  const callId = computeCallId({
    runId: reference.run_id,
    role: reference.role,
    promptHash: reference.prompt_hash,
    packetHash: reference.packet_hash,
  });
  assert.is(callId, reference.call_id);
});

ids('reject malformed hashes and empty strings as programming errors', () => {
  assert.throws(
    () => computeCallId({ runId: 'abc' as Sha256, role: 'designer', promptHash: reference.prompt_hash, packetHash: reference.packet_hash }),
    /runId must be a "sha256:<64 hex>"/,
  );
  assert.throws(
    () => computeCallId({ runId: reference.run_id, role: '', promptHash: reference.prompt_hash, packetHash: reference.packet_hash }),
    /role must be a non-empty string/,
  );
  assert.throws(
    () => computeRunId({ missionSpec: {}, inputsHash: reference.inputs_hash, governanceSurfaceHashes: {}, codeVersionId: '' }),
    /codeVersionId/,
  );
});

ids.run();
