import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { RunLockCorrupt, RunLockHeld } from '../../lib/core/run-errors.ts';
import { acquireRunLock, breakStaleLock, probeRunLock, processStart, releaseRunLock } from '../../lib/runtime/run-lock.ts';
import { fixturePath } from '../helpers.ts';

const test = suite();

const RACER = fixturePath('processes/lock-racer.ts');
const info = (run: string) => ({ run_id: run, run_id_audit: run, mission_type: 'test', acquired_at: '2026-11-21T00:00:00Z' });

function racer(lockPath: string, startAt: number, run: string): Promise<{ line: string; release: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', RACER, lockPath, String(startAt), run], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve({ line: out.trim(), release: () => (child.stdin.end(), exited) });
    });
  });
}

test('8 processes racing for the lock, 20 rounds: exactly one winner each round', async () => {
  const dir = tempDir('lifeos-lock-');
  const lockPath = join(dir, '.lifeos_run_lock');
  for (let round = 0; round < 20; round++) {
    const startAt = Date.now() + 1500;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => racer(lockPath, startAt, `run-${round}-${i}`)));
    const winners = results.filter((r) => r.line === 'won');
    assert.is(winners.length, 1, `round ${round}: ${results.map((r) => r.line).join(', ')}`);
    assert.ok(results.every((r) => r.line === 'won' || r.line === 'held RunLockHeld'), results.map((r) => r.line).join(', '));
    await Promise.all(results.map((r) => r.release()));
    assert.is(probeRunLock(lockPath).state, 'free');
  }
});

test('a live holder makes the lock held; its owner releases it', () => {
  const lockPath = join(tempDir('lifeos-lock-'), '.lifeos_run_lock');
  const taken = acquireRunLock(lockPath, info('run-a'));
  assert.ok(taken.acquired);
  assert.throws(() => acquireRunLock(lockPath, info('run-b')), (e: unknown) => e instanceof RunLockHeld && /run-a/.test(e.message));
  assert.not.ok(releaseRunLock(lockPath, 'run-b'));
  assert.ok(releaseRunLock(lockPath, 'run-a'));
  assert.is(probeRunLock(lockPath).state, 'free');
});

test('a dead holder, or a reused pid with another start time, is stale and can be broken once', () => {
  const lockPath = join(tempDir('lifeos-lock-'), '.lifeos_run_lock');
  const dead = { ...info('crashed'), pid: 2 ** 22 + 12345, process_start: null, host: hostname() };
  writeFileSync(lockPath, JSON.stringify(dead));
  const probe = probeRunLock(lockPath);
  assert.is(probe.state, 'dead');
  const taken = acquireRunLock(lockPath, info('next'));
  assert.not.ok(taken.acquired);
  if (taken.acquired) return;
  assert.is(taken.stale.run_id, 'crashed');
  assert.ok(breakStaleLock(lockPath, taken.stale));
  assert.not.ok(breakStaleLock(lockPath, taken.stale), 'a second break finds nothing to break');

  const reused = { ...info('old'), pid: process.pid, process_start: 'another-boot:1', host: hostname() };
  writeFileSync(lockPath, JSON.stringify(reused));
  assert.ok(processStart(process.pid) !== null);
  assert.is(probeRunLock(lockPath).state, 'dead');
});

test('a corrupt lock file is a clear error and is never overwritten', () => {
  const lockPath = join(tempDir('lifeos-lock-'), '.lifeos_run_lock');
  writeFileSync(lockPath, 'garbage{');
  assert.throws(() => acquireRunLock(lockPath, info('run-a')), (e: unknown) => e instanceof RunLockCorrupt && e.message.includes(lockPath));
  assert.is(readFileSync(lockPath, 'utf8'), 'garbage{');
});

test.run();
