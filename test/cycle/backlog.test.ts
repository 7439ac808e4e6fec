// Issue 15: `backlog run` over a BACKLOG.md of four tasks, end to end: the real build cycle in
// real git worktrees, the scripted model on 127.0.0.1 (record mode: real HTTP calls), real
// `node --test` runs. The council rejects task 2's design: it is parked and the loop goes on.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { createHelloRepo } from '../../examples/hello-cycle/hello-repo.mjs';
import { NEEDS_CEO, startScriptedModel } from '../../examples/hello-cycle/scripted-model.mjs';
import { listBacklog } from '../../lib/runtime/backlog/backlog-list.ts';
import { resumeBacklogTask, runBacklog } from '../../lib/runtime/backlog/run-backlog.ts';
import { initRepository } from '../../lib/runtime/init-repository.ts';
import { git as gitIn, repoFingerprint } from '../git-repo.ts';
import { cli } from '../helpers.ts';

const git = (repo: string, ...args: string[]): string => gitIn(repo, ...args).trim();
const TASKS = ['Add a greet(name) function', `Add a farewell(name) function ${NEEDS_CEO}`, 'Document greet in the README', 'Add a test for an empty name'];

/** The hello repository with a backlog of four tasks, committed on main; blank lines between them, so that ticking one never touches the lines of another (their merges do not conflict). */
function backlogRepo(): string {
  const repo = createHelloRepo(tempDir('backlog-e2e-'), { initRepository, withFixtures: false });
  writeFileSync(join(repo, 'BACKLOG.md'), `# Backlog\n\n${TASKS.map((task) => `- [ ] ${task}\n`).join('\n')}`);
  git(repo, 'commit', '-q', '-am', 'a backlog of four tasks');
  return repo;
}

/** HEAD, its branch, `git status` and every file's bytes: what the loop must leave as it was. */
const mainState = (repo: string): string => JSON.stringify([git(repo, 'rev-parse', 'HEAD'), git(repo, 'symbolic-ref', 'HEAD'), git(repo, 'status', '--porcelain', '--', '.', ':!logs', ':!.lifeos'), repoFingerprint(repo)]);

const it = suite('backlog run (issue 15)');

it('four tasks: 1, 3 and 4 committed each on its own branch cut from main, 2 parked with its escalation, main untouched; the CEO approves 2, resume commits it; all done once merged', async () => {
  const model = await startScriptedModel('backlog');
  const repo = backlogRepo();
  try {
    const options = { repoRoot: repo, mode: 'record' as const, agent: { baseURL: model.url, apiKey: 'scripted' }, inputs: { test_command: ['node', '--test'] }, fsync: false };
    const main = git(repo, 'rev-parse', 'main');
    const before = mainState(repo);
    const report = await runBacklog(options);
    assert.equal(report.tasks.map((task) => [task.task, task.outcome]), TASKS.map((task, i) => [task, i === 1 ? 'parked' : 'committed']), JSON.stringify(report.tasks.map((t) => t.error)));
    assert.is(report.stopped, 'backlog_empty');
    assert.is(mainState(repo), before, 'the main checkout is byte-identical');
    const committed = report.tasks.filter((task) => task.outcome === 'committed');
    assert.is(new Set(committed.map((task) => task.branch)).size, 3, 'a branch per task');
    for (const task of committed) {
      assert.is(git(repo, 'rev-parse', `${task.commit as string}~1`), main, `${task.task}: cut from main, not stacked`);
      assert.is(git(repo, 'rev-parse', `refs/heads/${task.branch as string}`), task.commit);
      assert.match(git(repo, 'show', `${task.commit as string}:BACKLOG.md`), `- [x] ${task.task}`);
      assert.is(task.model_calls, 14, `${task.task}: designer, 4 seats, the chair and the co-chair twice, the builder`);
    }
    const parked = report.tasks[1];
    assert.match(parked?.escalation_id ?? '', /^sha256:[0-9a-f]{64}$/);

    const listed = listBacklog({ repoRoot: repo });
    assert.equal(listed.map((entry) => entry.state), ['committed', 'parked', 'committed', 'committed']);
    assert.match(listed[1]?.detail ?? '', `escalation ${parked?.escalation_id?.slice(7, 19)}: lifeos-mission backlog resume`);
    const queued = await cli('queue', 'list', '--repo', repo);
    assert.match(queued.stdout, `1 parked backlog task waits in its worktree (lifeos-mission backlog list):\n  ${parked?.slug}: lifeos-mission queue show ${parked?.escalation_id?.slice(7, 19)} --repo .lifeos/worktrees/${parked?.slug}\n`);
    const inWorktree = await cli('queue', 'show', parked?.escalation_id?.slice(7, 19) as string, '--repo', join(repo, '.lifeos/worktrees', parked?.slug as string));
    assert.match(inWorktree.stdout, /state +open, run waits/);
    const again = await runBacklog(options);
    assert.equal([again.tasks, again.stopped], [[], 'backlog_empty'], 'a parked or committed task is not run again');

    const resumed = await resumeBacklogTask(parked?.slug as string, { ...options, decisions: [{ decision: 'approved', by: 'ceo', note: 'the farewell is wanted' }] });
    assert.is(resumed.outcome, 'committed', resumed.error ?? '');
    assert.is(git(repo, 'rev-parse', `${resumed.commit as string}~1`), main);
    assert.is(mainState(repo), before);

    // The human merges the four branches (LIFEOS_STATE.md's done lists are resolved as theirs).
    for (const task of [...committed, resumed]) git(repo, 'merge', '-q', '--no-edit', '-X', 'theirs', task.branch as string);
    assert.equal(listBacklog({ repoRoot: repo }).map((entry) => entry.state), ['done', 'done', 'done', 'done']);
    const shown = await cli('backlog', 'list', '--repo', repo);
    assert.is(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^#\s+state\s+task/);
    assert.is(shown.stdout.match(/ done /g)?.length, 4, shown.stdout);
  } finally {
    await model.close();
  }
});

it('--parallel 2 gives the same outcomes, and commits with the same trees, as one task at a time', async () => {
  const model = await startScriptedModel('backlog');
  try {
    const trees = async (parallel: number): Promise<Array<[string, string, string]>> => {
      const repo = backlogRepo();
      const report = await runBacklog({ repoRoot: repo, mode: 'record', agent: { baseURL: model.url, apiKey: 'scripted' }, inputs: { test_command: ['node', '--test'] }, fsync: false, parallel });
      return report.tasks
        .map((task): [string, string, string] => [task.task, task.outcome, task.commit ? git(repo, 'rev-parse', `${task.commit}^{tree}`) : '-'])
        .sort((a, b) => TASKS.indexOf(a[0]) - TASKS.indexOf(b[0]));
    };
    const one = await trees(1);
    assert.equal(one.map(([, outcome]) => outcome), ['committed', 'parked', 'committed', 'committed']);
    assert.equal(await trees(2), one);
  } finally {
    await model.close();
  }
});

it('a task parked on a model reply that stayed invalid is offered --retry, not --approve; resuming with retry calls the model again and commits', async () => {
  const model = await startScriptedModel('design_invalid_twice');
  const repo = createHelloRepo(tempDir('backlog-retry-'), { initRepository, withFixtures: false });
  try {
    writeFileSync(join(repo, 'BACKLOG.md'), `# Backlog\n\n- [ ] ${TASKS[0]}\n`);
    git(repo, 'commit', '-q', '-am', 'one task');
    const options = { repoRoot: repo, mode: 'record' as const, agent: { baseURL: model.url, apiKey: 'scripted' }, inputs: { test_command: ['node', '--test'] }, fsync: false };
    const [parked] = (await runBacklog(options)).tasks;
    assert.is(parked?.outcome, 'parked');
    const listed = await cli('backlog', 'list', '--repo', repo);
    assert.match(listed.stdout, `lifeos-mission backlog resume ${parked?.slug} --retry (or --reject)`);
    const resumed = await resumeBacklogTask(parked?.slug as string, { ...options, decisions: [{ decision: 'retry', by: 'ceo' }] });
    assert.is(resumed.outcome, 'committed', resumed.error ?? '');
    assert.is(model.calls.filter((role) => role === 'designer').length, 3);
  } finally {
    await model.close();
  }
});

it.run();
