/**
 * `lifeos-mission resume <run>`: continue a run that waits for a human decision (recording the
 * decision given with --approve / --reject), or one whose process died (crash recovery).
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { resumeMission, type HumanDecision } from '../runtime/runner.ts';
import { ENGINE_ARGS, ENGINE_OPTIONS_HELP, engineOptions, resumeFlags } from './engine-options.ts';
import { EXIT, parseFormat, UsageError, type CliIO, type Command } from './io.ts';
import { progressPrinter } from './progress.ts';
import { resultExit, resultText, runErrorExit } from './run-report.ts';

export const RESUME_USAGE = `Usage: lifeos-mission resume <run-id> [options]

Continues a run: one that waits for a human decision (give it with --approve or --reject), or
one whose process died (it is recovered as \`lifeos-mission recover\` would). The run id may be
shortened to a unique prefix of at least 6 hex digits, as \`run\` prints it.

Options:
  --approve            approve the request the run waits for
  --reject             reject it (the run ends and its writes are rolled back)
  --retry              run the step again: for an escalation whose step produced nothing to
                       approve (an invalid model reply, no model available)
  --request ID         the request to decide (default: the one the run waits for)
  --by NAME            who decides (default: the OS user name), recorded in the journal
  --note TEXT          a note recorded with the decision
  --accept-unanchored  go on although the journal has entries after its last anchor that no
                       crashed process accounts for (check them with verify first)
${ENGINE_OPTIONS_HELP}

Exit codes: 0 completed, 1 the run did not complete, 2 usage or environment error (the
repository changed while the run waited, lock held, unknown run).
`;

export async function resumeCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...ENGINE_ARGS, approve: { type: 'boolean' }, reject: { type: 'boolean' }, retry: { type: 'boolean' }, request: { type: 'string' }, by: { type: 'string' }, note: { type: 'string' }, 'accept-unanchored': { type: 'boolean' } },
  });
  if (values.help) {
    io.stdout.write(RESUME_USAGE);
    return EXIT.ok;
  }
  const format = parseFormat(values.format, ['text', 'json']);
  if (positionals.length !== 1) throw new UsageError('name exactly one run id');
  if ([values.approve, values.reject, values.retry].filter(Boolean).length > 1) throw new UsageError('give one of --approve, --reject and --retry');
  const decide = values.approve ? 'approved' : values.reject ? 'rejected' : values.retry ? 'retry' : undefined;
  if (!decide && (values.request !== undefined || values.by !== undefined || values.note !== undefined)) {
    throw new UsageError('--request, --by and --note go with --approve, --reject or --retry');
  }
  const options = await engineOptions(values, io);
  const decisions: HumanDecision[] = decide
    ? [{ ...(values.request ? { request_id: values.request } : {}), decision: decide, by: values.by ?? userInfo().username, ...(values.note ? { note: values.note } : {}) }]
    : [];
  try {
    const result = await resumeMission(positionals[0] as string, {
      ...options,
      decisions,
      ...(values['accept-unanchored'] ? { acceptUnanchored: [positionals[0] as string] } : {}),
      ...(format === 'text' ? progressPrinter((text) => io.stdout.write(text)) : {}),
    });
    io.stdout.write(format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : resultText(result, process.cwd(), resumeFlags(values)));
    return resultExit(result);
  } catch (error) {
    return runErrorExit('resume', error, io);
  }
}

/** Loaded lazily by main.ts. */
export const command: Command = { run: resumeCommand, usage: RESUME_USAGE };
