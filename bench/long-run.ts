/**
 * A child process of `npm run bench` (section 9, bench/scaling.ts): one long no-op run, then
 * its peak RSS, so the memory figure is the run's own and not the bench's, and each size starts
 * from a fresh process (nothing cached from a smaller run).
 *
 *   <repo> <steps>    run a fan-out of <steps> no-op steps in the git repository <repo>, fsync off
 *
 * Prints one JSON line: { ms, fixedMs, maxRssMb, status }. `ms` is the runMission call alone
 * (module loading is left out, as it is for section 4's in-process runs); `fixedMs` is what a
 * 1-step run costs in the same process afterwards (the snapshots and captures every run pays
 * whatever its length), so the per-step figure can leave it out. The peak RSS is read before it.
 */
import { analyseMission } from '../lib/core/load.ts';
import { createRegistry } from '../lib/core/registry.ts';
import { runMission } from '../lib/runtime/runner.ts';

// The mission of section 4 of bench/run.ts, so the two per-step figures are comparable.
const NOOP_FAN_OUT = `mission: engine_bench
version: "1.0"
inputs: [{name: items, type: list}]
outputs: []
steps:
  - {id: each, kind: runtime, operation: noop, for_each: {item: "{{items}}"}, params: {item: "{{item}}"}}
`;

const [repo, steps] = process.argv.slice(2);
if (repo === undefined || !(Number(steps) > 0)) throw new Error('usage: long-run.ts <repo> <steps>');
const loaded = analyseMission(NOOP_FAN_OUT, { registry: createRegistry() });
if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
const items = Array.from({ length: Number(steps) }, (_, i) => `item${i}`);
const start = performance.now();
const result = await runMission(loaded.mission, { repoRoot: repo, inputs: { items }, fsync: false });
const ms = performance.now() - start;
const maxRssMb = process.resourceUsage().maxRSS / 1024;
const fixed: number[] = [];
for (let i = 0; i < 3; i++) {
  const oneStart = performance.now();
  await runMission(loaded.mission, { repoRoot: repo, inputs: { items: [`one${i}`] }, fsync: false });
  fixed.push(performance.now() - oneStart);
}
const fixedMs = fixed.sort((a, b) => a - b)[1] as number;
console.log(JSON.stringify({ ms, fixedMs, maxRssMb, status: result.status }));
