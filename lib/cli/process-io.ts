/**
 * The process around a CLI entry: signals, closed pipes and the exit code. Shared by bin.ts (every
 * command) and validate-cli.ts (the code-cached `validate`).
 */
import type { CliIO } from './io.ts';

/** The first SIGINT/SIGTERM goes to the command (a run rolls back); a second one kills the process. */
function interrupts(onInterrupt: () => void): void {
  let received = 0;
  const listener = (): void => {
    received += 1;
    if (received > 1) process.exit(130);
    onInterrupt();
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
}

/**
 * A reader that went away (`queue list | head`) is not an error of the command: what it prints
 * afterwards is dropped, and a run goes on to its end (its journal and bundle are the record),
 * never killed between two steps.
 */
function ignoreClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

/** Runs `main` on the process's arguments and sets the exit code (never calls process.exit). */
export async function runAsProcess(main: (argv: readonly string[], io: CliIO) => Promise<number>): Promise<void> {
  ignoreClosedPipe(process.stdout);
  ignoreClosedPipe(process.stderr);
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, interrupts });
}
