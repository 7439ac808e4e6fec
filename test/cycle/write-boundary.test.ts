// Issue 13: the whole build cycle against the scripted model on 127.0.0.1 (record mode: real
// HTTP calls), real git, real `node --test` runs, and the real sandbox where bubblewrap works.
// Each scenario is one a user or an attacker tried: a write the envelope policy denies, a test
// that writes a CI workflow or outside the repository, and someone else editing the repository
// while a model call is in flight.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { createHelloRepo, INPUTS } from '../../examples/hello-cycle/hello-repo.mjs';
import { startScriptedModel } from '../../examples/hello-cycle/scripted-model.mjs';
import { writeGovernanceBaseline } from '../../lib/governance/baseline.ts';
import type { MissionResult } from '../../lib/runtime/engine/types.ts';
import { initRepository } from '../../lib/runtime/init-repository.ts';
import { runMission } from '../../lib/runtime/runner.ts';
import { sandboxAvailability } from '../../lib/tools/sandbox.ts';
import { git as gitIn, repoFingerprint } from '../git-repo.ts';

const inputs = parse(readFileSync(INPUTS, 'utf8')) as Record<string, unknown>;
const git = (repo: string, ...args: string[]): string => gitIn(repo, ...args).trim();
const status = (repo: string): string => git(repo, 'status', '--porcelain', '--untracked-files=all', '--', '.', ':!logs', ':!.lifeos');
const branches = (repo: string): string => git(repo, 'branch', '--format=%(refname:short)');

/** A hello repository at <parent>/repo, with an empty folder <parent>/sibling beside it; removed after `body`, however it ends. */
async function inHelloRepo(body: (repo: string, parent: string) => Promise<void>): Promise<void> {
  const parent = tempDir('lifeos-boundary-');
  try {
    mkdirSync(join(parent, 'sibling'));
    await body(createHelloRepo(join(parent, 'repo'), { initRepository, withFixtures: false }), parent);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

/** Run the cycle in record mode against the scripted model; `onCall` acts while a call is in flight. */
async function cycle(repo: string, scenario: string, onCall?: (role: string, count: number) => void, extraInputs: Record<string, unknown> = {}): Promise<MissionResult> {
  const model = await startScriptedModel(scenario, onCall ? { onCall } : {});
  try {
    return await runMission('autonomous_build_cycle', { repoRoot: repo, mode: 'record', inputs: { ...inputs, ...extraInputs }, fsync: false, store: false, agent: { baseURL: model.url, apiKey: 'scripted' } });
  } finally {
    await model.close();
  }
}

const it = suite('write boundary (issue 13)');

it('finding 1: a builder write inside the design scope but denied by config/envelope_policy.yaml escalates; the repository is byte-identical', async () => {
  await inHelloRepo(async (repo) => {
    const policy = join(repo, 'config/envelope_policy.yaml');
    writeFileSync(policy, readFileSync(policy, 'utf8').replace('denied_paths: [', 'denied_paths: [src/secret/**, '));
    writeGovernanceBaseline({ repoRoot: repo, approvedBy: 'test', councilRulingRef: 'issue-13' });
    git(repo, 'commit', '-qam', 'deny src/secret');
    const before = repoFingerprint(repo);
    const result = await cycle(repo, 'policy_denied');
    assert.is(result.status, 'escalated', JSON.stringify(result.error));
    assert.is(result.escalation?.severity, 'critical');
    assert.match(result.escalation?.reason ?? '', /src\/secret\/leak\.mjs matches the denied pattern "src\/secret\/\*\*"/);
    assert.is(repoFingerprint(repo), before);
    assert.is(branches(repo), 'main');
  });
});

it('finding 1: a file a builder-written test creates while run_tests runs (.github/workflows/evil.yml) is refused by the policy and undone', async () => {
  await inHelloRepo(async (repo) => {
    const before = repoFingerprint(repo);
    const result = await cycle(repo, 'test_writes_workflow');
    assert.is(result.status, 'escalated', JSON.stringify(result.error));
    assert.match(result.escalation?.reason ?? '', /step build\/run_tests.*\.github\/workflows\/evil\.yml matches the denied pattern "\.github\/\*\*"/);
    assert.is(repoFingerprint(repo), before);
    assert.not.ok(existsSync(join(repo, '.github')));
  });
});

it('finding 2: an edit and a new file made while the designer call is in flight halt the run; they are left as they are and nothing is committed', async () => {
  await inHelloRepo(async (repo) => {
    const head = git(repo, 'rev-parse', 'HEAD');
    const result = await cycle(repo, 'happy', (role) => {
      if (role !== 'designer') return;
      writeFileSync(join(repo, 'README.md'), 'edited by a person during the run\n');
      writeFileSync(join(repo, 'NOTES.md'), 'new notes\n');
    });
    assert.is(result.status, 'escalated', JSON.stringify(result.error));
    assert.is(result.escalation?.severity, 'critical');
    assert.match(result.escalation?.reason ?? '', /changed outside the run before step build\/apply_changes: NOTES\.md, README\.md/);
    assert.is(readFileSync(join(repo, 'README.md'), 'utf8'), 'edited by a person during the run\n');
    assert.is(readFileSync(join(repo, 'NOTES.md'), 'utf8'), 'new notes\n');
    assert.is(status(repo), 'M README.md\n?? NOTES.md');
    assert.is(git(repo, 'rev-parse', 'HEAD'), head);
    assert.is(branches(repo), 'main');
  });
});

it('finding 2: an edit made during the output review is not committed; the run undoes only its own files', async () => {
  await inHelloRepo(async (repo) => {
    const head = git(repo, 'rev-parse', 'HEAD');
    const result = await cycle(repo, 'happy', (role, count) => {
      // The architect's second call is the output review: the builder's files are in the work tree by then.
      if (role === 'reviewer_architect' && count === 2) writeFileSync(join(repo, 'README.md'), 'edited during the output review\n');
    });
    assert.is(result.status, 'escalated', JSON.stringify(result.error));
    assert.match(result.escalation?.reason ?? "", /changed outside the run before step fix_build\/apply_changes: README\.md/, result.escalation?.reason);
    assert.is(readFileSync(join(repo, 'README.md'), 'utf8'), 'edited during the output review\n');
    assert.not.ok(existsSync(join(repo, 'src/greet.mjs')), "the run's own file is undone");
    assert.is(status(repo), 'M README.md');
    assert.is(git(repo, 'rev-parse', 'HEAD'), head);
    assert.is(branches(repo), 'main');
  });
});

it('finding 4: a coding agent that leaves a symlink to /etc/hostname beside its real work: nothing is applied, a critical escalation, the repository byte-identical', async () => {
  await inHelloRepo(async (repo, parent) => {
    const agent = join(parent, 'agent.sh');
    writeFileSync(agent, '#!/bin/sh\nmkdir -p src && echo "export const greet = (n) => n;" > src/greet.mjs\nln -s /etc/hostname src/host.txt\n', { mode: 0o755 });
    const before = repoFingerprint(repo);
    const result = await cycle(repo, 'happy', undefined, { builder: 'coding_agent', agent_command: [agent] });
    assert.is(result.status, 'escalated', JSON.stringify(result.error));
    assert.is(result.escalation?.severity, 'critical');
    assert.match(result.escalation?.reason ?? '', /src\/host\.txt as a symlink \(links are refused, never followed\); nothing was applied/);
    assert.is(repoFingerprint(repo), before);
  });
});

const sandbox = sandboxAvailability();
(sandbox.ok ? it : it.skip)(`finding 5: in the sandbox, a builder-written test that writes to $HOME and to a folder beside the repository fails, and nothing is written there${sandbox.ok ? '' : ` (skipped: ${sandbox.reason})`}`, async () => {
  const escape = join(homedir(), 'lifeos-sandbox-escape.txt');
  rmSync(escape, { force: true });
  await inHelloRepo(async (repo, parent) => {
    const before = repoFingerprint(repo);
    const result = await cycle(repo, 'test_escapes');
    // The tests fail (twice): the CEO is asked, and nothing outside the repository was written.
    assert.is(result.status, 'awaiting_human', JSON.stringify(result.error));
    assert.match(result.escalation?.reason ?? '', /tests failed after 2 attempt/);
    assert.match(JSON.stringify(result.escalation?.evidence), /EROFS|read-only file system/i);
    assert.not.ok(existsSync(escape), `${escape} was written`);
    assert.not.ok(existsSync(join(parent, 'sibling', 'lifeos-sandbox-escape.txt')), 'the sibling folder was written');
    assert.is.not(repoFingerprint(repo), before, 'the build is paused, not rolled back');
  });
});

it.run();
