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

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, interrupts });
