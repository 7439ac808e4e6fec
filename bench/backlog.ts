/**
 * Section 10 of `npm run bench`: `backlog run` over four tasks of the hello repository (the real
 * cycle in real worktrees, the scripted model on 127.0.0.1 in record mode, real `node --test`),
 * one task at a time and two at once: the wall time of each, and their ratio. The outcomes must
 * be the same (three committed, one parked), or the row says so.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHelloRepo } from '../examples/hello-cycle/hello-repo.mjs';
import { NEEDS_CEO, startScriptedModel } from '../examples/hello-cycle/scripted-model.mjs';
import { runBacklog } from '../lib/runtime/backlog/run-backlog.ts';
import { initRepository } from '../lib/runtime/init-repository.ts';
import type { BenchRow } from './scaling.ts';

const TASKS = ['Add a greet(name) function', `Add a farewell(name) function ${NEEDS_CEO}`, 'Document greet in the README', 'Add a test for an empty name'];

export async function backlogSection(options: { scratch: (prefix: string) => string }): Promise<BenchRow[]> {
  const model = await startScriptedModel('backlog');
  try {
    const measure = async (parallel: number): Promise<{ ms: number; outcomes: string }> => {
      const repo = createHelloRepo(options.scratch('lifeos-backlog-bench-'), { initRepository, withFixtures: false });
      writeFileSync(join(repo, 'BACKLOG.md'), `# Backlog\n\n${TASKS.map((task) => `- [ ] ${task}\n`).join('\n')}`);
      execFileSync('git', ['commit', '-qam', 'four tasks'], { cwd: repo });
      const start = performance.now();
      const report = await runBacklog({ repoRoot: repo, mode: 'record', agent: { baseURL: model.url, apiKey: 'scripted' }, inputs: { test_command: ['node', '--test'] }, fsync: false, parallel });
      return { ms: performance.now() - start, outcomes: report.tasks.map((task) => task.outcome).sort().join(',') };
    };
    const one = await measure(1);
    const two = await measure(2);
    const same = one.outcomes === two.outcomes && one.outcomes === 'committed,committed,committed,parked';
    return [
      {
        name: `backlog run, 4 tasks (3 committed, 1 parked): --parallel 2 vs one at a time${same ? '' : ` (OUTCOMES DIFFER: ${two.outcomes} vs ${one.outcomes})`}`,
        value: `${(two.ms / 1000).toFixed(1)} / ${(one.ms / 1000).toFixed(1)} s (${(two.ms / one.ms).toFixed(2)}x)`,
        target: 'same outcomes',
        ok: same,
      },
    ];
  } finally {
    await model.close();
  }
}
