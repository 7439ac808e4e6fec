/**
 * Output packets (spec §5.1): the packet an agent answers with is parsed from its reply (the
 * whole reply as JSON, or the first fenced ```json / ```yaml block) and checked against the JSON
 * Schema the step names. The problems are worded for the agent: a retry feeds them back.
 */
import { parseYaml } from '../core/yaml-source.ts';
import { compileJsonSchema } from '../core/json-schema.ts';

export type PacketResult = { ok: true; packet: Record<string, unknown> } | { ok: false; problem: string };

export function parsePacket(content: string): PacketResult {
  const candidates = [content.trim()];
  const fenced = /```(json|ya?ml)?\s*\n([\s\S]*?)```/i.exec(content);
  if (fenced) candidates.unshift((fenced[2] as string).trim());
  for (const candidate of candidates) {
    let value: unknown;
    try {
      value = JSON.parse(candidate);
    } catch {
      const yaml = parseYaml(candidate);
      if (yaml.diagnostics.some((d) => d.severity === 'error')) continue;
      value = yaml.value;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { ok: true, packet: value as Record<string, unknown> };
  }
  return { ok: false, problem: 'the reply holds no packet: answer with one JSON object (or a fenced ```json block)' };
}

/** Check a packet against a schema; the problems, one per line, or undefined. */
export async function packetProblems(packet: Record<string, unknown>, schema: object): Promise<string | undefined> {
  const validate = await compileJsonSchema(schema);
  if (validate(packet)) return undefined;
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(the packet)'} ${e.message ?? 'is invalid'}`).join('\n');
}
