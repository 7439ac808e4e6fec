/**
 * `lifeos-mission recover`: recover every run whose process died (spec §5.6.4): a dead holder's
 * lock is broken, and each unfinished run is continued or rolled back to its pre-run state.
 */
import { parseArgs } from 'node:util';
import { recoverRuns } from '../runtime/runner.ts';
import { ENGINE_ARGS, ENGINE_OPTIONS_HELP, engineOptions } from './engine-options.ts';
import { EXIT, parseFormat, UsageError, type CliIO, type Command } from './io.ts';
import { progressPrinter } from './progress.ts';
import { recoveryText, resultExit, runErrorExit } from './run-report.ts';

export const RECOVER_USAGE = `Usage: lifeos-mission recover [options]

Recovers every run whose process died: a completed step is kept, an interrupted read-only step
restarted, an interrupted writing step undone (its pre-state was journaled) and restarted, an
interrupted rollback finished; anything unclear is escalated and rolled back. Pass the same
--handlers the runs were started with. Runs waiting for a human are left alone (see resume).
A run whose journal has entries after its last anchor that no crashed process of it accounts
for (no stale run lock of it) is refused, and nothing is written over them.

Options:
  --accept-unanchored RUN  recover run RUN (an id prefix) although its journal's tail is
                       unaccounted for, after checking it with verify (repeatable)
${ENGINE_OPTIONS_HELP}

Exit codes: 0 nothing to recover or every recovered run completed, 1 a recovered run did not
complete (it was rolled back or escalated; see its summary), 2 usage or environment error.
`;

export async function recoverCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...ENGINE_ARGS, 'accept-unanchored': { type: 'string', multiple: true } } });
  if (values.help) {
    io.stdout.write(RECOVER_USAGE);
    return EXIT.ok;
  }
  const format = parseFormat(values.format, ['text', 'json']);
  if (positionals.length > 0) throw new UsageError(`recover takes no arguments (got "${positionals.join(' ')}"); to continue one run, use resume <run-id>`);
  const options = await engineOptions(values, io);
  try {
    const reports = await recoverRuns({ ...options, acceptUnanchored: values['accept-unanchored'] ?? [], ...(format === 'text' ? progressPrinter((text) => io.stdout.write(text)) : {}) });
    if (format === 'json') io.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    else if (reports.length === 0) io.stdout.write('nothing to recover: no run was interrupted\n');
    else for (const report of reports) io.stdout.write(recoveryText(report, process.cwd()));
    return reports.every((report) => resultExit(report.result) === EXIT.ok) ? EXIT.ok : EXIT.failed;
  } catch (error) {
    return runErrorExit('recover', error, io);
  }
}

/** Loaded lazily by main.ts. */
export const command: Command = { run: recoverCommand, usage: RECOVER_USAGE };
