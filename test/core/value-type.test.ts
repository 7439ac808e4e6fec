import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { parseValueType, typeMismatch } from '../../lib/core/value-type.ts';

const types = suite('parseValueType / typeMismatch');

types('parses scalar names, aliases, list[T] and packet names', () => {
  assert.equal(parseValueType('str'), { kind: 'str' });
  assert.equal(parseValueType('integer'), { kind: 'int' });
  assert.equal(parseValueType('list[list[str]]'), { kind: 'list', items: { kind: 'list', items: { kind: 'str' } } });
  assert.equal(parseValueType('BUILD_PACKET'), { kind: 'packet', name: 'BUILD_PACKET' });
  for (const bad of ['strng', 'list[', 'list[nope]', 'Build_Packet', '']) assert.is(parseValueType(bad), undefined, bad);
});

types('checks values, naming the first mismatch', () => {
  const check = (type: string, value: unknown) => typeMismatch(parseValueType(type) as NonNullable<ReturnType<typeof parseValueType>>, value);
  assert.is(check('str', 'x'), undefined);
  assert.is(check('int', 1.5), 'expected an integer, got number 1.5');
  assert.is(check('float', 1), undefined);
  assert.is(check('bool', 'true'), 'expected true or false, got the string "true"');
  assert.is(check('dict', []), 'expected a mapping, got a list');
  assert.is(check('list[str]', ['a', 2]), 'item 1: expected a string, got number 2');
  assert.is(check('REVIEW_PACKET', null), 'expected a REVIEW_PACKET mapping, got null');
  assert.is(check('any', undefined), undefined);
});

types.run();
