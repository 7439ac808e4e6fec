/**
 * Embedding the run engine: run a host mission with a host operation in a git repository,
 * follow it through events, approve its human step, then audit the journal.
 *
 *   npm run build && node --import tsx examples/embed-run.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry, defaultRegistry, formatDiagnostic, loadMission, readJournal, resumeMission, runMission, stepRecords, verifyJournal, type RunEvent } from 'lifeos-mission';
import { handlers } from './handlers/changelog.mjs';

// 1. A throw-away repository (a real one works the same way; it must be clean).
const repo = mkdtempSync(join(tmpdir(), 'lifeos-example-'));
const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
git('init', '-q', '-b', 'main');
git('config', 'user.email', 'example@example.com');
git('config', 'user.name', 'Example');
writeFileSync(join(repo, 'CHANGELOG.md'), '# Changelog\n');
git('add', '-A');
git('commit', '-qm', 'initial');

// 2. Load the mission with the host operation registered, so validation knows it.
const registry = createRegistry({ extend: defaultRegistry(), operations: handlers });
const loaded = loadMission(readFileSync(new URL('./missions/changelog.yaml', import.meta.url), 'utf8'), { filename: 'examples/missions/changelog.yaml', registry });
if (!loaded.ok) {
  for (const d of loaded.diagnostics) console.error(formatDiagnostic(d));
  process.exit(1);
}

// 3. Run it. Every journal entry is also an event; the human step pauses the run.
const onEvent = (event: RunEvent): void => {
  if (event.type === 'step_finished' || event.type === 'human_requested') console.log(`  ${event.type} ${String(event.data.node)}`);
};
const inputs = { version: '1.2.0', entries: ['Faster plans', 'Fix: resume by run id prefix'] };
const paused = await runMission(loaded.mission, { repoRoot: repo, inputs, handlers, registry, onEvent });
console.log(`status: ${paused.status} (step ${paused.awaiting?.node} waits for a decision)`);

// 4. A human decides: here in code (a bot, a dashboard), or `lifeos-mission resume <run> --approve`.
const done = await resumeMission(paused.runId, { repoRoot: repo, handlers, onEvent, decisions: [{ decision: 'approved', by: 'release-manager' }] });
console.log(`status: ${done.status}, outputs: ${JSON.stringify(done.outputs)}`);
console.log(readFileSync(join(repo, 'CHANGELOG.md'), 'utf8').trimEnd());

// 5. Audit: the journal verifies offline, and tells each step's story.
const check = verifyJournal(done.journalPath);
console.log(`journal: ${check.ok ? 'verifies' : 'DOES NOT VERIFY'}, ${check.entries} entries`);
for (const step of stepRecords(readJournal(done.journalPath).entries)) {
  console.log(`  ${step.step_id.padEnd(22)} ${step.operation_type.padEnd(17)} ${step.skipped ? 'skipped (completed before the pause)' : step.status}`);
}

// 6. The scratch repository of this example goes (a host runs in its own repository instead).
rmSync(repo, { recursive: true, force: true });
