/**
 * One write policy for every writer (spec §5.2.1): the envelopes a step's changes are checked
 * against, whoever made them (the engine's tools, the llm builder, a coding agent, a test run, a
 * host handler). The chain in force (mission, nested missions, step) is extended for the steps
 * that run unreviewed code or apply a design:
 *
 *   - a `tool_invoke` with a `scope` (a BUILD_PACKET's scope): that scope, innermost;
 *   - builder and test steps (a `scope`, or the test and coding agent tools): the repository's
 *     envelope policy (`config/envelope_policy.yaml`, `builder.allowed_paths` and
 *     `builder.denied_paths`), so a denied path stays denied whatever the design's scope says.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Envelope } from '../core/types.ts';
import { yamlLibrary } from '../core/yaml-library.ts';

export const ENVELOPE_POLICY_FILE = 'config/envelope_policy.yaml';

/** Tools whose steps run code nobody reviewed: the repository's builder policy applies to them. */
const UNREVIEWED_TOOLS: ReadonlySet<string> = new Set(['test', 'coding_agent', 'opencode']);

/** The builder envelope of the repository's policy file, if it has one; a malformed file is an error naming the field. */
export function builderPolicy(repoRoot: string): Envelope[] {
  const file = join(repoRoot, ENVELOPE_POLICY_FILE);
  if (!existsSync(file)) return [];
  const policy = yamlLibrary().parse(readFileSync(file, 'utf8')) as { builder?: Partial<Envelope> } | null;
  const builder = policy?.builder;
  if (!builder || !Array.isArray(builder.allowed_paths)) throw new Error(`${ENVELOPE_POLICY_FILE}: builder.allowed_paths must be a list of paths`);
  if (builder.denied_paths !== undefined && !Array.isArray(builder.denied_paths)) throw new Error(`${ENVELOPE_POLICY_FILE}: builder.denied_paths must be a list of paths`);
  return [{ allowed_paths: builder.allowed_paths.map(String), ...(builder.denied_paths ? { denied_paths: builder.denied_paths.map(String) } : {}) }];
}

/** A BUILD_PACKET scope as an envelope (none when the step has no scope). */
export function scopeEnvelope(scope: unknown): Envelope[] {
  if (scope === undefined || scope === null) return [];
  const { allowed_paths, denied_paths } = scope as { allowed_paths?: unknown; denied_paths?: unknown };
  if (!Array.isArray(allowed_paths)) throw new TypeError('scope.allowed_paths must be a list of paths');
  return [{ allowed_paths: allowed_paths.map(String), ...(Array.isArray(denied_paths) ? { denied_paths: denied_paths.map(String) } : {}) }];
}

/** Whether a step builds or tests (its changes come from a design or from unreviewed code). */
export function isBuilderOrTestStep(operation: string, params: Readonly<Record<string, unknown>>): boolean {
  return operation === 'tool_invoke' && (params.scope !== undefined || UNREVIEWED_TOOLS.has(String(params.tool)));
}

/** Every envelope that applies to what this step changes, outermost first. */
export function writeChain(chain: readonly Envelope[], operation: string, params: Readonly<Record<string, unknown>>, policy: readonly Envelope[]): Envelope[] {
  if (operation !== 'tool_invoke') return [...chain];
  return [...chain, ...(isBuilderOrTestStep(operation, params) ? policy : []), ...scopeEnvelope(params.scope)];
}
