/**
 * Command dispatch: argv -> a command of a table -> an exit code. Never calls process.exit, so it
 * runs in-process in tests. main.ts gives it every command; validate-cli.ts only `validate`.
 */
import { packageVersion } from '../runtime/package-root.ts';
import { EXIT, UsageError, type CliIO, type Command } from './io.ts';
import { unknownCommand, usageFailure, usageText, wantsJson, type UsageFailure } from './usage-errors.ts';

/** The commands a CLI offers, and its usage text (for no command, --help and an unknown command). */
export interface CommandTable {
  commands: Readonly<Record<string, () => Command | Promise<Command>>>;
  usage: string;
}

/** Runs the command argv names; every failure becomes an exit code and a message (one JSON document with --format json). */
export async function dispatch(argv: readonly string[], io: CliIO, { commands, usage }: CommandTable): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.stdout.write(usage);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const json = wantsJson(args);
  if (name === '--version' || name === '-v') {
    io.stdout.write(json ? `${JSON.stringify({ version: packageVersion() })}\n` : `${packageVersion()}\n`);
    return EXIT.ok;
  }
  const load = commands[name];
  if (!load) return usageExit(undefined, unknownCommand(name, Object.keys(commands), usage), json, io);
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
