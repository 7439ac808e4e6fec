/**
 * What a CLI command needs from the outside world, injected so commands are testable with
 * string buffers (CONVENTIONS habit 6), and the usage error every command may throw.
 */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Call `onInterrupt` on the first Ctrl-C / SIGTERM (bin.ts; absent in tests). */
  interrupts?: (onInterrupt: () => void) => void;
}

/** A command: its entry point and its usage text (printed with a usage error). */
export interface Command {
  run: (args: string[], io: CliIO) => number | Promise<number>;
  usage: string;
}

/** Bad arguments: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes (DESIGN.md): 0 ok, 1 the mission/check is bad, 2 usage or environment error. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export type OutputFormat = 'text' | 'json' | 'github';

export function parseFormat(value: string | undefined, allowed: readonly OutputFormat[]): OutputFormat {
  const format = (value ?? 'text') as OutputFormat;
  if (!allowed.includes(format)) throw new UsageError(`--format must be ${allowed.join(', ')}; got "${value}"`);
  return format;
}
