/**
 * The daily spending ceiling (spec §5.5) is accounted from the journals themselves: the cost
 * every completed operation reported (`cost_usd`), in every run of the repository, on the
 * given UTC day. Nothing else keeps a tally that could drift from the evidence.
 */
import { join } from 'node:path';
import { reportedCost } from '../governance/step-guards.ts';
import { JOURNAL_FILE, readJournal } from './journal.ts';
import { runFolders } from './run-folders.ts';
import type { RunPaths } from './run-paths.ts';

/** What all runs spent on `day` (`YYYY-MM-DD`, UTC), in USD. */
export function spentOnDay(repoRoot: string, paths: RunPaths, day: string): number {
  let total = 0;
  for (const folder of runFolders(repoRoot, paths)) {
    for (const entry of readJournal(join(repoRoot, paths.journals, folder, JOURNAL_FILE)).entries) {
      if (entry.type === 'operation_finished' && entry.at.startsWith(day)) total += reportedCost(entry.data.output);
    }
  }
  return total;
}
