/**
 * `lifeos-mission run <mission-file-or-name>`: run a mission in a git repository, printing a
 * progress line per step and a summary (status, run id, journal, bundle, commit) at the end.
 */
import { parseArgs } from 'node:util';
import { resolveMission } from '../runtime/mission-library.ts';
import { maxOperationsOption } from './plan-command.ts';
import { runMission } from '../runtime/runner.ts';
import { ENGINE_ARGS, ENGINE_OPTIONS_HELP, engineOptions, resumeFlags } from './engine-options.ts';
import { readInputs } from './inputs.ts';
import { EXIT, parseFormat, UsageError, type CliIO, type Command } from './io.ts';
import { progressPrinter } from './progress.ts';
import { diagnosticText } from './report.ts';
import { resultExit, resultText, runErrorExit } from './run-report.ts';

export const RUN_USAGE = `Usage: lifeos-mission run <mission-file-or-name> [options]

Runs a mission in the target repository: every step journaled, writes compensated if the run
cannot complete, one run at a time (the run lock), the kill switch checked before each step.

Options:
  --input NAME=VALUE   an input value (repeatable); VALUE is parsed as JSON when it parses,
                       else taken as a string
  --inputs FILE        input values from a YAML or JSON mapping (--input wins)
  --max-operations N   the most operations the plan may expand to (default 10000)
${ENGINE_OPTIONS_HELP}

Exit codes: 0 completed, 1 the run did not complete (failed, escalated, halted, awaiting a
human) or the mission is invalid, 2 usage or environment error (lock held, dirty repository).
`;

export async function runCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...ENGINE_ARGS, input: { type: 'string', multiple: true }, inputs: { type: 'string' }, 'max-operations': { type: 'string' } } });
  if (values.help) {
    io.stdout.write(RUN_USAGE);
    return EXIT.ok;
  }
  const format = parseFormat(values.format, ['text', 'json']);
  if (positionals.length !== 1) throw new UsageError('name exactly one mission file or registered mission');
  const inputs = readInputs(values.inputs, values.input);
  const options = await engineOptions(values, io);
  const { mission, diagnostics } = resolveMission(positionals[0] as string, options.registry);
  const unreadable = !mission && diagnostics.some((d) => d.code === 'E_FILE');
  // An invalid mission is reported by runMission, which halts it and escalates (spec §5.3.1).
  if (mission || unreadable) for (const d of diagnostics) io.stderr.write(diagnosticText(d));
  if (unreadable) return EXIT.usage;
  try {
    const write = (text: string): unknown => io.stdout.write(text);
    const result = await runMission(mission ?? (positionals[0] as string), { ...options, inputs, ...maxOperationsOption(values['max-operations']), ...(format === 'text' ? progressPrinter(write) : {}) });
    io.stdout.write(format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : resultText(result, process.cwd(), resumeFlags(values)));
    return resultExit(result);
  } catch (error) {
    return runErrorExit('run', error, io);
  }
}

/** Loaded lazily by main.ts. */
export const command: Command = { run: runCommand, usage: RUN_USAGE };
