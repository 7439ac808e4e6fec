/**
 * The run progress display, built on the engine's events (onEvent): one line per step with its
 * status and duration, nested missions indented under a header, a fan-out's instances grouped
 * into one line (a failing instance still gets its own), and the rollback, escalations and
 * kill switch as they happen. Durations come from the journal timestamps, so the display and
 * the journal always agree.
 */
import { stepType } from '../core/step-records.ts';
import type { ProgressEvent, RunEvent } from '../runtime/engine/types.ts';

interface OpenFanOut {
  id: string;
  instances: number;
  /** Instances their `when` skipped. */
  skipped: number;
}

interface OpenStep {
  started: number;
  label: string;
  type: string;
}

const WHEN_SKIPPED = 'skipped (its when is false)';
const MARK = { completed: '✓', failed: '✗', skipped: '↷', waiting: '…' } as const;

/**
 * The callbacks of a run that write progress lines through `write`: onEvent for the journal's
 * entries, onProgress for what happens between them (calls in flight, retries and their cause).
 */
export function progressPrinter(write: (line: string) => void): { onEvent: (event: RunEvent) => void; onProgress: (event: ProgressEvent) => void } {
  const steps = new Map<string, OpenStep>();
  const fanOuts: OpenFanOut[] = [];
  /** Verdicts of finished steps (a seat's, the council's), by node, for their lines. */
  const verdicts = new Map<string, string>();
  /** Fan-outs whose calls in flight were shown (once, when as many run as may). */
  const shownInFlight = new Set<string>();
  let depth = 0;

  const indent = (): string => '  '.repeat(depth);
  const inFanOut = (node: string): OpenFanOut | undefined => fanOuts.find((f) => node.startsWith(`${f.id}[`));
  const line = (mark: string, label: string, type: string, status: string, ms?: number): void =>
    write(`${indent()}${mark} ${label.padEnd(Math.max(24 - depth * 2, label.length))}  ${type.padEnd(16)}  ${status}${ms === undefined ? '' : `  ${formatDuration(ms)}`}\n`);

  const onProgress = (event: ProgressEvent): void => {
    if (event.kind === 'retry') return write(`${indent()}  ↻ ${localName(event.node)}: ${event.message}\n`);
    if (event.running.length < Math.max(2, event.of) || shownInFlight.has(event.node)) return;
    shownInFlight.add(event.node);
    write(`${indent()}  … ${localName(event.node)}: ${event.running.length} calls in flight\n`);
  };

  const onEvent = (event: RunEvent): void => {
    const data = event.data;
    const node = typeof data.node === 'string' ? data.node : '';
    const at = Date.parse(event.at);
    const step = steps.get(node);
    switch (event.type) {
      case 'run_started':
        write(`run ${String(data.mission)} ${shortId(event.run_id)} (attempt ${String(data.attempt)}, mode ${String(data.mode)})\n`);
        return;
      case 'recovery':
        write(`recovering run ${shortId(event.run_id)}${data.in_flight ? `: step ${(data.in_flight as { node: string }).node} was interrupted` : ''}\n`);
        return;
      case 'step_started': {
        const label = localName(node, inFanOut(node)?.id);
        steps.set(node, { started: at, label, type: stepType(data) });
        if (inFanOut(node)) return;
        if (data.kind === 'fan_out') fanOuts.push({ id: node, instances: data.instances as number, skipped: 0 });
        if (data.kind === 'mission') {
          write(`${indent()}▸ ${label}  mission ${String(data.mission)}\n`);
          depth += 1;
        }
        return;
      }
      case 'step_skipped': {
        if (!inFanOut(node)) line(MARK.skipped, localName(node), '', 'skipped (completed earlier)');
        return;
      }
      case 'step_finished': {
        const skippedByWhen = data.skipped === 'when';
        const group = inFanOut(node);
        if (group) {
          if (skippedByWhen) group.skipped += 1;
          return;
        }
        const override = data.ceo_override as { by?: string; rationale?: string | null } | undefined;
        if (override) return line(MARK.completed, localName(node), 'ceo override', `passed by ${String(override.by)}${override.rationale ? `: ${override.rationale}` : ''}`);
        // A step started by an earlier process (a human step approved on resume) has no start time here.
        if (!step) return line(MARK.completed, localName(node), '', 'completed');
        if (step.type === 'fan_out') {
          const done = fanOuts.pop();
          const allSkipped = done !== undefined && done.instances > 0 && done.skipped === done.instances;
          const seats = [...verdicts].filter(([id]) => id.startsWith(`${node}[`)).map(([id, verdict]) => `${id.slice(node.length + 1, -1)} ${verdict}`);
          const status = allSkipped ? WHEN_SKIPPED : seats.length > 0 ? `completed: ${seats.join(', ')}` : 'completed';
          line(allSkipped ? MARK.skipped : MARK.completed, step.label, `fan-out ×${done?.instances ?? '?'}`, status, allSkipped ? undefined : at - step.started);
          return;
        }
        if (step.type === 'mission') depth = Math.max(0, depth - 1);
        if (skippedByWhen) return line(MARK.skipped, step.label, step.type, WHEN_SKIPPED);
        line(MARK.completed, step.label, step.type, verdicts.has(node) ? `completed: ${verdicts.get(node)}` : 'completed', at - step.started);
        return;
      }
      case 'operation_finished': {
        const verdict = verdictOf(data.output);
        if (verdict) verdicts.set(node, verdict);
        return;
      }
      case 'operation_failed': {
        const started = step?.started ?? at;
        const label = inFanOut(node) ? node : (step?.label ?? node);
        line(MARK.failed, label, step?.type ?? '', 'failed', at - started);
        write(`${indent()}    ${(data.error as { message: string }).message}\n`);
        return;
      }
      case 'human_requested':
        if (data.kind === 'escalation') line(MARK.waiting, step?.label ?? localName(node), 'escalation', `awaiting the CEO's decision (${shortId(String(data.request_id))})`);
        else line(MARK.waiting, step?.label ?? node, 'human', `awaiting approval (request ${shortId(String(data.request_id))})`);
        return;
      case 'human_decided':
        write(`${data.decision === 'approved' ? MARK.completed : MARK.failed} request ${shortId(String(data.request_id))} ${String(data.decision)} by ${String(data.by)}${data.note ? `: ${String(data.note)}` : ''}\n`);
        return;
      case 'kill_switch':
        write(`■ kill switch ${String(data.path)} found ${String(data.checkpoint)}\n`);
        return;
      case 'escalated':
        if (data.delivery_error === undefined) write(`! escalated (${String(data.severity)}): ${String(data.reason)}\n`);
        else write(`! the escalation could not be delivered to the queue: ${String(data.delivery_error)} (it is in the journal)\n`);
        return;
      case 'rollback_started':
        depth = 0;
        write(`↺ rolling back: ${String(data.reason)}\n`);
        return;
      case 'compensated':
        write(`  ↺ undone ${node} (${String(data.compensation_type)}): ${data.compensation_verified === true ? 'verified' : 'NOT verified'}\n`);
        return;
      case 'rollback_finished':
        write(`↺ rollback finished: ${data.matches_baseline === true ? 'the repository is back at its pre-run state' : 'the repository is NOT at its pre-run state'}\n`);
        return;
      default:
        return;
    }
  };
  return { onEvent, onProgress };
}

/** The verdict a step's output carries: a seat's packet (`approve`), or the council's decision (`approved`). */
function verdictOf(output: unknown): string | undefined {
  const record = output as { packet?: { verdict?: unknown }; verdict?: unknown } | null;
  const verdict = record?.packet?.verdict ?? record?.verdict;
  return typeof verdict === 'string' ? verdict : undefined;
}

/** `12 ms`, `1.4 s`, `2 m 05 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} m ${String(seconds % 60).padStart(2, '0')} s`;
}

/** `sha256:1a2b3c4d5e6f…` -> `1a2b3c4d5e6f`, the prefix `resume` accepts. */
export function shortId(id: string): string {
  return (id.startsWith('sha256:') ? id.slice(7) : id).slice(0, 12);
}

/** A node's name below its mission (`review_design/run_seats` -> `run_seats`); a fan-out instance keeps its key. */
function localName(node: string, fanOutId?: string): string {
  if (fanOutId) return `${localName(fanOutId)}${node.slice(fanOutId.length)}`;
  const slash = node.lastIndexOf('/', node.includes('[') ? node.indexOf('[') : node.length);
  return node.slice(slash + 1);
}
