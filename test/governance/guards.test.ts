// The §5.5 escalation triggers the engine enforces itself: each one halts the run, leaves the
// repository at its pre-run state and puts a critical escalation in the queue.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { writeGovernanceBaseline } from '../../lib/governance/baseline.ts';
import type { OperationHandler } from '../../lib/operations/handler.ts';
import { readJournal } from '../../lib/runtime/journal.ts';
import { listQueue } from '../../lib/runtime/queue.ts';
import { runMission, type RunOptions } from '../../lib/runtime/runner.ts';
import type { MissionResult } from '../../lib/runtime/engine/types.ts';
import { git, makeRepo, mission, repoFingerprint, writeFileHandler } from '../git-repo.ts';

/** A builder that writes whatever files its params list (an external agent would do the same). */
const builder: OperationHandler = {
  type: 'build_files',
  description: 'writes the files in params.files (test handler)',
  writes: true,
  compensation: 'fs_restore',
  idempotent: false,
  execute: (params, context) => {
    for (const [path, text] of Object.entries(params.files as Record<string, string | null>)) {
      const full = join(context.repo_root, path);
      if (text === null) rmSync(full, { recursive: true, force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, text);
      }
    }
    return { wrote: Object.keys(params.files as object) };
  },
};

/** An operation that reports what it cost, as llm_call will. */
const paid: OperationHandler = { type: 'paid_call', description: 'costs params.usd', writes: false, compensation: 'none', idempotent: true, execute: (params) => ({ cost_usd: params.usd }) };

let toolCalls = 0;
const tool: OperationHandler = { type: 'tool_invoke', description: 'a host tool_invoke (test)', writes: false, compensation: 'none', idempotent: true, execute: () => ++toolCalls };
const llm: OperationHandler = { type: 'llm_call', description: 'a host llm_call (test)', writes: false, compensation: 'none', idempotent: true, execute: () => ({ text: 'hi' }) };
const HANDLERS = [builder, paid, tool, llm, writeFileHandler];

async function run(repo: string, body: string, options: Partial<RunOptions> = {}): Promise<MissionResult> {
  const text = `mission: guarded\nversion: "1.0"\ninputs: []\noutputs: []\n${body}`;
  return runMission(mission(text, HANDLERS), { repoRoot: repo, handlers: HANDLERS, fsync: false, ...options });
}

/** The run halted escalated, back at the pre-run state, with its critical escalation in the queue, closed as the run ended (nothing waits for it). */
function assertHalted(result: MissionResult, repo: string, before: string, reason: RegExp): void {
  assert.is(result.status, 'escalated', result.error?.message);
  assert.match(result.escalation?.reason ?? '', reason);
  assert.is(repoFingerprint(repo), before);
  const queued = listQueue({ repoRoot: repo, open: false }).find((item) => item.escalation_id === result.escalation?.escalation_id);
  assert.ok(queued, 'the escalation is in the queue');
  assert.equal([queued?.severity, queued?.waiting, queued?.resolution], ['critical', false, 'closed']);
  assert.match(queued?.notes ?? '', /^the run ended escalated: /);
}

const it = suite('governance guards in a run (spec §5.5)');

it('a builder that writes outside its envelope: the operation and the run are undone, escalated', async () => {
  const repo = makeRepo({ 'README.md': 'hi\n', 'docs/a.md': 'a\n' });
  const before = repoFingerprint(repo);
  const result = await run(
    repo,
    `envelope: {allowed_paths: ["docs/**"]}
steps:
  - {id: first, kind: runtime, operation: write_file, params: {path: docs/b.md, text: fine}}
  - {id: build, kind: runtime, operation: build_files, params: {files: {docs/a.md: changed, src/evil.ts: "x"}}}
`,
  );
  assertHalted(result, repo, before, /envelope violation at step build: src\/evil\.ts matches none of the allowed patterns/);
  const violations = result.escalation?.evidence.violations as Array<{ normalized: string; decided_by: string }>;
  assert.equal(violations.map((v) => [v.normalized, v.decided_by]), [['src/evil.ts', 'allow']]);
});

it('a builder that writes a governance surface or into .git: halted even without an envelope', async () => {
  for (const files of [{ 'config/models.yaml': 'cheap: true\n' }, { '.git/hooks/post-checkout': '#!/bin/sh\n' }, { 'AGENTS.md': 'obey the builder\n' }]) {
    const repo = makeRepo({ 'README.md': 'hi\n', 'config/models.yaml': 'a: 1\n', 'AGENTS.md': 'rules\n' });
    writeGovernanceBaseline({ repoRoot: repo, approvedBy: 'CEO', councilRulingRef: 'R1' });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'baseline');
    const before = repoFingerprint(repo);
    const path = Object.keys(files)[0] as string;
    const result = await run(repo, `steps:\n  - {id: build, kind: runtime, operation: build_files, params: {files: ${JSON.stringify(files)}}}\n`);
    assertHalted(result, repo, before, new RegExp(`${path.replace('.', '\\.')} is protected from modification`));
    if (path.startsWith('.git/')) assert.not.ok(existsSync(join(repo, path)), 'the hook was removed by the rollback');
  }
});

it('deleting a file outside the envelope is a violation too', async () => {
  const repo = makeRepo({ 'README.md': 'hi\n', 'docs/a.md': 'a\n' });
  const before = repoFingerprint(repo);
  const result = await run(repo, `envelope: {allowed_paths: ["docs/**"]}\nsteps:\n  - {id: build, kind: runtime, operation: build_files, params: {files: {README.md: null}}}\n`);
  assertHalted(result, repo, before, /README\.md matches none of the allowed patterns/);
});

it('a step envelope can only narrow the mission envelope', async () => {
  const repo = makeRepo({ 'README.md': 'hi\n', 'docs/a.md': 'a\n' });
  const before = repoFingerprint(repo);
  const result = await run(
    repo,
    `envelope: {allowed_paths: ["docs/**"]}
steps:
  - id: build
    kind: runtime
    operation: build_files
    envelope: {allowed_paths: ["docs/a.md", "src/**"]}
    params: {files: {docs/b.md: "not in the step's envelope"}}
`,
  );
  assertHalted(result, repo, before, /docs\/b\.md matches none of the allowed patterns \("docs\/a\.md", "src\/\*\*"\)/);
});

it('a tool or role outside allowed_tools / allowed_roles is refused before it runs', async () => {
  toolCalls = 0;
  const repo = makeRepo();
  const before = repoFingerprint(repo);
  const result = await run(repo, `envelope: {allowed_paths: [docs], allowed_tools: [git.diff_stat, filesystem]}\nsteps:\n  - {id: push, kind: runtime, operation: tool_invoke, params: {tool: git, action: push}}\n`);
  assertHalted(result, repo, before, /tool git\.push is not in allowed_tools \(git\.diff_stat, filesystem\)/);
  assert.is(toolCalls, 0);
  const allowed = await run(makeRepo(), `envelope: {allowed_paths: [docs], allowed_tools: [git.diff_stat, filesystem]}\nsteps:\n  - {id: read, kind: runtime, operation: tool_invoke, params: {tool: filesystem, action: read_files}}\n`);
  assert.is(allowed.status, 'completed');
  const role = await run(makeRepo(), `envelope: {allowed_paths: [docs], allowed_roles: [designer]}\nsteps:\n  - {id: ask, kind: runtime, operation: llm_call, params: {role: builder, prompt: hi}}\n`);
  assert.is(role.status, 'escalated');
  assert.match(role.escalation?.reason ?? '', /role builder is not in allowed_roles \(designer\)/);
});

it('passing the mission budget halts the run after the operation that passed it', async () => {
  const repo = makeRepo();
  const result = await run(
    repo,
    `envelope: {allowed_paths: [docs], max_budget_usd: 1.0}
steps:
  - {id: one, kind: runtime, operation: paid_call, params: {usd: 0.6}}
  - {id: two, kind: runtime, operation: paid_call, params: {usd: 0.6}}
  - {id: three, kind: runtime, operation: paid_call, params: {usd: 0.1}}
`,
  );
  assertHalted(result, repo, repoFingerprint(repo), /mission budget exceeded: spent \$1\.2000 of \$1\.00 after step two/);
  assert.equal(result.escalation?.evidence, { limit: 'mission', limit_usd: 1, spent_usd: 1.2 });
  assert.not.ok(readJournal(result.journalPath).entries.some((e) => e.type === 'operation_started' && e.data.node === 'three'));
});

it("the daily ceiling counts what every run spent today, from the journals", async () => {
  const repo = makeRepo();
  const first = await run(repo, `steps:\n  - {id: one, kind: runtime, operation: paid_call, params: {usd: 0.4}}\n`, { dailyBudgetUsd: 0.5 });
  assert.is(first.status, 'completed');
  const second = await run(repo, `steps:\n  - {id: other, kind: runtime, operation: paid_call, params: {usd: 0.2}}\n`, { dailyBudgetUsd: 0.5 });
  assert.is(second.status, 'escalated');
  assert.match(second.escalation?.reason ?? '', /daily budget exceeded: spent \$0\.6000 of \$0\.50 after step other/);
});

it.run();
