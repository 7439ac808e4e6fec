/**
 * Call log retention (spec §5.5: 30 days, configurable). A run's call log is removed only when it
 * is older than the window and the run's last completion bundle holds every one of its entries,
 * so pruning never loses evidence a bundle needs: a log of a run still open, paused or without
 * a bundle is kept, whatever its age. Replay fixtures are never pruned.
 */
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseJournalText } from '../core/journal-check.ts';
import { foldJournal } from '../core/run-state.ts';
import { bundlePath } from './bundle.ts';
import { JOURNAL_FILE, readJournal } from './journal.ts';
import type { RunPaths } from './run-paths.ts';

export interface PruneReport {
  removed: string[];
  kept: Array<{ file: string; reason: string }>;
}

export function pruneCallLogs(options: { repoRoot: string; paths: RunPaths; olderThanDays: number; now?: () => Date }): PruneReport {
  const dir = join(options.repoRoot, options.paths.agentCalls);
  const report: PruneReport = { removed: [], kept: [] };
  if (!existsSync(dir)) return report;
  const cutoff = (options.now ?? (() => new Date()))().getTime() - options.olderThanDays * 86_400_000;
  for (const name of readdirSync(dir).filter((n) => /^[0-9a-f]{64}\.jsonl$/.test(n)).sort()) {
    const file = join(dir, name);
    const relative = `${options.paths.agentCalls}/${name}`;
    if (statSync(file).mtimeMs > cutoff) continue;
    const reason = whyKeep(options.repoRoot, options.paths, name.slice(0, 64), readFileSync(file, 'utf8'));
    if (reason) report.kept.push({ file: relative, reason });
    else {
      unlinkSync(file);
      report.removed.push(relative);
    }
  }
  return report;
}

function whyKeep(repoRoot: string, paths: RunPaths, hex: string, text: string): string | undefined {
  const runDir = join(repoRoot, paths.journals, hex);
  if (!existsSync(join(runDir, JOURNAL_FILE))) return 'its run has no journal';
  const state = foldJournal(readJournal(join(runDir, JOURNAL_FILE)).entries);
  const last = state.attempts[state.attempts.length - 1];
  if (!last?.finished) return 'its run has not finished';
  const bundle = bundlePath(runDir, last.attempt);
  if (!existsSync(bundle)) return 'its run has no completion bundle';
  const held = (JSON.parse(readFileSync(bundle, 'utf8')) as { agent_calls?: { entries?: unknown[] } | null }).agent_calls?.entries?.length ?? 0;
  const logged = parseJournalText(text).entries.length;
  return held >= logged ? undefined : `the bundle holds ${held} of its ${logged} entries`;
}
