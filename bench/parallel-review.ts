/**
 * Section 12 of `npm run bench`: the council review of the build cycle with a model that takes
 * 200 ms per call (the scripted model on 127.0.0.1, live), its seats asked one at a time
 * (maxParallel 1) and four at once (the default max_parallel). The review's wall time is read
 * from the journal (review_design's start to its end), so the rest of the cycle does not blur it.
 * The two runs must decide the same, or the row says so.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { createHelloRepo, INPUTS } from '../examples/hello-cycle/hello-repo.mjs';
import { startScriptedModel } from '../examples/hello-cycle/scripted-model.mjs';
import { initRepository } from '../lib/runtime/init-repository.ts';
import { readJournal } from '../lib/runtime/journal.ts';
import { runMission } from '../lib/runtime/runner.ts';
import { compareRuns } from '../lib/testing.ts';
import type { BenchRow } from './scaling.ts';

const CALL_MS = 200;

export async function parallelReviewSection(options: { scratch: (prefix: string) => string }): Promise<BenchRow[]> {
  const model = await startScriptedModel('happy', { onCall: () => new Promise((resolve) => setTimeout(resolve, CALL_MS)) });
  try {
    const measure = async (maxParallel: number | undefined): Promise<{ reviewMs: number; journal: string }> => {
      const repo = createHelloRepo(options.scratch('lifeos-review-bench-'), { initRepository, withFixtures: false });
      const result = await runMission('autonomous_build_cycle', {
        repoRoot: repo,
        mode: 'live',
        inputs: parse(readFileSync(INPUTS, 'utf8')) as Record<string, unknown>,
        agent: { baseURL: model.url, apiKey: 'scripted' },
        fsync: false,
        ...(maxParallel === undefined ? {} : { maxParallel }),
      });
      if (result.status !== 'completed') throw new Error(`the review bench's cycle ended ${result.status}: ${result.error?.message ?? ''}`);
      const entries = readJournal(result.journalPath).entries.filter((entry) => entry.data.node === 'review_design' && (entry.type === 'step_started' || entry.type === 'step_finished'));
      const [start, end] = [entries[0], entries[entries.length - 1]].map((entry) => Date.parse(entry?.at ?? ''));
      return { reviewMs: (end as number) - (start as number), journal: result.journalPath };
    };
    const sequential = await measure(1);
    const parallel = await measure(undefined);
    const divergence = compareRuns(sequential.journal, parallel.journal);
    return [
      { name: `council review (4 seats, chair, co-chair) at ${CALL_MS} ms per call, one seat at a time`, value: `${sequential.reviewMs} ms`, target: '', ok: true },
      {
        name: `the same, seats four at once (max_parallel 4)${divergence.same ? '' : ` (DECISIONS DIFFER: ${divergence.message})`}`,
        value: `${parallel.reviewMs} ms (${(parallel.reviewMs / sequential.reviewMs).toFixed(2)}x)`,
        target: 'same decisions',
        ok: divergence.same,
      },
    ];
  } finally {
    await model.close();
  }
}
