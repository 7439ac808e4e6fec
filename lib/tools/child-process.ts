/**
 * Running a child process for a tool (test runner, coding agent, git): execFile semantics (an
 * argument vector, never a shell string), a timeout that kills the whole process group, the
 * host's AbortSignal obeyed, and output captured up to a cap so a chatty command cannot exhaust
 * memory. The tail is what is kept: it is where test runners print their summary.
 */
import { spawn } from 'node:child_process';

export interface ProcessOptions {
  cwd: string;
  timeoutMs: number;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
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

export function runProcess(command: string, args: readonly string[], options: ProcessOptions): Promise<ProcessResult> {
  const started = Date.now();
  const cap = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a timeout kills what it started too (npm -> node -> workers).
      detached: true,
    });
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
    child.on('close', (code, signal) => {
      clearTimeout(timer);
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
