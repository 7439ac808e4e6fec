/**
 * Output packets (spec §5.1): the packet an agent answers with is parsed from its reply and
 * checked against the JSON Schema the step names. The problems are worded for the agent: a
 * retry feeds them back.
 *
 * A reply is one of: a JSON object (whatever its strings hold); a reply with fenced blocks, of
 * which exactly one holds the packet; a reply without fences that is a JSON or YAML mapping;
 * prose with exactly one JSON object in it.
 * Parsed strictly, fail-closed: a reply that says two things (an example block and the answer,
 * a YAML reply quoting a JSON example, a key written twice, a packet block that does not parse
 * beside one that does) is a problem, never read as the first or the last of them.
 */
import type { ErrorObject } from 'ajv';
import { canonicalJson } from '../core/canonical.ts';
import { parseYaml } from '../core/yaml-source.ts';
import { compileJsonSchema } from '../core/json-schema.ts';
import { fencedBlocks, type FencedBlock } from './fenced-blocks.ts';
import { duplicateJsonKey } from './json-duplicates.ts';
import { proseJsonObjects, type ProseObject } from './prose-json.ts';
import { fieldValues, restatesField, type FieldValues } from './restated-fields.ts';

export type PacketResult = { ok: true; packet: Record<string, unknown> } | { ok: false; problem: string };
type Parsed = { value: Record<string, unknown> } | { duplicate: string | null } | { several: number };

const NONE = 'the reply holds no packet: answer with one JSON object (or a fenced ```json block)';
/** Fence labels that say the block is data: it must then be exactly one packet. */
const DATA_LABELS: ReadonlySet<string> = new Set(['json', 'json5', 'jsonc', 'yaml', 'yml']);
/**
 * The longest reply read as YAML. The yaml library needs about 1 GB per MB of adversarial text
 * (`{}` repeated): a reply within the body limit would exhaust the heap. A longer reply is read
 * as JSON only (a yaml block in it is refused); a packet is a few KB.
 */
export const MAX_YAML_REPLY = 64 * 1024;
/** More fenced blocks than any answer needs: each would be parsed. */
const MAX_BLOCKS = 32;

/** How a reply is read: YAML only when it is short, and the values its schema allows. */
interface Reading {
  yaml: boolean;
  values: FieldValues;
}

/** The reply's packet; `schema` (the step's output schema) tells which values of a field prose must not name. */
export function parsePacket(content: string, schema?: object): PacketResult {
  const text = content.replace(/^\uFEFF/, '');
  const whole = parseJson(text.trim());
  if (whole !== 'not json' && 'parsed' in whole) return result(whole.parsed);
  const reading: Reading = { yaml: text.length <= MAX_YAML_REPLY, values: fieldValues(schema) };
  const { blocks, outside } = fencedBlocks(text, MAX_BLOCKS);
  if (blocks.length === 0) return result(unfenced(text, reading));
  if (blocks.length > MAX_BLOCKS) return { ok: false, problem: `the reply holds more than ${MAX_BLOCKS} fenced blocks; answer with one JSON object` };
  const candidates: Parsed[] = [];
  const notData: string[] = [];
  for (const block of blocks) {
    const parsed = parseBlock(block, reading);
    if (parsed === 'broken') return { ok: false, problem: `a fenced ${block.label || 'code'} block does not hold one valid JSON object; answer with exactly one packet` };
    if (parsed) candidates.push(parsed);
    else notData.push(block.body);
  }
  // The text around the blocks holding a JSON object, or restating the packet's fields (a YAML
  // reply quoting an example, `verdict: reject` in prose), is a second answer.
  const prose = proseJsonObjects(outside, 2);
  if (prose === 'too many') return result({ several: Infinity });
  candidates.push(...prose.map((object) => ({ value: object.value })));
  const around = parseYamlObject(outside.trim(), reading);
  if (around && 'value' in around && candidates.some((c) => 'value' in c && contradicts(around.value, c.value))) candidates.push(around);
  const only = candidates[0];
  if (candidates.length === 1 && only && 'value' in only && restatesField([outside, ...notData].join('\n'), only.value, reading.values)) candidates.push(only);
  if (candidates.length > 1) return result({ several: candidates.length });
  return result(candidates[0]);
}

/**
 * A reply without fences: a YAML mapping, or prose around one JSON object. A line of prose
 * ending in a colon before the object (`My verdict: {…}`) also reads as YAML, a mapping of
 * one key to that object: it is the object.
 */
function unfenced(text: string, reading: Reading): Parsed | undefined {
  const yaml = parseYamlObject(text.trim(), reading);
  if (!yaml || !('value' in yaml)) return yaml ?? fromProse(text, reading);
  const values = Object.values(yaml.value);
  if (values.length !== 1 || values[0] === null || typeof values[0] !== 'object') return yaml;
  const prose = fromProse(text, reading);
  return prose && 'value' in prose && canonicalJson(prose.value) === canonicalJson(values[0]) ? prose : yaml;
}

/**
 * The one JSON object written inside prose. Two are two answers (an example and the verdict),
 * and prose around it that restates a field of it as YAML (`verdict: approve`) is a second one:
 * both are refused, as with fenced blocks.
 */
function fromProse(text: string, reading: Reading): Parsed | undefined {
  // Two are enough to know the reply says two things.
  const objects = proseJsonObjects(text, 2);
  if (objects === 'too many') return { several: Infinity };
  if (objects.length === 0) return undefined;
  if (objects.length > 1) return { several: 2 };
  const [only] = objects as [ProseObject];
  const duplicate = duplicateJsonKey(only.text);
  if (duplicate !== undefined) return { duplicate };
  const rest = `${text.slice(0, only.start)}\n${text.slice(only.end)}`;
  const around = parseYamlObject(rest.trim(), reading);
  if (around && 'value' in around && contradicts(around.value, only.value)) return { several: 2 };
  if (restatesField(rest, only.value, reading.values)) return { several: 2 };
  return { value: only.value };
}

/** Whether two mappings give a field (its name's case aside) different values: two answers. */
function contradicts(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const fields = new Map(Object.entries(b).map(([key, value]) => [key.toLowerCase(), value]));
  const text = (value: unknown): string => (typeof value === 'string' ? value.toLowerCase() : canonicalJson(value ?? null));
  return Object.entries(a).some(([key, value]) => fields.has(key.toLowerCase()) && text(fields.get(key.toLowerCase())) !== text(value));
}

function result(parsed: Parsed | undefined): PacketResult {
  if (parsed === undefined) return { ok: false, problem: NONE };
  if ('several' in parsed) return { ok: false, problem: parsed.several === Infinity ? 'the reply holds too many braces to find its one packet; answer with one JSON object' : `the reply holds ${parsed.several} packets; answer with exactly one` };
  if ('duplicate' in parsed) return { ok: false, problem: `the packet has ${parsed.duplicate === null ? 'a key' : `the key "${parsed.duplicate}"`} twice; give each field once` };
  return { ok: true, packet: parsed.value };
}

/**
 * A fenced block's packet; 'broken' when a block labelled as data (or any block that is JSON)
 * is not exactly one object; undefined when it is not data at all (code, prose).
 */
function parseBlock(block: FencedBlock, reading: Reading): Parsed | 'broken' | undefined {
  const label = block.label.toLowerCase();
  const body = block.body.replace(/^\uFEFF/, '').trim();
  if (label === 'yaml' || label === 'yml') return parseYamlObject(body, reading) ?? 'broken';
  const json = parseJson(body);
  if (json === 'not json') {
    if (DATA_LABELS.has(label)) return 'broken';
    return label === '' ? parseYamlObject(body, reading) : undefined;
  }
  return 'parsed' in json ? json.parsed : 'broken';
}

/** JSON text: its object (or the key it repeats), `{}` for JSON that is not an object, or 'not json'. */
function parseJson(text: string): { parsed: Parsed } | { other: true } | 'not json' {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not json';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { other: true };
  const duplicate = duplicateJsonKey(text);
  return { parsed: duplicate === undefined ? { value: value as Record<string, unknown> } : { duplicate } };
}

/** A YAML mapping (or the key it repeats); undefined for anything else or a YAML error. */
function parseYamlObject(text: string, reading: Reading): Parsed | undefined {
  if (text === '' || !reading.yaml) return undefined;
  const yaml = parseYaml(text);
  const duplicate = yaml.diagnostics.find((d) => d.code === 'E_YAML_DUPLICATE_KEY');
  if (duplicate) return { duplicate: /"([^"]+)"/.exec(duplicate.message)?.[1] ?? null };
  if (yaml.diagnostics.some((d) => d.severity === 'error')) return undefined;
  const value = yaml.value;
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? { value: value as Record<string, unknown> } : undefined;
}

/** Check a packet against a schema; the problems, one per line, or undefined. */
export async function packetProblems(packet: Record<string, unknown>, schema: object): Promise<string | undefined> {
  const validate = await compileJsonSchema(schema);
  if (validate(packet)) return undefined;
  return [...new Set((validate.errors ?? []).map((error) => describeSchemaError(error, packet)))].join('\n');
}

/** One schema error, worded so the agent can fix it: the allowed values, the missing field, the field not allowed. */
function describeSchemaError(error: ErrorObject, packet: unknown): string {
  const where = error.instancePath || '(the packet)';
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'enum':
      return `${where} is ${JSON.stringify(valueAt(packet, error.instancePath))}; it must be exactly one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${where} must be ${JSON.stringify(params.allowedValue)}`;
    case 'required':
      return `${where} lacks the required field "${String(params.missingProperty)}"`;
    case 'additionalProperties':
      return `${where} has the field "${String(params.additionalProperty)}", which the schema does not allow`;
    case 'type':
      return `${where} is ${describeType(valueAt(packet, error.instancePath))}; it must be ${String(params.type)}`;
    default:
      return `${where} ${error.message ?? 'is invalid'}`;
  }
}

/** The value at a JSON Pointer (ajv's instancePath). */
function valueAt(value: unknown, pointer: string): unknown {
  let at = value;
  for (const token of pointer.split('/').slice(1)) {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
    at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  }
  return at;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `the ${typeof value} ${JSON.stringify(value)?.slice(0, 60)}`;
}
