/**
 * What an agent call needs from the target repository (spec §5.1): the role's system prompt,
 * `config/agent_roles/<role>.md`, loaded only after the governance baseline verifies (a prompt
 * that differs from the approved one HALTs the run), and the governed model mapping,
 * `config/models.yaml`: each role's primary model and fallback chain, and prices per million
 * tokens. Nothing in the environment overrides the mapping.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sha256 } from '../core/canonical.ts';
import { GovernanceMismatch } from '../core/governance-errors.ts';
import { parseYaml } from '../core/yaml-source.ts';
import { verifyGovernanceBaseline, type BaselineOptions } from '../governance/baseline.ts';
import { DEFAULT_BASE_URL, DEFAULT_MAX_RESPONSE_BYTES, type StructuredOutput } from './client.ts';

export const MODELS_FILE = 'config/models.yaml';
export const ROLES_DIR = 'config/agent_roles';

/** The repository's agent configuration cannot be used as it is. */
export class AgentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentConfigError';
  }
}

export interface RolePrompt {
  role: string;
  text: string;
  prompt_hash: Sha256;
  path: string;
}

/** Load a role's prompt after verifying every governance surface against the baseline. */
export function loadRolePrompt(role: string, options: BaselineOptions): RolePrompt {
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(role)) throw new AgentConfigError(`role ${JSON.stringify(role)} is not a role name (lower-case letters, digits and _, starting with a letter)`);
  const check = verifyGovernanceBaseline(options);
  if (!check.ok) throw new GovernanceMismatch(check.mismatches, `before loading the ${role} prompt: ${check.mismatches.map((m) => `${m.path} (${m.kind})`).join(', ')}`);
  const path = `${ROLES_DIR}/${role}.md`;
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(options.repoRoot, path));
  } catch {
    throw new AgentConfigError(`no prompt for role ${role}: ${path} does not exist (\`lifeos-mission init\` scaffolds the roles the built-in missions use)`);
  }
  return { role, text: bytes.toString('utf8'), prompt_hash: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, path };
}

export interface ModelMapping {
  /** Per role (and `default`): the models to try, in order. */
  roles: Record<string, string[]>;
  /** USD per million tokens, by model. */
  prices: Record<string, { input: number; output: number }>;
  max_tokens: number;
  temperature: number;
  timeout_seconds: number;
  /** The largest response body read, decoded. */
  max_response_bytes: number;
  /** Per model (and `default`): how to ask for a packet (client.ts StructuredOutput). */
  structured_output: Record<string, StructuredOutput>;
  /** Accept an answer that names a model outside the role's chain (recorded either way). */
  accept_other_models: boolean;
}

const STRUCTURED: ReadonlySet<string> = new Set(['json_schema', 'json_object', 'none']);

/** Read `config/models.yaml`; every problem is reported with the file and line. */
export function loadModelMapping(repoRoot: string): ModelMapping {
  let text: string;
  try {
    text = readFileSync(join(repoRoot, MODELS_FILE), 'utf8');
  } catch {
    throw new AgentConfigError(`${MODELS_FILE} does not exist: it maps each role to its models (see docs/agents.md)`);
  }
  const { value, diagnostics } = parseYaml(text, MODELS_FILE);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new AgentConfigError(errors.map((d) => `${MODELS_FILE}:${d.line ?? '?'}: ${d.message}`).join('\n'));
  const raw = value as Record<string, unknown> | null;
  const problems: string[] = [];
  const roles: Record<string, string[]> = {};
  for (const [role, entry] of Object.entries((raw?.roles ?? {}) as Record<string, unknown>)) {
    const models = (entry as { models?: unknown })?.models;
    if (!Array.isArray(models) || models.length === 0 || !models.every((m) => typeof m === 'string' && m.length > 0)) problems.push(`roles.${role}.models must be a non-empty list of model names`);
    else roles[role] = models as string[];
  }
  if (Object.keys(roles).length === 0 && problems.length === 0) problems.push('roles is empty: map at least `default` to a list of models');
  const prices: ModelMapping['prices'] = {};
  for (const [model, price] of Object.entries((raw?.prices ?? {}) as Record<string, unknown>)) {
    const p = price as { input?: unknown; output?: unknown };
    if (typeof p?.input !== 'number' || typeof p.output !== 'number' || p.input < 0 || p.output < 0) problems.push(`prices.${model} must be { input, output } in USD per million tokens`);
    else prices[model] = { input: p.input, output: p.output };
  }
  const structured: Record<string, StructuredOutput> = {};
  for (const [model, mode] of Object.entries((raw?.structured_output ?? {}) as Record<string, unknown>)) {
    if (typeof mode !== 'string' || !STRUCTURED.has(mode)) problems.push(`structured_output.${model} must be json_schema, json_object or none`);
    else structured[model] = mode as StructuredOutput;
  }
  const maxTokens = raw?.max_tokens ?? 8192;
  const temperature = raw?.temperature ?? 0;
  const timeout = raw?.timeout_seconds ?? 120;
  const maxBytes = raw?.max_response_bytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const acceptOthers = raw?.accept_other_models ?? false;
  if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1) problems.push('max_tokens must be a positive integer');
  if (typeof temperature !== 'number' || temperature < 0 || temperature > 2) problems.push('temperature must be a number from 0 to 2');
  if (typeof timeout !== 'number' || timeout <= 0) problems.push('timeout_seconds must be a positive number');
  if (!Number.isInteger(maxBytes) || (maxBytes as number) < 1024) problems.push('max_response_bytes must be an integer of at least 1024');
  if (typeof acceptOthers !== 'boolean') problems.push('accept_other_models must be true or false');
  if (problems.length > 0) throw new AgentConfigError(`${MODELS_FILE}: ${problems.join('; ')}`);
  return {
    roles,
    prices,
    max_tokens: maxTokens as number,
    temperature: temperature as number,
    timeout_seconds: timeout as number,
    max_response_bytes: maxBytes as number,
    structured_output: structured,
    accept_other_models: acceptOthers as boolean,
  };
}

/**
 * How to ask `model` for a packet: its own `structured_output` entry, else the mapping's
 * `default`, else `json_schema` on OpenRouter (which passes it to every provider that takes it)
 * and `none` on other endpoints, which may not.
 */
export function structuredOutputFor(mapping: ModelMapping, model: string, baseURL: string): StructuredOutput {
  return mapping.structured_output[model] ?? mapping.structured_output.default ?? (baseURL.replace(/\/+$/, '') === DEFAULT_BASE_URL ? 'json_schema' : 'none');
}

/**
 * What would stop a call of `role` before it is made, without verifying the baseline (the call
 * does that): its prompt file, and a model for it in the mapping. Each problem says what to fix.
 */
export function roleProblems(role: string, repoRoot: string): string[] {
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(role)) return [`role ${JSON.stringify(role)} is not a role name (lower-case letters, digits and _, starting with a letter)`];
  const problems: string[] = [];
  if (!existsSync(join(repoRoot, ROLES_DIR, `${role}.md`))) problems.push(`no prompt for role ${role}: ${ROLES_DIR}/${role}.md does not exist (\`lifeos-mission init\` scaffolds the roles the built-in missions use)`);
  try {
    modelChain(loadModelMapping(repoRoot), role);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return problems;
}

/** The models to try for a role: its own chain, else `default`'s. */
export function modelChain(mapping: ModelMapping, role: string): string[] {
  const chain = mapping.roles[role] ?? mapping.roles.default;
  if (!chain) throw new AgentConfigError(`${MODELS_FILE} maps no models to role ${role} and has no default`);
  return chain;
}

/** Every model the mapping names, in any role's chain. */
export function mappedModels(mapping: ModelMapping): string[] {
  return [...new Set(Object.values(mapping.roles).flat())].sort();
}

/** Cost of a call in USD, from the requested model's prices (0 when it has none). */
export function callCost(mapping: ModelMapping, model: string, usage: { input_tokens: number; output_tokens: number }): number {
  const price = mapping.prices[model];
  return price ? (usage.input_tokens * price.input + usage.output_tokens * price.output) / 1_000_000 : 0;
}
