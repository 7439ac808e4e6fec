/**
 * `llm_call` (spec §5.1): invoke an agent role. The role's prompt is loaded only after the
 * governance baseline verifies; the governed model mapping gives the model chain (an unavailable
 * model moves to the next); the reply's packet is checked against the step's `output_schema`,
 * with one retry that feeds the problems back; every call is logged, hash-chained, and costed.
 *
 * Modes (spec §5.1.2): `live` calls the endpoint; `record` also writes a replay fixture; `replay`
 * answers from the fixture of the deterministic call id, or fails with ReplayMissError (never a
 * live call). Outputs are identical in record and replay: nothing in them depends on the clock
 * or the mode; whether a replay hit its fixture, or drifted from the mapped model, is in the call log.
 *
 * Params:
 *   role           the role (config/agent_roles/<role>.md)
 *   input_packet   the packet the agent receives
 *   output_schema  the name of the JSON Schema its packet must match (runMission({ schemas }))
 *   when, otherwise  skip the call when the condition is false (operations/conditional.ts)
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { canonicalJson, computeCallId, hashCanonical, type Sha256 } from '../core/canonical.ts';
import { EscalationRequired } from '../core/run-errors.ts';
import type { Redact } from '../core/redact.ts';
import { appendCallLog, callLogPath, type CallLogEntry } from '../agents/call-log.ts';
import { AgentTimeoutError, createAgentClient, ModelUnavailable, type AgentClient, type AgentClientOptions } from '../agents/client.ts';
import { callCost, loadModelMapping, loadRolePrompt, modelChain, roleProblems, type ModelMapping, type RolePrompt } from '../agents/config.ts';
import { nearestFixture, readFixture, ReplayMissError, writeFixture } from '../agents/fixtures.ts';
import { packetProblems, parsePacket } from '../agents/packets.ts';
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

interface Answer {
  content: string;
  model_requested: string;
  model_version: string;
  usage: { input_tokens: number; output_tokens: number };
  replay_status: 'hit' | 'version_drift' | null;
}

export function llmCallHandler(settings: LlmCallSettings): OperationHandler {
  let client: AgentClient | undefined;
  const cacheDir = join(settings.callsDir, 'cache');

  /** One call: from a fixture (replay) or the endpoint, down the model chain; logged either way. */
  const call = async (context: OperationContext, prompt: RolePrompt, mapping: ModelMapping, packet: unknown): Promise<Answer & { call_id: Sha256 }> => {
    const packetHash = hashCanonical(packet);
    const callId = computeCallId({ runId: context.run_id, role: prompt.role, promptHash: prompt.prompt_hash, packetHash });
    const chain = modelChain(mapping, prompt.role);
    const log = (fields: Partial<CallLogEntry> & Pick<CallLogEntry, 'status'>): void => {
      const entry: CallLogEntry = {
        call_id_deterministic: callId,
        call_id_audit: randomUUID(),
        timestamp: new Date().toISOString(),
        node: context.node_id,
        role: prompt.role,
        model_requested: chain[0] as string,
        model_used: null,
        model_version: null,
        input_packet_hash: packetHash,
        prompt_hash: prompt.prompt_hash,
        input_tokens: 0,
        output_tokens: 0,
        cost_usd: 0,
        latency_ms: 0,
        output_packet_hash: null,
        mode: context.mode,
        replay_status: null,
        error: null,
        ...fields,
      };
      appendCallLog(callLogPath(settings.callsDir, context.run_id), context.run_id, settings.redact(entry));
    };

    if (context.mode === 'replay') {
      const fixture = readFixture(cacheDir, callId);
      if (!fixture) {
        const miss = new ReplayMissError(callId, context.node_id, nearestFixture(cacheDir, { role: prompt.role, model: chain[0] as string, prompt_hash: prompt.prompt_hash, input_packet: settings.redact(packet) }));
        log({ status: 'error', error: miss.message });
        throw miss;
      }
      const replayStatus = fixture.model_requested === chain[0] ? 'hit' : 'version_drift';
      log({ status: 'success', model_requested: fixture.model_requested, model_used: fixture.model_version, model_version: fixture.model_version, input_tokens: fixture.usage.input_tokens, output_tokens: fixture.usage.output_tokens, replay_status: replayStatus });
      return { call_id: callId, content: fixture.response_content, model_requested: fixture.model_requested, model_version: fixture.model_version, usage: fixture.usage, replay_status: replayStatus };
    }

    client ??= createAgentClient(settings.client);
    const unavailable: string[] = [];
    for (const model of chain) {
      try {
        const answer = await client.chat({ model, system: prompt.text, user: canonicalJson(packet), maxTokens: mapping.max_tokens, timeoutMs: mapping.timeout_seconds * 1000, signal: context.signal });
        log({ status: 'success', model_requested: model, model_used: answer.model, model_version: answer.model, input_tokens: answer.usage.input_tokens, output_tokens: answer.usage.output_tokens, cost_usd: callCost(mapping, model, answer.usage), latency_ms: answer.latency_ms });
        const result = { call_id: callId, content: answer.content, model_requested: model, model_version: answer.model, usage: answer.usage, replay_status: null };
        if (context.mode === 'record') {
          const parsed = parsePacket(answer.content);
          writeFixture(
            cacheDir,
            settings.redact({
              call_id_deterministic: callId,
              role: prompt.role,
              model_requested: model,
              model_version: answer.model,
              input_packet_hash: packetHash,
              prompt_hash: prompt.prompt_hash,
              input_packet: packet,
              response_content: answer.content,
              response_packet: parsed.ok ? parsed.packet : null,
              usage: answer.usage,
            }),
          );
        }
        return result;
      } catch (error) {
        if (error instanceof ModelUnavailable) {
          unavailable.push(model);
          log({ status: 'model_unavailable', model_requested: model, error: settings.redact(error.message) });
          continue;
        }
        log({ status: error instanceof AgentTimeoutError ? 'timeout' : 'error', model_requested: model, error: settings.redact((error as Error).message) });
        throw new Error(settings.redact((error as Error).message), { cause: error });
      }
    }
    throw new EscalationRequired(`no model for role ${prompt.role} is available (tried ${unavailable.join(', ')})`, 'critical', { role: prompt.role, tried: unavailable }, false);
  };

  return defineOperation({
    ...builtinDefinition('llm_call'),
    preflight: (known, context) => {
      const problems = typeof known.role === 'string' ? roleProblems(known.role, context.repo_root) : [];
      const key = settings.client?.apiKey ?? process.env.OPENROUTER_API_KEY;
      if (context.mode !== 'replay' && !key) problems.push(`mode ${context.mode} calls the model, and there is no API key: set OPENROUTER_API_KEY (or pass agent.apiKey), or run with --mode replay and recorded fixtures`);
      return problems;
    },
    // The output is an LlmCallOutput, or `otherwise` when `when` skips the call.
    execute: async (params, context): Promise<unknown> => {
      const skipped = skippedOutput(params);
      if (skipped.skip) return skipped.output;
      const role = params.role as string;
      const prompt = loadRolePrompt(role, { repoRoot: context.repo_root, governanceSurfaces: settings.governanceSurfaces, exclude: settings.exclude });
      const mapping = loadModelMapping(context.repo_root);
      const schemaName = params.output_schema as string | undefined;
      const schema = schemaName === undefined ? undefined : context.schemas.get(schemaName);
      if (schemaName !== undefined && !schema) throw new Error(`output_schema ${schemaName} is not registered (known: ${[...context.schemas.keys()].sort().join(', ') || 'none'}); pass it in runMission({ schemas })`);
      const input = params.input_packet ?? {};
      let answer = await call(context, prompt, mapping, input);
      let checked = await checkAnswer(answer.content, schema);
      if (!checked.ok) {
        // One retry, with the problems fed back: a different packet, so its own call id and fixture.
        answer = await call(context, prompt, mapping, { input_packet: input, previous_reply_problems: checked.problem });
        checked = await checkAnswer(answer.content, schema);
        if (!checked.ok) {
          const invalid = new AgentResponseInvalid(role, checked.problem);
          throw new EscalationRequired(invalid.message, 'critical', { role, problems: checked.problem, call_id: answer.call_id }, false);
        }
      }
      return {
        packet: checked.packet,
        content: answer.content,
        call_id: answer.call_id,
        role,
        model_used: answer.model_version,
        model_version: answer.model_version,
        usage: answer.usage,
        cost_usd: callCost(mapping, answer.model_requested, answer.usage),
      };
    },
  });
}

/** A reply's packet, checked against the schema when the step names one. */
async function checkAnswer(content: string, schema: object | undefined): Promise<{ ok: true; packet: Record<string, unknown> | null } | { ok: false; problem: string }> {
  const parsed = parsePacket(content);
  if (!schema) return { ok: true, packet: parsed.ok ? parsed.packet : null };
  if (!parsed.ok) return { ok: false, problem: parsed.problem };
  const problems = await packetProblems(parsed.packet, schema);
  return problems ? { ok: false, problem: problems } : { ok: true, packet: parsed.packet };
}
