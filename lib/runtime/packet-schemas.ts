/**
 * The built-in packet schemas (`schemas/packets/<NAME>.schema.json`), registered by name for
 * `llm_call`'s `output_schema` and `gate_check`'s `schema` in every run. A host's `schemas`
 * option adds names and may replace these. Read once, on first use.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root.ts';

let cached: ReadonlyMap<string, object> | undefined;

export function builtinPacketSchemas(): ReadonlyMap<string, object> {
  if (!cached) {
    const dir = join(packageRoot(), 'schemas', 'packets');
    cached = new Map(
      readdirSync(dir)
        .filter((name) => name.endsWith('.schema.json'))
        .sort()
        .map((name) => [name.slice(0, -'.schema.json'.length), JSON.parse(readFileSync(join(dir, name), 'utf8')) as object]),
    );
  }
  return cached;
}
