// The state store under several processes: no lost update, a file that always parses, and
// a mutex that a dead holder cannot block.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { withFileMutex, StoreBusy } from '../../lib/runtime/store/file-mutex.ts';
import { openStateStore } from '../../lib/runtime/store/open-store.ts';
import type { StoreBackend } from '../../lib/runtime/store/state-store.ts';
import { currentHolder } from '../../lib/runtime/lock-file.ts';
import { hashCanonical } from '../../lib/core/canonical.ts';
import { makeRepo } from '../git-repo.ts';
import { fixturePath } from '../helpers.ts';

const WRITER = fixturePath('processes/store-writer.ts');
const PER_PROCESS = 300;
const STEPS = 150;
const ITEMS = 200;

function writer(backend: StoreBackend, repo: string, name: string): Promise<number | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, backend, repo, name, String(PER_PROCESS)], { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve) => child.on('close', resolve));
}

/** Read (and for lowdb, parse) the store file over and over until stopped, counting failures. */
function watchParses(repo: string, backend: StoreBackend): { stop: () => Promise<{ reads: number; parseErrors: number }> } {
  const path = join(repo, '.lifeos', backend === 'lowdb' ? 'state.json' : 'state.sqlite');
  let reads = 0;
  let parseErrors = 0;
  let done = false;
  const loop = (async () => {
    while (!done) {
      if (backend === 'lowdb') {
        let text: string | undefined;
        try {
          text = readFileSync(path, 'utf8');
        } catch {
          // Not written yet.
        }
        try {
          if (text !== undefined) JSON.parse(text);
        } catch {
          parseErrors++;
        }
      } else {
        const store = openStateStore({ repoRoot: repo, backend });
        store.escalations();
        store.close();
      }
      reads++;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  return {
    stop: async () => {
      done = true;
      await loop;
      return { reads, parseErrors };
    },
  };
}

const it = suite('state store concurrency');

for (const backend of ['lowdb', 'sqlite'] as const) {
  it(`${backend}: two processes queueing ${PER_PROCESS} escalations each lose none, and the file always parses`, async () => {
    const repo = tempDir('lifeos-store-race-');
    openStateStore({ repoRoot: repo, backend }).close();
    const watch = watchParses(repo, backend);
    const codes = await Promise.all([writer(backend, repo, 'a'), writer(backend, repo, 'b')]);
    const { reads, parseErrors } = await watch.stop();
    assert.equal(codes, [0, 0]);
    const reasons = new Set(openStateStore({ repoRoot: repo, backend }).escalations().map((e) => e.reason));
    assert.is(reasons.size, 2 * PER_PROCESS, 'every write is present');
    assert.is(parseErrors, 0, `the file parsed in each of ${reads} reads`);
  });
}

for (const backend of ['lowdb', 'sqlite'] as const) {
  it(`${backend}: a running mission writing step logs and queue decisions in a loop, in two processes, lose no write`, async () => {
    const repo = makeRepo();
    const store = openStateStore({ repoRoot: repo, backend });
    for (let i = 0; i < ITEMS; i++) {
      store.queueEscalation({ escalation_id: hashCanonical({ seeded: i }), mission_id: null, reason: `seeded ${i}`, severity: 'warning', created_at: new Date().toISOString(), resolved_at: null, resolution: null, resolved_by: null, notes: null });
    }
    store.close();
    const child = (script: string, ...args: string[]): Promise<string> =>
      new Promise((resolve, reject) => {
        const process_ = spawn(process.execPath, ['--import', 'tsx', fixturePath(`processes/${script}`), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        process_.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        process_.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${script} exited ${code}`))));
      });
    const watch = watchParses(repo, backend);
    const [status, decisions] = await Promise.all([child('store-mission.ts', repo, String(STEPS)), child('queue-decider.ts', repo)]);
    const { reads, parseErrors } = await watch.stop();
    assert.is(parseErrors, 0, `the store parsed in each of ${reads} reads`);
    assert.is(status, 'completed');
    assert.ok(Number(decisions) >= ITEMS, `${decisions} decisions`);
    const after = openStateStore({ repoRoot: repo });
    const [run] = after.runs();
    assert.is(run?.status, 'completed');
    assert.is(after.stepLogs(run?.mission_id as string).length, STEPS, 'every step log is present');
    const items = after.escalations();
    assert.is(items.length, ITEMS);
    assert.ok(items.every((item) => item.resolution === 'approved'), 'every decision is present');
    after.close();
  });
}

it('a mutex left by a dead process is broken at once', () => {
  const dir = tempDir('lifeos-mutex-');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const lock = join(dir, 'state.json.lock');
  writeFileSync(lock, JSON.stringify({ pid: Number(dead.stdout), process_start: null, host: currentHolder().host }));
  const started = Date.now();
  assert.is(withFileMutex(lock, () => 'ran', 5_000), 'ran');
  assert.ok(Date.now() - started < 2_000, 'no waiting for a timeout');
});

it('a mutex held by a live process makes a waiter fail with StoreBusy after its timeout, naming the holder', () => {
  const dir = tempDir('lifeos-mutex-');
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'state.json.lock');
  withFileMutex(lock, () => {
    assert.throws(
      () => withFileMutex(lock, () => 'never', 100),
      (e: unknown) => e instanceof StoreBusy && (e as Error).message.includes(`pid ${process.pid}`),
    );
  });
});

it.run();
