/**
 * A second thread for verifying a long journal: the byte scan and the sha256 of each line are
 * the two costs of verification, and lines are independent, so this thread takes the second
 * half of each chunk while the main thread does the first. Synchronous on purpose: verify is a
 * synchronous API, so the threads hand work over through shared memory and Atomics, not
 * messages. The worker runs from source text (the scanner's own, createLineScanner.toString()),
 * so it runs the same from the sources, the build and the bundled CLI.
 *
 * For each line the worker writes one status byte: 0 the line is not in the writer's form (the
 * main thread takes the exact path), 1 it is and its entry_hash is the sha256 of its body, 2 it
 * is but the hash differs. The chain links are checked by the main thread, in order.
 *
 * One worker serves the whole process (started on first use, unref'd so it never keeps the
 * process alive): a fresh thread's code runs cold for its first megabytes, which would cost more
 * than it saves on every journal after the first.
 */
import { Worker } from 'node:worker_threads';
import { createLineScanner } from '../core/journal-line-scan.ts';

/** Below this size a journal is verified on one thread (a thread's start and warm-up cost more). */
export const PARALLEL_MIN_BYTES = 32 * 1024 * 1024;
/** Larger halves (a chunk of very long lines) are checked on the main thread. */
const CAPACITY = 8 * 1024 * 1024;
const IDLE = 0;
const WORK = 1;
const DONE = 2;
/** A half chunk takes milliseconds; a thread this late did not start. */
const STALL_MS = 10_000;

function workerSource(): string {
  return `
var __name = (value) => value; // what a transpiler's keepNames wraps functions with
const { workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const scan = (${createLineScanner.toString()})();
const control = new Int32Array(workerData.control);
const input = Buffer.from(workerData.input);
const output = Buffer.from(workerData.output);
const digest = typeof crypto.hash === 'function' ? (data) => crypto.hash('sha256', data) : (data) => crypto.createHash('sha256').update(data).digest('hex');
for (;;) {
  // The state goes IDLE -> WORK (main) -> DONE (here) -> IDLE (main); sleep until there is work.
  let state;
  while ((state = Atomics.load(control, 0)) !== ${WORK}) Atomics.wait(control, 0, state);
  const length = control[1];
  let line = 0;
  try {
    for (let start = 0; start < length; line++) {
      const end = input.indexOf(10, start);
      const scanned = scan(input, start, end);
      if (scanned) {
        const comma = scanned.bodyEnd;
        input[comma] = 0x7d;
        output[line] = digest(input.subarray(start, comma + 1)) === input.toString('latin1', end - 66, end - 2) ? 1 : 2;
        input[comma] = 0x2c;
      } else output[line] = 0;
      start = end + 1;
    }
  } catch {
    // Whatever went wrong here, the main thread checks these lines itself.
    output.fill(0);
  }
  Atomics.store(control, 0, ${DONE});
  Atomics.notify(control, 0);
}
`;
}

export class LineWorker {
  private readonly control = new Int32Array(new SharedArrayBuffer(16));
  private readonly input = Buffer.from(new SharedArrayBuffer(CAPACITY));
  private readonly output = Buffer.from(new SharedArrayBuffer(CAPACITY));
  private readonly worker: Worker;
  private dead = false;

  constructor() {
    this.worker = new Worker(workerSource(), { eval: true, execArgv: [], workerData: { control: this.control.buffer, input: this.input.buffer, output: this.output.buffer } });
    this.worker.unref();
    // A worker that fails to start is noticed by statuses() (it never answers); nothing else to do.
    this.worker.on('error', () => {
      this.dead = true;
    });
  }

  /** Start on the whole lines bytes[from, to); false when they do not fit (check them here). */
  submit(bytes: Uint8Array, from: number, to: number): boolean {
    if (this.dead || to - from > CAPACITY) return false;
    this.input.set(bytes.subarray(from, to));
    this.control[1] = to - from;
    Atomics.store(this.control, 0, WORK);
    Atomics.notify(this.control, 0);
    return true;
  }

  /**
   * Wait for the submitted lines: one status byte per line, in order. Undefined if the thread
   * does not answer (it failed to start): then the caller checks the lines itself, and no more
   * work is submitted.
   */
  statuses(): Uint8Array | undefined {
    const deadline = Date.now() + STALL_MS;
    while (Atomics.load(this.control, 0) !== DONE) {
      if (Date.now() > deadline) {
        this.dead = true;
        return undefined;
      }
      Atomics.wait(this.control, 0, WORK, 100);
    }
    Atomics.store(this.control, 0, IDLE);
    return this.output;
  }
}

let shared: LineWorker | undefined;

/** The process's worker, started on first use. */
export function lineWorker(): LineWorker {
  shared ??= new LineWorker();
  return shared;
}
