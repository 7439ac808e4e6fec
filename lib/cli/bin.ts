#!/usr/bin/env node
// The lifeos-mission executable: wires the process to main() and nothing else.
import { main } from './main.ts';

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

ignoreClosedPipe(process.stdout);
ignoreClosedPipe(process.stderr);
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, interrupts });
