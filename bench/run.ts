/**
 * `npm run bench`: the speed targets of the mission language, measured in one run.
 *
 *   1. `lifeos-mission validate missions/` as a cold process (the executable, dist/cli/lifeos-mission.cjs):
 *      median wall time, and the median ratio of paired runs to a bare `node -e ""` (target: at most 1.6x).
 *   2. planning a mission of 10,000 operations, the default plan limit (target: under 100 ms).
 *   3. canonical JSON throughput, in MB/s of output.
 *   4. run engine overhead per step with a no-op handler, with and without fsync.
 *   5. journal append and verify rates (entries/s) for a 100,000-entry journal, the ratio of the
 *      verify rate to a plain sha256 over the same bytes (target: at least 1/4), and the peak
 *      memory of writing, verifying and bundling a 1M-entry journal (verify under 300 MB; writing
 *      and bundling flat), each in its own process (bench/journal-memory.ts).
 *   6. path validations per second (target: at least 100,000/s).
 *   7. the offline demo cycle (examples/hello-cycle, replay, in process): wall time, and the
 *      share spent inside the library, taken as this process's CPU time over the wall time (the
 *      rest is waiting for git and the test run, which are child processes).
 *   8. the sandbox's cost per test run: the same small command (`node -e ""`) through the test
 *      runner's process path, with bubblewrap and without (skipped where bwrap cannot run).
 *   9. scaling (bench/scaling.ts): queue list, the store calls of one run and a long no-op run,
 *      each at two sizes of history or length, and their ratio (targets: flat).
 *  10. the backlog loop (bench/backlog.ts): four tasks, one at a time and two at once.
 *  11. the README's first command (`npm ci --ignore-scripts && npm run demo`) on a clean clone,
 *      in seconds, each part too (bench/first-command.ts).
 *  12. a council review at 200 ms per model call, seats one at a time and four at once, and
 *      whether the two decided the same (bench/parallel-review.ts).
 *
 * Prints figures and ratios; never fails on a missed target unless run with --strict (timings
 * on shared machines are noisy, so targets are read by people, not by unit tests).
 * --quick runs fewer repetitions (the CI smoke run).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJson, hashCanonical } from '../lib/core/canonical.ts';
import { analyseMission } from '../lib/core/load.ts';
import { planMission } from '../lib/core/plan.ts';
import { createRegistry } from '../lib/core/registry.ts';
import { resolveRepoRoot, validatePathAccess } from '../lib/governance/envelope.ts';
import { JournalWriter, runDirName, verifyJournal } from '../lib/runtime/journal.ts';
import { runMission } from '../lib/runtime/runner.ts';
import { initRepository } from '../lib/runtime/init-repository.ts';
import { runProcess } from '../lib/tools/child-process.ts';
import { confine, sandboxAvailability } from '../lib/tools/sandbox.ts';
import { parse } from 'yaml';
import { createHelloRepo, INPUTS } from '../examples/hello-cycle/hello-repo.mjs';
import { backlogSection } from './backlog.ts';
import { firstCommandSection } from './first-command.ts';
import { parallelReviewSection } from './parallel-review.ts';
import { scalingSection } from './scaling.ts';

const quick = process.argv.includes('--quick');
const strict = process.argv.includes('--strict');
const root = fileURLToPath(new URL('../', import.meta.url));
const bin = `${root}dist/cli/lifeos-mission.cjs`;

/** sha256 of a file read in 4 MiB chunks, as verify reads it (the raw rate verify is compared with). */
function sha256OfFile(path: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
  const fd = openSync(path, 'r');
  try {
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) hash.update(buffer.subarray(0, read));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** A temporary folder for one section, removed when the bench ends (whatever it ends with). */
const scratchFolders: string[] = [];
process.on('exit', () => {
  for (const folder of scratchFolders) rmSync(folder, { recursive: true, force: true });
});
function scratch(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  scratchFolders.push(folder);
  return folder;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function timeProcess(args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    execFileSync(process.execPath, args, { cwd: root, stdio: 'pipe' });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

function timeInProcess<T>(run: () => T, runs: number): { ms: number; result: T } {
  let result = run(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    result = run();
    times.push(performance.now() - start);
  }
  return { ms: median(times), result };
}

const results: Array<{ name: string; value: string; target: string; ok: boolean }> = [];

// 1. Cold start of the CLI, paired: each pair runs a bare node and a validate back to back, so a
// busy moment of the machine slows both; the figure is the median of the pairs' ratios.
if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build first (npm run bench does)`);
const pairs = quick ? 15 : 31;
const bare: number[] = [];
const validate: number[] = [];
for (let i = 0; i < pairs; i++) {
  bare.push(timeProcess(['-e', ''], 1));
  validate.push(timeProcess([bin, 'validate', 'missions/'], 1));
}
const ratio = median(validate.map((ms, i) => ms / (bare[i] as number)));
results.push({ name: 'node -e "" (cold, median)', value: `${median(bare).toFixed(1)} ms`, target: '', ok: true });
results.push({ name: 'lifeos-mission validate missions/ (cold, median)', value: `${median(validate).toFixed(1)} ms`, target: '', ok: true });
const cacheReport = spawnSync(process.execPath, [bin, 'validate', 'missions/'], { cwd: root, env: { ...process.env, LIFEOS_CODE_CACHE: 'report' }, encoding: 'utf8' }).stderr;
results.push({ name: 'validate code cache (written by npm run build)', value: cacheReport.trim().replace('code cache: ', ''), target: 'used', ok: cacheReport.includes('used') });
results.push({ name: `validate / bare node (median of ${pairs} pairs)`, value: `${ratio.toFixed(2)}x`, target: '<= 1.6x', ok: ratio <= 1.6 });

// 2. Planning a 10,000-operation plan (its limit by default: a step and a 9,999-instance fan-out).
const registry = createRegistry();
const loaded = analyseMission(
  `mission: fan_out_bench
version: "1.0"
inputs: [{name: items, type: list}]
outputs: [{name: all, type: list, value: "{{steps.each.outputs}}"}]
steps:
  - id: prepare
    kind: runtime
    operation: noop
  - id: each
    kind: runtime
    operation: llm_call
    for_each: {item: "{{items}}"}
    params:
      role: worker_{{item}}
      input_packet: {item: "{{item}}", context: "{{steps.prepare.output}}", note: "item {{item}} of the batch"}
`,
  { registry },
);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
const items = Array.from({ length: 9_999 }, (_, i) => `item${i}`);
const planned = timeInProcess(() => planMission(loaded.mission, { inputs: { items }, registry }), quick ? 3 : 9);
results.push({ name: 'plan at 10,000 operations, the default limit (median)', value: `${planned.ms.toFixed(1)} ms`, target: '< 100 ms', ok: planned.ms < 100 });

// 3. Canonical JSON throughput, over the plan just made (nested mappings, lists, text).
const value = JSON.parse(JSON.stringify(planned.result)) as unknown;
const bytes = Buffer.byteLength(canonicalJson(value));
const serialised = timeInProcess(() => canonicalJson(value), quick ? 3 : 9);
const mbPerSecond = bytes / 1e6 / (serialised.ms / 1000);
const stringify = timeInProcess(() => JSON.stringify(value), quick ? 3 : 9);
results.push({ name: `canonical JSON of a ${(bytes / 1e6).toFixed(1)} MB plan`, value: `${mbPerSecond.toFixed(0)} MB/s`, target: '', ok: true });
results.push({ name: 'canonical JSON time / JSON.stringify time', value: `${(serialised.ms / stringify.ms).toFixed(2)}x`, target: '', ok: true });

// 4. Run engine: per-step overhead with a no-op handler, with and without fsync.
const engineSteps = quick ? 50 : 200;
const repo = scratch('lifeos-bench-');
execFileSync('git', ['init', '-q', repo]);
execFileSync('git', ['-C', repo, '-c', 'user.email=b@b', '-c', 'user.name=b', 'commit', '-q', '--allow-empty', '-m', 'init']);
const noopMission = analyseMission(
  `mission: engine_bench
version: "1.0"
inputs: [{name: items, type: list}]
outputs: []
steps:
  - {id: each, kind: runtime, operation: noop, for_each: {item: "{{items}}"}, params: {item: "{{item}}"}}
`,
  { registry },
);
if (!noopMission.ok) throw new Error(JSON.stringify(noopMission.diagnostics));
for (const fsync of [true, false]) {
  const items = Array.from({ length: engineSteps }, (_, i) => `${fsync ? 'f' : 'n'}${i}`);
  const start = performance.now();
  const result = await runMission(noopMission.mission, { repoRoot: repo, inputs: { items }, fsync });
  const perStep = (performance.now() - start) / engineSteps;
  if (result.status !== 'completed') throw new Error(`engine bench run ended ${result.status}`);
  results.push({ name: `engine overhead per no-op step (${engineSteps} steps, fsync ${fsync ? 'on' : 'off'})`, value: `${perStep.toFixed(2)} ms`, target: '', ok: true });
}
// What every run costs whatever its length (the baseline and final snapshots, the governance and
// protected-state captures), so that the per-step figure above can be read apart from it.
const oneStep: number[] = [];
for (let i = 0; i < (quick ? 5 : 15); i++) {
  const start = performance.now();
  const result = await runMission(noopMission.mission, { repoRoot: repo, inputs: { items: [`one${i}`] }, fsync: false });
  if (result.status !== 'completed') throw new Error(`engine bench run ended ${result.status}`);
  oneStep.push(performance.now() - start);
}
results.push({ name: 'engine fixed cost of a run (a 1-step run, fsync off, median)', value: `${median(oneStep).toFixed(1)} ms`, target: '', ok: true });

// 5. Journal: append and verify rates; verify time against a plain sha256 of the same bytes
// (target: verify at least 1/4 of the sha256 rate); peak memory of writing, verifying and
// bundling a long journal, each in its own process (targets: verify 1M entries under 300 MB;
// writing and bundling do not grow with the journal).
const journalEntries = quick ? 20_000 : 100_000;
const runId = hashCanonical({ bench: 'journal' });
const journalScratch = scratch('lifeos-journal-bench-');
const journalPath = join(journalScratch, runDirName(runId), 'journal.jsonl');
const writer = JournalWriter.open(journalPath, runId, { fsync: false });
const appendStart = performance.now();
for (let i = 0; i < journalEntries; i++) {
  writer.append('operation_finished', { node: `each[item${i}]`, operation_id: runId, output: { item: `item${i}`, ok: true }, receipt: { pre_state_hash: runId, post_state_hash: runId } });
}
const appendMs = performance.now() - appendStart;
writer.close();
const journalBytes = readFileSync(journalPath);
const verifyRuns: number[] = [];
const shaRuns: number[] = [];
const memoryShaRuns: number[] = [];
for (let i = 0; i < (quick ? 3 : 7); i++) {
  const verifyStart = performance.now();
  const verified = verifyJournal(journalPath);
  verifyRuns.push(performance.now() - verifyStart);
  if (!verified.ok || verified.entries !== journalEntries) throw new Error('bench journal does not verify');
  const shaStart = performance.now();
  sha256OfFile(journalPath);
  shaRuns.push(performance.now() - shaStart);
  const memoryStart = performance.now();
  createHash('sha256').update(journalBytes).digest('hex');
  memoryShaRuns.push(performance.now() - memoryStart);
}
const verifyMs = median(verifyRuns);
const rate = (ms: number) => `${Math.round(journalEntries / (ms / 1000)).toLocaleString('en-US')}/s`;
results.push({ name: `journal append, ${journalEntries.toLocaleString('en-US')} entries (fsync off)`, value: rate(appendMs), target: '', ok: true });
results.push({ name: `journal verify, ${(journalBytes.length / 1e6).toFixed(1)} MB (median)`, value: `${rate(verifyMs)}, ${(journalBytes.length / 1e6 / (verifyMs / 1000)).toFixed(0)} MB/s`, target: '', ok: true });
results.push({ name: 'verify rate / sha256 of the same file (read as verify reads it)', value: `1/${(verifyMs / median(shaRuns)).toFixed(1)}`, target: '>= 1/4', ok: verifyMs / median(shaRuns) <= 4 });
results.push({ name: 'verify rate / sha256 of the same bytes already in memory', value: `1/${(verifyMs / median(memoryShaRuns)).toFixed(1)}`, target: '', ok: true });

const journalJob = (...args: string[]): { ms: number; maxRssMb: number; ok: boolean; count: number } =>
  JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', join(root, 'bench/journal-memory.ts'), ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 20 }).trim()) as never;
const memory = (entries: number) => {
  const path = join(journalScratch, `long-${entries}`, runDirName(runId), 'journal.jsonl');
  const write = journalJob('write', path, String(entries));
  const verify = journalJob('verify', path);
  if (!verify.ok || verify.count !== entries) throw new Error(`long journal of ${entries} does not verify`);
  const shaStart = performance.now();
  sha256OfFile(path);
  const shaMs = performance.now() - shaStart;
  const bundle = journalJob('bundle', path, join(journalScratch, `long-${entries}`, 'bundle.json'));
  const mb = statSync(path).size / 1e6;
  rmSync(join(journalScratch, `long-${entries}`), { recursive: true, force: true });
  return { write, verify, bundle, mb, shaMs };
};
const small = memory(quick ? 10_000 : 100_000);
const large = memory(quick ? 100_000 : 1_000_000);
const long = (quick ? 100_000 : 1_000_000).toLocaleString('en-US');
results.push({ name: `peak RSS writing ${long} entries (${large.mb.toFixed(0)} MB), vs ${(quick ? 10_000 : 100_000).toLocaleString('en-US')}`, value: `${large.write.maxRssMb.toFixed(0)} / ${small.write.maxRssMb.toFixed(0)} MB`, target: 'flat', ok: large.write.maxRssMb < small.write.maxRssMb * 1.5 });
results.push({ name: `peak RSS verifying ${long} entries`, value: `${large.verify.maxRssMb.toFixed(0)} MB`, target: '< 300 MB', ok: large.verify.maxRssMb < 300 });
results.push({ name: `verify of ${long} entries (in its own process; two threads)`, value: `${(large.verify.ms / 1000).toFixed(1)} s`, target: '', ok: true });
results.push({ name: `  its rate / sha256 of the same file`, value: `1/${(large.verify.ms / large.shaMs).toFixed(1)}`, target: '>= 1/4', ok: large.verify.ms / large.shaMs <= 4 });
results.push({ name: `peak RSS writing the bundle of ${long} entries, vs ${(quick ? 10_000 : 100_000).toLocaleString('en-US')}`, value: `${large.bundle.maxRssMb.toFixed(0)} / ${small.bundle.maxRssMb.toFixed(0)} MB`, target: 'flat', ok: large.bundle.maxRssMb < small.bundle.maxRssMb * 1.5 });

// 6. Path validation: a mixed corpus of 10,000 requests against a folder with symlinks.
const pathRepo = scratch('lifeos-path-bench-');
for (const file of ['docs/a.md', 'docs/sub/x.md', 'src/app.ts', 'config/models.yaml']) {
  mkdirSync(join(pathRepo, file, '..'), { recursive: true });
  writeFileSync(join(pathRepo, file), file);
}
symlinkSync('config', join(pathRepo, 'alias'));
symlinkSync('/etc', join(pathRepo, 'docs/out'));
const pathShapes = ['docs/a.md', 'docs/sub/x.md', 'docs/new/f{i}.md', 'src/app.ts', 'src/lib/f{i}.ts', 'docs/../config/models.yaml', 'alias/models.yaml', 'docs/out/passwd', 'CONFIG/models.yaml', '../x{i}', '.git/config', 'docs\\x{i}', 'docs/cafe\u0301{i}.md'];
const pathRequests = Array.from({ length: 10_000 }, (_, i) => (pathShapes[i % pathShapes.length] as string).replace('{i}', String(i)));
const pathEnvelope = { allowed_paths: ['docs/**', 'src/*.ts', 'README.md'], denied_paths: ['docs/secret', 'src/generated/**'] };
// The root resolved once, as a run resolves it when its attempt begins (resolveRepoRoot); the
// median of three passes, as a run's checks come after many others (the first pays for warm-up).
const pathRoot = resolveRepoRoot(pathRepo);
let pathAllowed = 0;
const pathPasses: number[] = [];
for (let pass = 0; pass < 3; pass++) {
  pathAllowed = 0;
  const pathStart = performance.now();
  for (const [i, request] of pathRequests.entries()) {
    if (validatePathAccess(request, i % 2 === 0 ? 'write' : 'read', pathEnvelope, { repoRoot: pathRepo, root: pathRoot }).allowed) pathAllowed++;
  }
  pathPasses.push(performance.now() - pathStart);
}
const pathMs = median(pathPasses);
results.push({ name: `path validations, 10,000 mixed requests (${pathAllowed} allowed; median of 3 passes)`, value: `${Math.round(10_000 / (pathMs / 1000)).toLocaleString('en-US')}/s`, target: '>= 100,000/s', ok: 10_000 / (pathMs / 1000) >= 100_000 });

// 7. The demo cycle, as `npm run demo` runs it but in process, so its CPU time can be read.
const cycleWalls: number[] = [];
const cycleShares: number[] = [];
let cycleOperations = 0;
for (let i = 0; i < (quick ? 1 : 3); i++) {
  const cycleRepo = createHelloRepo(scratch('lifeos-cycle-bench-'), { initRepository });
  const cpu = process.cpuUsage();
  const start = performance.now();
  const cycle = await runMission('autonomous_build_cycle', { repoRoot: cycleRepo, mode: 'replay', inputs: parse(readFileSync(INPUTS, 'utf8')) as Record<string, unknown> });
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  if (cycle.status !== 'completed') throw new Error(`the demo cycle ended ${cycle.status}`);
  cycleOperations = (JSON.parse(readFileSync(join(dirname(cycle.journalPath), 'plan.json'), 'utf8')) as { counts: { operations: number } }).counts.operations;
  cycleWalls.push(wall);
  cycleShares.push((used.user + used.system) / 1000 / wall);
}
results.push({ name: `demo build cycle (replay, ${cycleOperations} operations), wall time`, value: `${median(cycleWalls).toFixed(0)} ms`, target: '', ok: true });
results.push({ name: 'demo build cycle, share inside the library (own CPU / wall)', value: `${(median(cycleShares) * 100).toFixed(0)}%`, target: '', ok: true });

// 8. The sandbox's cost per test run.
const availability = sandboxAvailability();
if (availability.ok) {
  const sandboxRepo = scratch('lifeos-sandbox-bench-');
  const perRun = async (mode: 'auto' | 'off'): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < (quick ? 5 : 15); i++) {
      const { program, args } = confine(process.execPath, ['-e', ''], { writable: [sandboxRepo], readOnly: [], cwd: sandboxRepo }, { mode });
      const start = performance.now();
      const result = await runProcess(program, args, { cwd: sandboxRepo, timeoutMs: 30_000 });
      if (result.code !== 0) throw new Error(`sandbox bench: ${result.stderr}`);
      times.push(performance.now() - start);
    }
    return median(times);
  };
  const plain = await perRun('off');
  const boxed = await perRun('auto');
  results.push({ name: 'test command `node -e ""`, without the sandbox (median)', value: `${plain.toFixed(1)} ms`, target: '', ok: true });
  results.push({ name: 'the same in the bubblewrap sandbox (median)', value: `${boxed.toFixed(1)} ms`, target: '', ok: true });
  results.push({ name: 'sandbox cost per test run', value: `${(boxed - plain).toFixed(1)} ms`, target: '', ok: true });
} else {
  results.push({ name: `sandbox cost per test run (skipped: ${availability.reason})`, value: '-', target: '', ok: true });
}

// 9. Scaling: the same costs with a long history (or a long run) and a short one.
results.push(...scalingSection({ quick, root, bin, scratch }));

// 10. The backlog loop, one task at a time and two at once.
results.push(...(await backlogSection({ scratch })));

// 11. The README's first command on a clean clone.
results.push(...firstCommandSection({ root, scratch }));

// 12. A council review, one seat at a time and four at once.
results.push(...(await parallelReviewSection({ scratch })));

const width = Math.max(...results.map((r) => r.name.length));
console.log(`lifeos-mission bench (node ${process.version}${quick ? ', quick' : ''})`);
for (const r of results) {
  const verdict = r.target ? `  target ${r.target}: ${r.ok ? 'met' : 'MISSED'}` : '';
  console.log(`  ${r.name.padEnd(width)}  ${r.value.padStart(10)}${verdict}`);
}
const missed = results.filter((r) => !r.ok);
if (strict && missed.length > 0) process.exitCode = 1;
