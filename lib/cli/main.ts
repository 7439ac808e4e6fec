/**
 * The CLI entry: `main(argv, io)` dispatches to a command and returns the exit code. It never
 * calls process.exit (bin.ts does), so it is testable in-process with string buffers.
 */
import { packageVersion } from '../runtime/package-root.ts';
import { EXIT, UsageError, type CliIO, type Command } from './io.ts';
import { unknownCommand, usageFailure, usageText, wantsJson, type UsageFailure } from './usage-errors.ts';
import { VALIDATE_USAGE, validateCommand } from './validate-command.ts';

// Every command but `validate` is loaded when used, so `validate`, the one CI runs on every
// push, parses only what it needs (npm run bench checks its start-up time).
const COMMANDS: Readonly<Record<string, () => Command | Promise<Command>>> = {
  validate: () => ({ run: validateCommand, usage: VALIDATE_USAGE }),
  plan: async () => (await import('./plan-command.ts')).command,
  run: async () => (await import('./run-command.ts')).command,
  resume: async () => (await import('./resume-command.ts')).command,
  recover: async () => (await import('./recover-command.ts')).command,
  backlog: async () => (await import('./backlog-command.ts')).command,
  queue: async () => (await import('./queue-command.ts')).command,
  status: async () => (await import('./status-command.ts')).command,
  store: async () => (await import('./store-command.ts')).command,
  baseline: async () => (await import('./baseline-command.ts')).command,
  verify: async () => (await import('./verify-command.ts')).command,
  keygen: async () => (await import('./keygen-command.ts')).command,
  init: async () => (await import('./init-command.ts')).command,
};

export const USAGE = `Usage: lifeos-mission <command> [options]

Commands:
  validate [files|folders...]        check mission YAML; every problem at once, with file:line:col
  plan <mission-file-or-name>        expand a mission and its inputs into the execution plan
  run <mission-file-or-name>         run a mission in a git repository, journaled, with rollback
  resume <run-id>                    continue a run waiting for a human (--approve/--reject) or a crashed one
  recover                            recover every run whose process died
  backlog list|run|resume            work through BACKLOG.md unattended, each task in a worktree of its own
  queue list|show|approve|reject|retry|defer   the approval queue: escalations and human requests
  status                             run lock, kill switch, open escalations, last runs
  store rebuild                      re-derive the state store's runs and steps from the journals
  baseline --check|--write           compare governance surfaces with the approved baseline, or record it
  verify <runs|journal|bundle>...    check journals, bundles and the anchor log, offline
  keygen                             create the Ed25519 key that signs the anchor log
  init                               scaffold role prompts, model mapping, envelope policy, backlog, baseline

Run \`lifeos-mission <command> --help\` for a command's options.
Options: -h, --help   --version
`;

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.stdout.write(USAGE);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const json = wantsJson(args);
  if (name === '--version' || name === '-v') {
    io.stdout.write(json ? `${JSON.stringify({ version: packageVersion() })}\n` : `${packageVersion()}\n`);
    return EXIT.ok;
  }
  const load = COMMANDS[name];
  if (!load) return usageExit(undefined, unknownCommand(name, Object.keys(COMMANDS), USAGE), json, io);
  const command = await load();
  // The help too is one JSON document when JSON is asked for.
  if (json && (args.includes('--help') || args.includes('-h'))) {
    io.stdout.write(`${JSON.stringify({ ok: true, usage: command.usage }, null, 2)}\n`);
    return EXIT.ok;
  }
  const out = json ? jsonGuard(io) : { io, finish: (code: number) => code };
  try {
    return out.finish(await command.run(args, out.io));
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) return usageExit(name, usageFailure(name, error as Error, command.usage), json, io);
    const detail = process.env.LIFEOS_DEBUG ? ((error as Error).stack ?? String(error)) : (error as Error).message;
    out.io.stderr.write(`lifeos-mission ${name}: internal error: ${detail}\n(set LIFEOS_DEBUG=1 for the stack trace, and please report it)\n`);
    return out.finish(EXIT.usage);
  }
}

function usageExit(command: string | undefined, failure: UsageFailure, json: boolean, io: CliIO): number {
  if (json) io.stdout.write(`${JSON.stringify({ ok: false, exit_code: EXIT.usage, error: { kind: 'usage', ...failure } }, null, 2)}\n`);
  else io.stderr.write(usageText(command, failure));
  return EXIT.usage;
}

/**
 * With `--format json`, every outcome is one JSON document on stdout: a command that ended with
 * nothing on stdout (an environment error, a refused run, all reported on stderr) gets a
 * document with its exit code and what it wrote to stderr, which still gets the text.
 */
function jsonGuard(io: CliIO): { io: CliIO; finish: (code: number) => number } {
  let printed = false;
  let errors = '';
  const guarded: CliIO = {
    ...io,
    stdout: { write: (text: string) => ((printed ||= text.length > 0), io.stdout.write(text)) },
    stderr: { write: (text: string) => ((errors += text), io.stderr.write(text)) },
  };
  const finish = (code: number): number => {
    if (!printed) io.stdout.write(`${JSON.stringify({ ok: code === EXIT.ok, exit_code: code, ...(errors ? { error: { kind: code === EXIT.failed ? 'failed' : 'environment', message: errors.trimEnd() } } : {}) }, null, 2)}\n`);
    return code;
  };
  return { io: guarded, finish };
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
