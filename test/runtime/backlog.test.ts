// The backlog loop's guards, with a small mission (a noop, or a human step) instead of the whole
// cycle: worktree folders that are not what the loop made, a planted temporary file, a second
// loop, duplicate tasks, a retried task's base, a rejected task, the branch prefix.
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { taskSlug } from '../../lib/core/backlog.ts';
import { listBacklog } from '../../lib/runtime/backlog/backlog-list.ts';
import { resumeBacklogTask, runBacklog } from '../../lib/runtime/backlog/run-backlog.ts';
import { listQueue } from '../../lib/runtime/queue.ts';
import { runMission } from '../../lib/runtime/runner.ts';
import { git, makeRepo, mission } from '../git-repo.ts';
import { rejects } from '../helpers.ts';

const NOOP = mission('mission: task\nversion: "1.0"\ninputs: [{name: task_spec, type: str}]\noutputs: []\nsteps:\n  - {id: n, kind: runtime, operation: noop, params: {}}\n');
const ASK = mission('mission: ask\nversion: "1.0"\ninputs: [{name: task_spec, type: str}]\noutputs: []\nsteps:\n  - {id: ask, kind: human, params: {question: "{{task_spec}}"}}\n');

function backlogRepo(tasks: string[], extra: Record<string, string> = {}): string {
  const repo = makeRepo({ 'BACKLOG.md': `# Backlog\n\n${tasks.map((task) => `- [ ] ${task}\n`).join('\n')}`, ...extra });
  return repo;
}
const commitAll = (repo: string, message: string): void => {
  git(repo, 'add', '-A');
  git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', message);
};
const head = (repo: string): string => git(repo, 'rev-parse', 'HEAD').trim();

const it = suite('backlog loop guards');

it('a worktree folder that is a symlink (here to the main checkout) is refused: the task fails, nothing runs in main; a planted temporary file is never written through', async () => {
  const repo = backlogRepo(['Add a greet function']);
  const slug = taskSlug('Add a greet function');
  mkdirSync(join(repo, '.lifeos/worktrees'), { recursive: true });
  symlinkSync('../..', join(repo, '.lifeos/worktrees', slug));
  const victim = join(tempDir('victim-'), 'victim.txt');
  writeFileSync(victim, 'untouched');
  symlinkSync(victim, join(repo, '.lifeos/backlog.json.tmp'));
  commitAll(repo, 'a planted link');
  const before = head(repo);
  const report = await runBacklog({ repoRoot: repo, mission: NOOP, fsync: false });
  assert.equal(report.tasks.map((task) => task.outcome), ['failed']);
  assert.match(report.tasks[0]?.error ?? '', /worktrees\/add-a-greet-function-[0-9a-f]{6} is a symlink, where the backlog keeps its task worktrees/);
  assert.is(head(repo), before);
  assert.not.ok(existsSync(join(repo, 'logs/mission_journals')), 'no run in the main checkout');
  assert.is(readFileSync(victim, 'utf8'), 'untouched');
});

it('a second loop is refused while one runs (a live holder); a dead holder\'s lock is broken', async () => {
  const repo = backlogRepo(['one']);
  mkdirSync(join(repo, '.lifeos'), { recursive: true });
  const lock = join(repo, '.lifeos/backlog.lock');
  writeFileSync(lock, JSON.stringify({ pid: process.pid, process_start: null, host: (await import('node:os')).hostname() }));
  await rejects(() => runBacklog({ repoRoot: repo, mission: NOOP, fsync: false }), /another backlog run holds .*backlog\.lock \(by pid \d+/);
  writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 7, process_start: null, host: (await import('node:os')).hostname() }));
  const report = await runBacklog({ repoRoot: repo, mission: NOOP, fsync: false });
  assert.equal(report.tasks.map((task) => task.outcome), ['committed']);
  assert.not.ok(existsSync(lock), 'released');
});

it('a task written twice is one task, run once, and the repeat is reported; the backlog owns branch_prefix', async () => {
  const repo = backlogRepo(['same task', 'other', 'same task']);
  const report = await runBacklog({ repoRoot: repo, mission: NOOP, fsync: false });
  assert.equal(report.tasks.map((task) => task.task), ['same task', 'other']);
  assert.equal(report.duplicates.map((item) => item.line), [7]);
  await rejects(() => runBacklog({ repoRoot: repo, mission: NOOP, fsync: false, inputs: { branch_prefix: 'feature/' } }), /branch_prefix is set per task by the backlog/);
});

it('a failed task is tried again from the base branch as it is now, not from where its worktree was cut', async () => {
  const repo = backlogRepo(['flaky']);
  const failing = mission('mission: task\nversion: "1.0"\ninputs: [{name: task_spec, type: str}]\noutputs: []\nsteps:\n  - {id: g, kind: runtime, operation: gate_check, params: {condition: "1 == 2"}}\n');
  assert.equal((await runBacklog({ repoRoot: repo, mission: failing, fsync: false })).tasks.map((task) => task.outcome), ['failed']);
  writeFileSync(join(repo, 'NEW.md'), 'new\n');
  commitAll(repo, 'the base moves on');
  const again = await runBacklog({ repoRoot: repo, mission: NOOP, fsync: false });
  assert.equal(again.tasks.map((task) => task.outcome), ['committed']);
  const worktree = join(repo, again.tasks[0]?.worktree as string);
  assert.is(head(worktree), head(repo));
  assert.ok(existsSync(join(worktree, 'NEW.md')));
});

it('a parked task the CEO rejects is rejected for good: listed so, and not run again', async () => {
  const repo = backlogRepo(['needs a yes']);
  const parked = await runBacklog({ repoRoot: repo, mission: ASK, fsync: false });
  assert.equal(parked.tasks.map((task) => task.outcome), ['parked']);
  const rejected = await resumeBacklogTask('needs', { repoRoot: repo, fsync: false, decisions: [{ decision: 'rejected', by: 'ceo', note: 'not wanted' }] });
  assert.is(rejected.outcome, 'rejected');
  assert.equal(listBacklog({ repoRoot: repo }).map((entry) => entry.state), ['rejected']);
  const dry = await runBacklog({ repoRoot: repo, mission: ASK, fsync: false, dryRun: true });
  assert.equal(dry.planned, []);
});

it('a dry run says when no task would start (the kill switch), and the stop names it', async () => {
  const repo = backlogRepo(['one']);
  writeFileSync(join(repo, 'STOP_AUTONOMY'), '');
  const dry = await runBacklog({ repoRoot: repo, mission: NOOP, fsync: false, dryRun: true });
  assert.match(dry.reason, /dry run: no task would start: the kill switch STOP_AUTONOMY is present/);
});

it('a BACKLOG.md committed as a symbolic link is refused by list and run, not read as a backlog with no task', async () => {
  const repo = makeRepo({ 'TASKS.md': '# Backlog\n\n- [ ] one\n' });
  symlinkSync('TASKS.md', join(repo, 'BACKLOG.md'));
  commitAll(repo, 'the backlog as a link');
  const refused = /BACKLOG\.md in main is not a regular file \(git mode 120000: a symbolic link\)/;
  assert.throws(() => listBacklog({ repoRoot: repo }), refused);
  await rejects(() => runBacklog({ repoRoot: repo, mission: NOOP, fsync: false, dryRun: true }), refused);
});

it('an engine folder committed as a symbolic link (.lifeos, logs) is refused by run, queue and backlog; nothing is written where it points', async () => {
  for (const link of ['.lifeos', 'logs', 'logs/agent_calls/cache', '.lifeos/runs', 'logs/anchors.jsonl']) {
    const outside = tempDir('engine-elsewhere-');
    const repo = backlogRepo(['one']);
    mkdirSync(dirname(join(repo, link)), { recursive: true });
    symlinkSync(link.endsWith('.jsonl') ? join(outside, 'anchors.jsonl') : outside, join(repo, link));
    commitAll(repo, `${link} as a link`);
    const refused = new RegExp(`${link.replaceAll('.', '\\.')} is a symbolic link, where the engine keeps its own files`);
    await rejects(() => runMission(NOOP, { repoRoot: repo, fsync: false }), refused);
    await rejects(() => runBacklog({ repoRoot: repo, mission: NOOP, fsync: false }), refused);
    if (link.startsWith('.lifeos')) assert.throws(() => listQueue({ repoRoot: repo }), refused);
    assert.equal(readdirSync(outside), [], `${link}: nothing written through the link`);
  }
});

it('a FIFO where the state store is read is refused instead of hanging the process', async () => {
  const repo = backlogRepo(['one']);
  mkdirSync(join(repo, '.lifeos'));
  execFileSync('mkfifo', [join(repo, '.lifeos/state.json')]);
  await rejects(() => runMission(NOOP, { repoRoot: repo, fsync: false }), /state\.json is a FIFO, where the engine keeps its own files/);
  assert.throws(() => listQueue({ repoRoot: repo }), /is a FIFO/);
});

it.run();
