/**
 * Output packets (spec §5.1): the packet an agent answers with is parsed from its reply (the
 * whole reply as JSON or YAML, or its one fenced ```json / ```yaml block) and checked against
 * the JSON Schema the step names. The problems are worded for the agent: a retry feeds them back.
 *
 * Parsed strictly, fail-closed: a reply that holds two packets (an example block, then the
 * answer) or a JSON object with a key written twice says two things, and which one the model
 * meant is a guess; it is a problem, never the first or the last one.
 */
import { parseYaml } from '../core/yaml-source.ts';
import { compileJsonSchema } from '../core/json-schema.ts';
import { duplicateJsonKey } from './json-duplicates.ts';

export type PacketResult = { ok: true; packet: Record<string, unknown> } | { ok: false; problem: string };

const FENCE = /```([\w-]*)[^\n]*\n([\s\S]*?)```/g;
const NONE = 'the reply holds no packet: answer with one JSON object (or a fenced ```json block)';

export function parsePacket(content: string): PacketResult {
  const blocks = [...content.matchAll(FENCE)].filter(([, language]) => /^(json|ya?ml)?$/i.test(language ?? ''));
  const parsed = blocks.map(([, language, body]) => parseObject((body ?? '').trim(), /^ya?ml$/i.test(language ?? '')));
  const packets = parsed.filter((result) => result !== undefined);
  if (packets.length > 1) return { ok: false, problem: `the reply holds ${packets.length} packets (fenced blocks); answer with exactly one` };
  const [packet = blocks.length === 0 ? parseObject(content.trim(), true) : undefined] = packets;
  if (packet === undefined) return { ok: false, problem: NONE };
  return 'duplicate' in packet ? { ok: false, problem: `the packet has ${packet.duplicate === null ? 'a key' : `the key "${packet.duplicate}"`} twice; give each field once` } : { ok: true, packet: packet.value };
}

/** A JSON (or, where allowed, YAML) object; a duplicate key is reported, other values are not packets. */
function parseObject(text: string, yamlAllowed: boolean): { value: Record<string, unknown> } | { duplicate: string | null } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
    const duplicate = duplicateJsonKey(text);
    if (duplicate !== undefined) return { duplicate };
  } catch {
    if (!yamlAllowed) return undefined;
    const yaml = parseYaml(text);
    const duplicate = yaml.diagnostics.find((d) => d.code === 'E_YAML_DUPLICATE_KEY');
    if (duplicate) return { duplicate: /"([^"]+)"/.exec(duplicate.message)?.[1] ?? null };
    if (yaml.diagnostics.some((d) => d.severity === 'error')) return undefined;
    value = yaml.value;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? { value: value as Record<string, unknown> } : undefined;
}

/** Check a packet against a schema; the problems, one per line, or undefined. */
export async function packetProblems(packet: Record<string, unknown>, schema: object): Promise<string | undefined> {
  const validate = await compileJsonSchema(schema);
  if (validate(packet)) return undefined;
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(the packet)'} ${e.message ?? 'is invalid'}`).join('\n');
}
