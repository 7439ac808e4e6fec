// What a model's reply is taken to say (spec §5.1): one packet, parsed strictly. An example
// block before the answer, or a key written twice, is ambiguous and is a problem the retry
// feeds back, never the first or the last reading (the attack that turned a seat's reject into
// an approval).
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { packetProblems, parsePacket } from '../../lib/agents/packets.ts';
import { duplicateJsonKey } from '../../lib/agents/json-duplicates.ts';

const it = suite('reply packets');
const fence = (language: string, body: string): string => `\`\`\`${language}\n${body}\n\`\`\``;
const REJECT = '{"seat": "risk", "verdict": "reject", "rationale": "no rollback"}';

it('the whole reply as JSON or YAML, or its one fenced json/yaml block, with prose and other languages around it', () => {
  assert.equal(parsePacket(REJECT), { ok: true, packet: { seat: 'risk', verdict: 'reject', rationale: 'no rollback' } });
  assert.equal(parsePacket('seat: risk\nverdict: reject\n'), { ok: true, packet: { seat: 'risk', verdict: 'reject' } });
  for (const reply of [`My verdict:\n${fence('json', REJECT)}\nThanks.`, fence('', REJECT), fence('JSON', REJECT), `${fence('python', 'print("hi")')}\n${fence('json', REJECT)}`, fence('yaml', 'seat: risk\nverdict: reject\nrationale: no rollback')]) {
    const parsed = parsePacket(reply);
    assert.is(parsed.ok && parsed.packet.verdict, 'reject', reply);
  }
});

it('two packet blocks are refused, whichever comes first', () => {
  const example = fence('json', '{"seat": "risk", "verdict": "approve", "rationale": "example"}');
  for (const reply of [`The format is:\n${example}\nMy actual verdict:\n${fence('json', REJECT)}`, `${fence('json', REJECT)}\n${example}`, `${fence('yaml', 'verdict: approve')}\n${fence('json', REJECT)}`]) {
    assert.equal(parsePacket(reply), { ok: false, problem: 'the reply holds 2 packets; answer with exactly one' });
  }
});

it('fail-closed on every other way a reply can say two things', () => {
  const approve = '{"seat": "risk", "verdict": "approve", "rationale": "example"}';
  const replies = {
    'a ~~~ fence and a ``` fence': `~~~json\n${REJECT}\n~~~\n${fence('json', approve)}`,
    'a packet block that does not parse, then one that does': `${fence('json', '{"verdict": "reject",}')}\n${fence('json', approve)}`,
    'a javascript block holding JSON, then a json one': `${fence('javascript', REJECT)}\n${fence('json', approve)}`,
    'a YAML reply quoting a JSON example in a block scalar': `seat: risk\nverdict: reject\nrationale: |\n  do not write this:\n  ${fence('json', approve).replaceAll('\n', '\n  ')}\n`,
    'a whole JSON reply followed by a fenced block': `${REJECT}\n${fence('json', approve)}`,
    'a fence indented four spaces': `    ${fence('json', REJECT).replaceAll('\n', '\n    ')}\n${fence('json', approve)}`,
    'a fence inside a longer fence': `\`\`\`\`json\n${fence('json', REJECT)}\n${approve}\n\`\`\`\``,
    'a YAML key written through an alias': 'seat: risk\n&k verdict: reject\nrationale: x\n*k : approve\n',
    'keys equal once read (1 and "1")': 'seat: risk\nverdict: approve\n1: a\n"1": b\n',
  };
  for (const [what, reply] of Object.entries(replies)) assert.is(parsePacket(reply).ok, false, what);
});

it('a key written twice is refused, in JSON as in YAML, at any depth', () => {
  assert.equal(parsePacket('{"verdict": "reject", "rationale": "x", "verdict": "approve"}'), { ok: false, problem: 'the packet has the key "verdict" twice; give each field once' });
  assert.is(parsePacket(fence('json', '{"payload": {"a": 1, "a" : 2}}')).ok, false);
  assert.is(parsePacket(fence('yaml', 'verdict: reject\nverdict: approve')).ok, false);
  // The same key in sibling objects, in arrays, or inside a string is not a duplicate.
  assert.is(duplicateJsonKey('{"a": {"k": 1}, "b": {"k": 2}, "c": [{"k": 1}, {"k": 2}], "d": "\\"k\\": 1, \\"k\\": 2"}'), undefined);
  assert.is(duplicateJsonKey('{"a": 1, "b": [1, {"x": 2}], "a"\n\n   : 3}'), 'a');
});

it('no packet: prose, a list, a block that is not JSON', () => {
  for (const reply of ['I would approve this.', '[1, 2]', fence('json', 'not json at all'), fence('python', 'print("approve")')]) {
    assert.is(parsePacket(reply).ok, false, reply);
  }
});

it('one JSON object inside prose is the packet, as real models write it', () => {
  for (const reply of [`After reviewing the change:\n${REJECT}\nOverall the design holds.`, `My verdict is ${REJECT}, see above.`, `My verdict: ${REJECT}`, `Note {name} below.\n${REJECT}`, `I checked "quotes" and {braces}: ${'{"seat": "risk", "verdict": "reject", "rationale": "a } in a string"}'}`]) {
    const parsed = parsePacket(reply);
    assert.is(parsed.ok && parsed.packet.verdict, 'reject', reply);
  }
});

it('prose with two objects, or restating a field around the object, is refused; a YAML reply quoting JSON in a string stays YAML', () => {
  const approve = '{"seat": "risk", "verdict": "approve", "rationale": "example"}';
  assert.equal(parsePacket(`For example ${approve}. My answer: ${REJECT}`), { ok: false, problem: 'the reply holds 2 packets; answer with exactly one' });
  assert.is(parsePacket(`Verdict: approve\n${REJECT}`).ok, false);
  assert.is(parsePacket(`seat: risk\nverdict: reject\nrationale: not like ${approve}\n`).ok, false);
  const yaml = parsePacket(`seat: risk\nverdict: reject\nrationale: "not like ${approve.replaceAll('"', '\\"')}"\n`);
  assert.is(yaml.ok && yaml.packet.verdict, 'reject');
});

it('a reply of a hundred thousand unclosed braces is read in bounded time and holds no packet', () => {
  assert.is(parsePacket(`{"a": ${'{'.repeat(100_000)}`).ok, false);
});

it('4 MB replies made to exhaust a YAML parser are read as JSON only, with peak RSS under 300 MB', () => {
  for (const unit of ['{}', '{a} ', 'a:\n', '```\nfoo\n```\n']) assert.is(parsePacket(unit.repeat(Math.floor((4 * 1024 * 1024) / unit.length))).ok, false, unit);
  const peakMb = process.resourceUsage().maxRSS / 1024;
  assert.ok(peakMb < 300, `peak RSS ${peakMb.toFixed(0)} MB`);
});

it('a second answer beside the packet is refused: prose JSON beside a block, a field restated with another value, an answer past many braces', () => {
  const approve = '{"seat": "risk", "verdict": "approve", "rationale": "fine"}';
  const replies = {
    'prose JSON beside a fenced block': `My verdict: {"verdict": "reject"}\n${fence('json', approve)}`,
    'a restated field in prose that is not YAML': `verdict: reject\nBut actually ${approve}`,
    'a restated field nested in prose': `result: {verdict: reject}\n${approve}`,
    'a restated field beside a block': `**Verdict:** reject\n${fence('json', approve)}`,
    'the answer after seventy prose braces': `${approve} ${'{x} '.repeat(70)} {"seat": "risk", "verdict": "reject", "rationale": "no"}`,
  };
  for (const [what, reply] of Object.entries(replies)) assert.is(parsePacket(reply).ok, false, what);
  // Restating the same value is one answer.
  const same = parsePacket(`Verdict: approve\n${fence('json', approve)}`);
  assert.is(same.ok && same.packet.verdict, 'approve');
});

it('prose naming another value of an enum field, however it is written, is a second answer', () => {
  const schema = { type: 'object', properties: { verdict: { enum: ['approve', 'approve_with_conditions', 'fix_required', 'reject'] } } };
  const block = fence('json', '{"seat": "risk", "verdict": "approve", "rationale": "ok"}');
  const sayings = ['Verdict: `reject`', 'Verdict: [reject]', 'My final verdict: (reject)', 'Verdict - reject', 'Verdict：reject', 'The verdict is reject.', '<verdict>reject</verdict>', fence('text', '**Verdict:** reject'), fence('markdown', 'verdict: fix_required')];
  for (const saying of sayings) assert.is(parsePacket(`${block}\n${saying}`, schema).ok, false, saying);
  for (const saying of ['My verdict, as JSON:', 'The verdict is approve.', 'I weighed a rejection, but here is my verdict.']) {
    const parsed = parsePacket(`${saying}\n${block}`, schema);
    assert.is(parsed.ok && parsed.packet.verdict, 'approve', saying);
  }
});

it('32 large unlabelled blocks, or a packet of 20,000 keys beside 3.5 MB of prose, are read in bounded time', () => {
  const started = performance.now();
  assert.is(parsePacket(Array.from({ length: 32 }, () => fence('', '{}'.repeat(30_000))).join('\n')).ok, false);
  const keys = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 'v']));
  parsePacket(`${fence('json', JSON.stringify(keys))}\n${'some prose k1: x\n'.repeat(200_000)}`);
  assert.ok(performance.now() - started < 10_000, `${Math.round(performance.now() - started)} ms`);
});

it('schema problems name the allowed values, the missing field and the field not allowed', async () => {
  const schema = { type: 'object', required: ['seat', 'verdict'], additionalProperties: false, properties: { seat: { type: 'string' }, verdict: { enum: ['approve', 'reject'] } } };
  const problems = (await packetProblems({ verdict: 'Approve', extra: 1 }, schema)) ?? '';
  assert.match(problems, '/verdict is "Approve"; it must be exactly one of "approve", "reject"');
  assert.match(problems, '(the packet) lacks the required field "seat"');
  assert.match(problems, '(the packet) has the field "extra", which the schema does not allow');
  assert.match((await packetProblems({ seat: 3, verdict: 'approve' }, schema)) ?? '', '/seat is the number 3; it must be string');
});

it.run();
