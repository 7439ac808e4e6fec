/**
 * The `test` tool: runs the repository's test command (spec §5.3 build; pytest by default as in
 * the spec, any command through `command`), with a timeout and the output's tail captured.
 * A failing run is retried once (flaky tests are common and cheap to rule out); a failure after
 * the retry escalates to the CEO (spec §5.5 "Test failure after retry"), with both outputs as
 * evidence. `on_fail: report` returns the failure instead, for missions that handle it.
 * The tests run code the builder just wrote: in the sandbox (tools/sandbox.ts) they may write
 * only the repository's work tree (its `.git` and the engine's folders stay read-only), and the
 * engine's diff gate then checks every path they changed against the builder policy.
 *
 *   action   run
 *   command  argument vector, e.g. [npm, test] (default [pytest]); never a shell string;
 *            [auto]: detected from the repository (test-command.ts)
 *   timeout_seconds  per attempt (default 600)
 *   retries  extra attempts after a failure (default 1)
 */
import { EscalationRequired } from '../core/run-errors.ts';
import { join } from 'node:path';
import { runProcess, type ProcessResult } from './child-process.ts';
import { confine } from './sandbox.ts';
import { NO_TEST_COMMAND, resolveTestCommand } from './test-command.ts';
import type { ToolContext } from './tool.ts';

export const DEFAULT_TEST_COMMAND: readonly string[] = ['pytest'];
const DEFAULT_TIMEOUT_SECONDS = 600;
const TAIL_CHARS = 4000;

export interface TestResult {
  passed: boolean;
  command: string;
  /** When the command was detected ([auto]): the file it was found from. */
  detected_from?: string;
  exit_code: number | null;
  attempts: number;
  timed_out: boolean;
  output_tail: string;
  /** Whether the tests ran in the sandbox. */
  sandboxed: boolean;
}

export async function runTests(params: Record<string, unknown>, context: ToolContext): Promise<TestResult> {
  const resolved = resolveTestCommand(commandVector(params.command), context.repo_root);
  if (!resolved) throw new TypeError(`test: ${NO_TEST_COMMAND}`);
  const command = [...resolved.command];
  const timeoutSeconds = params.timeout_seconds === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(params.timeout_seconds);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new TypeError('timeout_seconds must be a positive number');
  const retries = params.retries === undefined ? 1 : Number(params.retries);
  if (!Number.isInteger(retries) || retries < 0) throw new TypeError('retries must be a whole number, 0 or more');
  const [name, ...rest] = command as [string, ...string[]];
  const root = context.repo_root;
  // Whole top-level folders (all of logs/, not just logs/mission_journals): a writable parent would let the tests move the engine's folders aside.
  const readOnly = [...new Set(['.git', ...context.engine_paths.map((path) => path.split('/')[0] as string)])].map((top) => join(root, top));
  const { program, args, sandboxed } = confine(name, rest, { writable: [root], readOnly, cwd: root }, context.sandbox);
  const outputs: ProcessResult[] = [];
  for (let attempt = 0; attempt <= retries; attempt += 1) {
    const result = await runProcess(program, args, { cwd: root, timeoutMs: timeoutSeconds * 1000, signal: context.signal, envPolicy: context.child_env, env: { CI: 'true', ...(sandboxed ? { TMPDIR: '/tmp' } : {}) } });
    if (result.aborted) throw new Error(`tests stopped: the step was cancelled`);
    outputs.push(result);
    if (result.code === 0) break;
  }
  const last = outputs.at(-1) as ProcessResult;
  const report: TestResult = {
    passed: last.code === 0,
    command: command.join(' '),
    ...(resolved.from ? { detected_from: resolved.from } : {}),
    exit_code: last.code,
    attempts: outputs.length,
    timed_out: last.timedOut,
    output_tail: outputTail(last),
    sandboxed,
  };
  if (!report.passed && params.on_fail !== 'report') {
    const why = last.timedOut ? `timed out after ${timeoutSeconds} s` : `exited with ${last.code ?? last.signal}`;
    throw new EscalationRequired(`tests failed after ${outputs.length} attempt(s): \`${report.command}\` ${why}`, 'critical', {
      command: report.command,
      attempts: outputs.map((o) => ({ exit_code: o.code, timed_out: o.timedOut, output_tail: outputTail(o) })),
    });
  }
  return report;
}

function commandVector(value: unknown): string[] {
  if (value === undefined) return [...DEFAULT_TEST_COMMAND];
  if (!Array.isArray(value) || value.length === 0 || value.some((part) => typeof part !== 'string' || part === '')) {
    throw new TypeError(`command must be a non-empty list of arguments such as [npm, test], got ${JSON.stringify(value)}`);
  }
  return value as string[];
}

function outputTail(result: ProcessResult): string {
  const text = `${result.stdout}${result.stderr ? `\n${result.stderr}` : ''}`.trim();
  return text.length > TAIL_CHARS ? `…${text.slice(-TAIL_CHARS)}` : text;
}
