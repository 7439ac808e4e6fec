/**
 * Usage errors the way git and npm give them: one line saying what is wrong, with a
 * did-you-mean where one is close, and one line of usage pointing at `--help`; never the whole
 * help, and never Node's parseArgs wording (which tells a user to quote the option as a
 * positional). With `--format json` the same facts are one JSON document on stdout.
 */
import { closestMatch } from '../core/diagnostics.ts';

export interface UsageFailure {
  /** One line: what is wrong. */
  message: string;
  /** One line: the command's synopsis and where its options are listed. */
  usage: string;
}

/** The message of a UsageError or a parseArgs error, in our words, with the usage line of `usage` (the command's help text). */
export function usageFailure(command: string, error: Error, usage: string): UsageFailure {
  return { message: usageMessage(error, usage), usage: usageLine(command, usage) };
}

/** An unknown command. */
export function unknownCommand(name: string, commands: Iterable<string>, usage: string): UsageFailure {
  const match = closestMatch(name, commands);
  return { message: `unknown command "${name}"${match ? `; did you mean "${match}"?` : ''}`, usage: usageLine(undefined, usage) };
}

/** `lifeos-mission validate: unknown option --frmat; did you mean --format?` and the usage line, for standard error. */
export function usageText(command: string | undefined, failure: UsageFailure): string {
  return `lifeos-mission${command ? ` ${command}` : ''}: ${failure.message}\n${failure.usage}\n`;
}

/** Whether the arguments ask for JSON output (`--format json` or `--format=json`), so that even a usage error is one JSON document. */
export function wantsJson(args: readonly string[]): boolean {
  return args.some((arg, i) => arg === '--format=json' || (arg === '--format' && args[i + 1] === 'json'));
}

function usageMessage(error: Error, usage: string): string {
  const code = (error as { code?: unknown }).code;
  const text = error.message;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /^Unknown option '([^']+)'/.exec(text)?.[1] ?? text;
    const match = option.startsWith('--') ? closestMatch(option, knownOptions(usage)) : undefined;
    return `unknown option ${option}${match ? `; did you mean ${match}?` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const missing = /^Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(text);
    if (missing) return `option ${missing[1]} needs a value`;
    const unwanted = /^Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(text);
    if (unwanted) return `option ${unwanted[1]} takes no value`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const argument = /^Unexpected argument '([^']+)'/.exec(text)?.[1];
    if (argument !== undefined) return `unexpected argument "${argument}": this command takes none`;
  }
  return text.split('\n')[0] ?? text;
}

/** The options a help text lists (`--name`), the candidates of a did-you-mean. */
function knownOptions(usage: string): string[] {
  return [...new Set(usage.match(/--[a-z][a-z0-9-]*/g) ?? [])];
}

/** `usage: lifeos-mission validate [files|folders...] [options]  (lifeos-mission validate --help lists them)`. */
function usageLine(command: string | undefined, usage: string): string {
  const synopsis = (usage.split('\n')[0] ?? '').replace(/^Usage: /, '');
  return `usage: ${synopsis}  (\`lifeos-mission ${command ? `${command} ` : ''}--help\` for more)`;
}
