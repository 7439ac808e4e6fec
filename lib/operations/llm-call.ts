/**
 * `llm_call` (spec §5.1): invoke an agent role. The role's prompt is loaded only after the
 * governance baseline verifies; the governed model mapping gives the model chain (an unavailable
 * model moves to the next), the temperature, the token limit and the structured-output setting;
 * the reply's packet is checked against the step's `output_schema`, with one retry that feeds
 * the problems back; every call is logged (agents/call-record.ts), hash-chained, and costed.
 *
 * Modes (spec §5.1.2): `live` and `record` call the endpoint and cache every answer as a replay
 * fixture; `replay` answers from the fixtures (agents/replay-match.ts: exact, or the same call
 * at another commit, as `code_drift`), or fails with ReplayMissError (never a live call).
 * Outputs are identical in every mode: nothing in them depends on the clock or the mode; how a
 * replay matched is in the call log.
 *
 * Params:
 *   role           the role (config/agent_roles/<role>.md)
 *   input_packet   the packet the agent receives
 *   output_schema  the name of the JSON Schema its packet must match (runMission({ schemas }))
 *   model          one model of config/models.yaml instead of the role's chain (default: the chain)
 *   temperature    0 to 2 (default: the mapping's, else 0)
 *   max_tokens     a positive integer (default: the mapping's, else 8192)
 *   when, otherwise  skip the call when the condition is false (operations/conditional.ts)
 */
import { join } from 'node:path';
import { canonicalJson, computeCallId, hashCanonical, type Sha256 } from '../core/canonical.ts';
import { EscalationRequired } from '../core/run-errors.ts';
import type { Redact } from '../core/redact.ts';
import { callRecorder, type CallOutcome } from '../agents/call-record.ts';
import { AgentCallFailed, createAgentClient, DEFAULT_BASE_URL, ModelUnavailable, type AgentClient, type AgentClientOptions } from '../agents/client.ts';
import { callCost, loadModelMapping, loadRolePrompt, mappedModels, modelChain, roleProblems, structuredOutputFor, type ModelMapping, type RolePrompt } from '../agents/config.ts';
import { writeFixture } from '../agents/fixtures.ts';
import { answersFor } from '../agents/model-names.ts';
import { packetProblems, parsePacket } from '../agents/packets.ts';
import { replayMatcher } from '../agents/replay-match.ts';
import { skippedOutput } from './conditional.ts';
import { builtinDefinition, defineOperation, type OperationContext, type OperationHandler } from './handler.ts';

/** The agent's replies did not hold a valid packet, even after one retry with the problems fed back. */
export class AgentResponseInvalid extends Error {
  constructor(
    readonly role: string,
    readonly problems: string,
  ) {
    super(`the ${role} agent's reply is not a valid packet after a retry: ${problems}`);
    this.name = 'AgentResponseInvalid';
  }
}

export interface LlmCallSettings {
  /** The agent call log and fixture cache folder (logs/agent_calls, absolute). */
  callsDir: string;
  /** Client options (base URL, key, retries); the client is made on the first live call. */
  client?: AgentClientOptions;
  /** Redacts secrets from everything written. */
  redact: Redact;
  /** For the baseline check before a prompt is loaded. */
  governanceSurfaces: readonly string[];
  exclude: readonly string[];
  /** Replay takes exact fixture matches only (no code or version drift). */
  strictReplay?: boolean;
}

export interface LlmCallOutput {
  packet: Record<string, unknown> | null;
  content: string;
  call_id: Sha256;
  role: string;
  model_used: string;
  model_version: string;
  usage: { input_tokens: number; output_tokens: number };
  cost_usd: number;
}

/** One call's settings: from the step's params, defaulted from the mapping. */
interface CallPlan {
  prompt: RolePrompt;
  mapping: ModelMapping;
  chain: readonly string[];
  temperature: number;
  maxTokens: number;
  schema: { name: string; schema: object } | undefined;
}

interface Answer {
  call_id: Sha256;
  content: string;
  model_requested: string;
  model_version: string;
  usage: { input_tokens: number; output_tokens: number };
}

type Checked = { ok: true; packet: Record<string, unknown> | null } | { ok: false; problem: string };

export function llmCallHandler(settings: LlmCallSettings): OperationHandler {
  const clients = new Map<number, AgentClient>();
  const cacheDir = join(settings.callsDir, 'cache');
  const match = replayMatcher(cacheDir);
  const baseURL = settings.client?.baseURL ?? DEFAULT_BASE_URL;
  const clientFor = (mapping: ModelMapping): AgentClient => {
    let client = clients.get(mapping.max_response_bytes);
    if (!client) clients.set(mapping.max_response_bytes, (client = createAgentClient({ ...settings.client, maxResponseBytes: mapping.max_response_bytes })));
    return client;
  };

  /** One call, from a fixture (replay) or the endpoint down the chain, its reply checked; logged either way. */
  const call = async (context: OperationContext, plan: CallPlan, packet: unknown): Promise<Answer & { checked: Checked }> => {
    const { prompt } = plan;
    const packetHash = hashCanonical(packet);
    const callId = computeCallId({ runId: context.run_id, role: prompt.role, promptHash: prompt.prompt_hash, packetHash });
    const record = callRecorder({ settings, context, callId, role: prompt.role, promptHash: prompt.prompt_hash, packetHash, requested: plan.chain[0] as string });
    const checkAndLog = async (answer: Answer, outcome: CallOutcome): Promise<Answer & { checked: Checked }> => {
      const checked = await checkAnswer(answer.content, plan.schema?.schema);
      record.answered(outcome, checked.ok ? { packet: checked.packet } : { problem: checked.problem });
      return { ...answer, checked };
    };

    if (context.mode === 'replay') {
      const key = { callId, node: context.node_id, role: prompt.role, promptHash: prompt.prompt_hash, packet, inputPacket: settings.redact(packet), runId: context.run_id, runKey: context.run_key, codeVersion: context.baseline_commit, chain: plan.chain, request: { temperature: plan.temperature, max_tokens: plan.maxTokens } };
      let found: ReturnType<typeof match>;
      try {
        found = match(key, settings.strictReplay === true);
      } catch (error) {
        record.failed({ status: 'error', error: (error as Error).message });
        throw error;
      }
      const { fixture } = found;
      const priced = pricedAs(fixture.model_requested, fixture.model_version, plan.chain);
      const answer = { call_id: callId, content: fixture.response_content, model_requested: priced, model_version: fixture.model_version, usage: fixture.usage };
      return checkAndLog(answer, { model_requested: fixture.model_requested, model_used: fixture.model_version, usage: fixture.usage, cost_usd: callCost(plan.mapping, priced, fixture.usage), latency_ms: 0, replay: { status: found.status, recorded_code_version: found.recordedCodeVersion } });
    }

    const client = clientFor(plan.mapping);
    const unavailable: string[] = [];
    for (const model of plan.chain) {
      try {
        const response = await client.chat({
          model,
          system: prompt.text,
          user: canonicalJson(packet),
          maxTokens: plan.maxTokens,
          temperature: plan.temperature,
          timeoutMs: plan.mapping.timeout_seconds * 1000,
          structuredOutput: structuredOutputFor(plan.mapping, model, baseURL),
          ...(plan.schema ? { schema: plan.schema } : {}),
          signal: context.signal,
          onRetry: (notice) => context.notify?.({ kind: 'retry', node: context.node_id, message: `retry ${notice.retry}/${notice.of} after ${notice.cause}, waiting ${(notice.waitMs / 1000).toFixed(1)} s` }),
        });
        // Priced as the model that answered: another model of the chain may cost more than the one asked.
        const priced = pricedAs(model, response.model, plan.chain);
        const answer = { call_id: callId, content: response.content, model_requested: priced, model_version: response.model, usage: response.usage };
        const outcome: CallOutcome = { model_requested: model, model_used: response.model, usage: response.usage, cost_usd: callCost(plan.mapping, priced, response.usage), latency_ms: response.latency_ms, structured_output: response.structured_output };
        // A priced model's cost counts against the budgets: an answer that does not say what it used cannot be counted.
        if (!response.usage_reported && plan.mapping.prices[model]) {
          const problem = `the endpoint reported no token usage for ${model}, which config/models.yaml prices: its cost cannot be counted against the budget`;
          record.failed({ status: 'error', ...outcome, error: problem });
          throw new AgentCallFailed(model, null, problem);
        }
        // The answering model must be one the mapping allows for the role (spec §5.1.1), or the mapping says to accept others.
        if (!plan.chain.some((allowed) => answersFor(allowed, response.model))) {
          const problem = `the endpoint answered with model ${response.model}, which is not ${plan.chain.length === 1 ? `${plan.chain[0]}` : `one of ${plan.chain.join(', ')}`} (the models config/models.yaml maps to role ${prompt.role})`;
          if (!plan.mapping.accept_other_models) {
            record.failed({ status: 'error', ...outcome, error: problem });
            throw new AgentCallFailed(model, null, `${problem}; set accept_other_models: true in config/models.yaml to accept it`);
          }
          outcome.model_mismatch = true;
        }
        writeFixture(
          cacheDir,
          settings.redact({
            call_id_deterministic: callId,
            role: prompt.role,
            model_requested: model,
            model_version: response.model,
            input_packet_hash: packetHash,
            prompt_hash: prompt.prompt_hash,
            input_packet: packet,
            response_content: response.content,
            response_packet: parsedPacket(response.content),
            usage: response.usage,
            node: context.node_id,
            request: { temperature: plan.temperature, max_tokens: plan.maxTokens },
            run_id: context.run_id,
            ...(context.run_key ? { run_key: context.run_key } : {}),
            ...(context.baseline_commit ? { code_version: context.baseline_commit } : {}),
          }),
        );
        return await checkAndLog(answer, outcome);
      } catch (error) {
        if (error instanceof ModelUnavailable) {
          unavailable.push(model);
          record.failed({ status: 'model_unavailable', model_requested: model, error: error.message });
          continue;
        }
        if (!record.done) record.failed({ status: isTimeout(error, context) ? 'timeout' : 'error', model_requested: model, error: (error as Error).message });
        throw new Error(settings.redact((error as Error).message), { cause: error });
      }
    }
    throw new EscalationRequired(`no model for role ${prompt.role} is available (tried ${unavailable.join(', ')})`, 'critical', { role: prompt.role, tried: unavailable }, false);
  };

  return defineOperation({
    ...builtinDefinition('llm_call'),
    preflight: (known, context) => {
      const problems = typeof known.role === 'string' ? roleProblems(known.role, context.repo_root) : [];
      if (typeof known.model === 'string' && problems.length === 0) problems.push(...modelProblems(known.model, loadModelMapping(context.repo_root)));
      const key = settings.client?.apiKey ?? process.env.OPENROUTER_API_KEY;
      if (context.mode !== 'replay' && !key) problems.push(`mode ${context.mode} calls the model, and there is no API key: set OPENROUTER_API_KEY (or pass agent.apiKey), or run with --mode replay and recorded fixtures`);
      return problems;
    },
    // The output is an LlmCallOutput, or `otherwise` when `when` skips the call.
    execute: async (params, context): Promise<unknown> => {
      const skipped = skippedOutput(params);
      if (skipped.skip) return skipped.output;
      const plan = callPlan(params, context, settings);
      const input = params.input_packet ?? {};
      let answer = await call(context, plan, input);
      // Every call the step made is its cost, the refused reply's too.
      let cost = callCost(plan.mapping, answer.model_requested, answer.usage);
      if (!answer.checked.ok) {
        // One retry, with the problems fed back: a different packet, so its own call id and fixture.
        answer = await call(context, plan, { input_packet: input, previous_reply_problems: answer.checked.problem });
        cost += callCost(plan.mapping, answer.model_requested, answer.usage);
        if (!answer.checked.ok) {
          const invalid = new AgentResponseInvalid(plan.prompt.role, answer.checked.problem);
          throw new EscalationRequired(invalid.message, 'critical', { role: plan.prompt.role, problems: answer.checked.problem, call_id: answer.call_id }, false);
        }
      }
      const output: LlmCallOutput = {
        packet: answer.checked.packet,
        content: answer.content,
        call_id: answer.call_id,
        role: plan.prompt.role,
        model_used: answer.model_version,
        model_version: answer.model_version,
        usage: answer.usage,
        cost_usd: cost,
      };
      return output;
    },
  });
}

/** The prompt (after the baseline check), the mapping, and the step's model settings over the mapping's defaults. */
function callPlan(params: Record<string, unknown>, context: OperationContext, settings: LlmCallSettings): CallPlan {
  const role = params.role as string;
  const prompt = loadRolePrompt(role, { repoRoot: context.repo_root, governanceSurfaces: settings.governanceSurfaces, exclude: settings.exclude });
  const mapping = loadModelMapping(context.repo_root);
  const schemaName = params.output_schema as string | undefined;
  const schema = schemaName === undefined ? undefined : context.schemas.get(schemaName);
  if (schemaName !== undefined && !schema) throw new Error(`output_schema ${schemaName} is not registered (known: ${[...context.schemas.keys()].sort().join(', ') || 'none'}); pass it in runMission({ schemas })`);
  const model = params.model as string | undefined;
  const problems = model === undefined ? [] : modelProblems(model, mapping);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return {
    prompt,
    mapping,
    chain: model !== undefined && model !== 'auto' ? [model] : modelChain(mapping, role),
    temperature: (params.temperature as number | undefined) ?? mapping.temperature,
    maxTokens: (params.max_tokens as number | undefined) ?? mapping.max_tokens,
    schema: schemaName !== undefined && schema ? { name: schemaName, schema } : undefined,
  };
}

/** A step's `model` must be one the governed mapping names (`auto`: the role's chain). */
function modelProblems(model: string, mapping: ModelMapping): string[] {
  if (model === 'auto') return [];
  const known = mappedModels(mapping);
  return known.includes(model) ? [] : [`model ${model} is not in config/models.yaml (it names ${known.join(', ')}); add it to a role's models there (the mapping is a governance surface), or leave model out to use the role's chain`];
}

/** The model a call is priced as: the one asked, or the model of the chain that answered instead (it may cost more). */
function pricedAs(asked: string, answered: string, chain: readonly string[]): string {
  return [asked, ...chain].find((candidate) => answersFor(candidate, answered)) ?? asked;
}

function isTimeout(error: unknown, context: OperationContext): boolean {
  return (error as Error)?.name === 'AgentTimeoutError' || (context.signal?.aborted === true && /time/i.test(String((context.signal.reason as Error | undefined)?.message ?? '')));
}

function parsedPacket(content: string): Record<string, unknown> | null {
  const parsed = parsePacket(content);
  return parsed.ok ? parsed.packet : null;
}

/** A reply's packet, checked against the schema when the step names one. */
async function checkAnswer(content: string, schema: object | undefined): Promise<Checked> {
  const parsed = parsePacket(content, schema);
  if (!schema) return { ok: true, packet: parsed.ok ? parsed.packet : null };
  if (!parsed.ok) return { ok: false, problem: parsed.problem };
  const problems = await packetProblems(parsed.packet, schema);
  return problems ? { ok: false, problem: problems } : { ok: true, packet: parsed.packet };
}
