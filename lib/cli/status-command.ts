/**
 * `lifeos-mission status`: what an operator checks first: who holds the run lock, whether the
 * kill switch is set, what waits for a decision, and how the last runs ended.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { killSwitchPresent } from '../runtime/kill-switch.ts';
import { listQueue } from '../runtime/queue.ts';
import { probeRunLock } from '../runtime/run-lock.ts';
import { DEFAULT_RUN_PATHS } from '../runtime/run-paths.ts';
import { openStateStore } from '../runtime/store/open-store.ts';
import { repositoryOption, storeBackend } from './repo-options.ts';
import { EXIT, parseFormat, UsageError, type CliIO, type Command } from './io.ts';
import { shortId } from './progress.ts';
import { runErrorExit } from './run-report.ts';

export const STATUS_USAGE = `Usage: lifeos-mission status [options]

The state of autonomy in a repository: the run lock's holder, the kill switch, the items that
wait for a decision, and the last runs.

Options:
  --runs N             how many of the last runs to list (default: 5)
  --repo DIR           the target git repository (default: the current folder)
  --store BACKEND      lowdb | sqlite (default: the one that exists)
  --format text|json   output format (default: text)
  -h, --help           show this help

Exit codes: 0 printed, 2 usage or environment error.
`;

export function statusCommand(args: string[], io: CliIO): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { runs: { type: 'string' }, repo: { type: 'string' }, store: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.stdout.write(STATUS_USAGE);
    return EXIT.ok;
  }
  const format = parseFormat(values.format, ['text', 'json']);
  if (positionals.length > 0) throw new UsageError('status takes no arguments');
  const limit = values.runs === undefined ? 5 : Number(values.runs);
  if (!Number.isSafeInteger(limit) || limit < 0) throw new UsageError(`--runs must be a whole number; got "${values.runs}"`);
  const repoRoot = repositoryOption(values.repo);
  try {
    const store = openStateStore({ repoRoot, ...(values.store ? { backend: storeBackend(values.store) } : {}) });
    try {
      const probe = probeRunLock(join(repoRoot, DEFAULT_RUN_PATHS.lock));
      const status = {
        repository: repoRoot,
        lock: probe.state === 'free' ? { state: 'free' } : { state: probe.state, holder: probe.holder, detail: probe.detail },
        kill_switch: { path: DEFAULT_RUN_PATHS.killSwitch, present: killSwitchPresent(join(repoRoot, DEFAULT_RUN_PATHS.killSwitch)) },
        store: { backend: store.backend, path: store.path },
        open_escalations: listQueue({ repoRoot, store }),
        runs: store.runs({ limit }),
      };
      io.stdout.write(format === 'json' ? `${JSON.stringify(status, null, 2)}\n` : statusText(status));
      return EXIT.ok;
    } finally {
      store.close();
    }
  } catch (error) {
    return runErrorExit('status', error, io);
  }
}

type Status = {
  repository: string;
  lock: { state: string; holder?: { run_id: string; mission_type: string; pid: number; host: string; acquired_at: string }; detail?: string };
  kill_switch: { path: string; present: boolean };
  store: { backend: string; path: string };
  open_escalations: ReturnType<typeof listQueue>;
  runs: Array<{ mission_id: string; status: string; started_at: string; completed_at: string | null; escalation_reason: string | null; result_commit: string | null }>;
};

function statusText(s: Status): string {
  const holder = s.lock.holder;
  const lock =
    s.lock.state === 'free'
      ? 'free'
      : `${s.lock.state === 'alive' ? 'held' : 'left by a dead process'} by run ${shortId(holder?.run_id ?? '')} (mission ${holder?.mission_type}, pid ${holder?.pid} on ${holder?.host}, since ${holder?.acquired_at})${s.lock.state === 'dead' ? '; `lifeos-mission recover` recovers it' : ''}`;
  const lines = [
    `repository   ${s.repository}`,
    `run lock     ${lock}`,
    `kill switch  ${s.kill_switch.present ? `SET (${s.kill_switch.path} exists): no mission runs until it is removed` : `not set (${s.kill_switch.path})`}`,
    `store        ${s.store.backend} (${s.store.path})`,
    '',
    s.open_escalations.length === 0 ? 'nothing waits for a decision' : `${s.open_escalations.length} waiting for a decision (lifeos-mission queue list):`,
    ...s.open_escalations.map((e) => `  ${String(e.id).padStart(3)}  ${e.severity.padEnd(8)}  ${e.run_id ? shortId(e.run_id) : '-'.padEnd(12)}  ${e.node ?? '-'}: ${e.reason}`),
    '',
    s.runs.length === 0 ? 'no runs yet' : 'last runs:',
    ...s.runs.map((r) => `  ${r.mission_id.padEnd(32)}  ${r.status.padEnd(9)}  ${r.started_at}${r.result_commit ? `  commit ${r.result_commit.slice(0, 12)}` : ''}${r.escalation_reason ? `  (${r.escalation_reason})` : ''}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Loaded lazily by main.ts. */
export const command: Command = { run: statusCommand, usage: STATUS_USAGE };
