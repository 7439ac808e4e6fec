/**
 * Running a child process for a tool (test runner, coding agent): execFile semantics (an argument
 * vector, never a shell string), `cwd` and `PWD` both set to the folder it works in, a minimal
 * environment (child-env.ts), its own process group killed when it exits, times out or is
 * cancelled (so nothing it started in the background outlives the step), and output captured up
 * to a cap so a chatty command cannot exhaust memory. The tail is what is kept: it is where test
 * runners print their summary.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { childEnvironment, type ChildEnvPolicy } from './child-env.ts';

export interface ProcessOptions {
  cwd: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Which of the host's variables the child sees beyond the default list (child-env.ts). */
  envPolicy?: ChildEnvPolicy;
  /** Values set for this child on top (PWD is always the cwd). */
  env?: Readonly<Record<string, string>>;
  /** What the child reads on its standard input, through a pipe closed after it (default: nothing, /dev/null). */
  stdin?: Buffer;
  /** Bytes of stdout and of stderr kept (the last ones); default 64 KiB each. */
  maxOutputBytes?: number;
}

export interface ProcessResult {
  /** Exit code; null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

const DEFAULT_MAX_OUTPUT = 64 * 1024;
/** After the child exits, how long its pipes may stay open (held by an escaped grandchild) before they are cut. */
const CLOSE_GRACE_MS = 2000;

export function runProcess(command: string, args: readonly string[], options: ProcessOptions): Promise<ProcessResult> {
  const started = Date.now();
  const cap = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise<ProcessResult>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: childEnvironment(options.envPolicy, { ...options.env, PWD: options.cwd }),
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      // Its own process group, so a timeout kills what it started too (npm -> node -> workers).
      detached: true,
    }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
    if (options.stdin !== undefined && child.stdin) {
      // A pipe, not the file: nothing the child does to its stdin reaches a file. Closed after the
      // data, so an agent that reads its input to the end (OpenCode) gets EOF; one that does not read it is fine.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin);
    }
    const stdout = tail(cap);
    const stderr = tail(cap);
    let timedOut = false;
    let aborted = false;
    const kill = (): void => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      kill();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', stdout.push);
    child.stderr.on('data', stderr.push);
    child.on('error', (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(new Error(`cannot start ${command}: ${error.message}`, { cause: error }));
    });
    let graceTimer: NodeJS.Timeout | undefined;
    child.on('exit', () => {
      // The step is over when the child is: whatever it left running in its group goes too.
      kill();
      graceTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, CLOSE_GRACE_MS);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ code, signal, timedOut, aborted, stdout: stdout.text(), stderr: stderr.text(), durationMs: Date.now() - started });
    });
  });
}

/** Keeps the last `cap` bytes pushed into it. */
function tail(cap: number): { push: (chunk: Buffer) => void; text: () => string } {
  let chunks: Buffer[] = [];
  let size = 0;
  let dropped = false;
  return {
    push: (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > cap * 2) {
        const joined = Buffer.concat(chunks);
        chunks = [joined.subarray(joined.length - cap)];
        size = cap;
        dropped = true;
      }
    },
    text: () => {
      const joined = Buffer.concat(chunks);
      const kept = joined.length > cap ? joined.subarray(joined.length - cap) : joined;
      return (dropped || joined.length > cap ? '[… earlier output dropped]\n' : '') + kept.toString('utf8');
    },
  };
}
