/**
 * `lifeos-mission store rebuild | prune-calls`: re-derive the state store's runs and step logs
 * from the journals (the source of truth; the approval queue is kept), or apply the call logs'
 * retention window without losing what a completion bundle needs.
 */
import { parseArgs } from 'node:util';
import { openStateStore } from '../runtime/store/open-store.ts';
import { rebuildStore } from '../runtime/store/rebuild.ts';
import { pruneCallLogs } from '../runtime/call-log-retention.ts';
import { DEFAULT_RUN_PATHS } from '../runtime/run-paths.ts';
import { repositoryOption, storeBackend } from './repo-options.ts';
import { EXIT, parseFormat, UsageError, type CliIO, type Command } from './io.ts';
import { runErrorExit } from './run-report.ts';

export const STORE_USAGE = `Usage: lifeos-mission store rebuild | prune-calls [options]

rebuild      re-derives every mission_runs and step_logs row of the state store from the
             journals under logs/mission_journals/: after the store file was lost or corrupted
             (move it aside first), or to fill a new back end (--store sqlite). The approval
             queue is kept.
prune-calls  removes agent call logs older than --days whose run's completion bundle holds
             every entry (a log a bundle still needs is kept and listed). Fixtures stay.

Options:
  --days N             prune-calls: the retention window (default: 30)
  --repo DIR           the target git repository (default: the current folder)
  --store BACKEND      lowdb | sqlite (default: the one that exists, else lowdb)
  --format text|json   output format (default: text)
  -h, --help           show this help

Exit codes: 0 done, 1 rebuilt but some journals do not verify (listed), 2 usage or
environment error.
`;

export function storeCommand(args: string[], io: CliIO): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { repo: { type: 'string' }, store: { type: 'string' }, days: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.stdout.write(STORE_USAGE);
    return EXIT.ok;
  }
  const format = parseFormat(values.format, ['text', 'json']);
  if (positionals.length !== 1 || (positionals[0] !== 'rebuild' && positionals[0] !== 'prune-calls')) throw new UsageError('name one action: rebuild or prune-calls');
  const repoRoot = repositoryOption(values.repo);
  if (positionals[0] === 'prune-calls') {
    const days = Number(values.days ?? 30);
    if (!Number.isFinite(days) || days < 0) throw new UsageError(`--days must be a number of days; got "${values.days}"`);
    const report = pruneCallLogs({ repoRoot, paths: DEFAULT_RUN_PATHS, olderThanDays: days });
    if (format === 'json') io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      io.stdout.write(`removed ${report.removed.length} call log(s) older than ${days} days\n`);
      for (const kept of report.kept) io.stdout.write(`kept ${kept.file}: ${kept.reason}\n`);
    }
    return EXIT.ok;
  }
  try {
    const store = openStateStore({ repoRoot, ...(values.store ? { backend: storeBackend(values.store) } : {}) });
    try {
      const report = rebuildStore(store, { repoRoot });
      if (format === 'json') io.stdout.write(`${JSON.stringify({ store: store.path, ...report }, null, 2)}\n`);
      else {
        io.stdout.write(`rebuilt ${store.path} from ${report.journals} journals: ${report.runs} runs, ${report.steps} step logs\n`);
        for (const bad of report.unverified) io.stdout.write(`warning: ${bad.journal} does not verify (${bad.errors} problems); run \`lifeos-mission verify ${bad.journal}\`\n`);
      }
      return report.unverified.length > 0 ? EXIT.failed : EXIT.ok;
    } finally {
      store.close();
    }
  } catch (error) {
    return runErrorExit('store', error, io);
  }
}

/** Loaded lazily by main.ts. */
export const command: Command = { run: storeCommand, usage: STORE_USAGE };
