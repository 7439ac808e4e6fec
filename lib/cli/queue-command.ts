/**
 * `lifeos-mission queue list | show <id> | approve <id> | reject <id> | retry <id> | defer <id>`: the CEO
 * approval queue (spec §5.5): escalations and human approval requests, oldest first.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { decideQueueItem, listQueue, pausedChanges, queueItem, type QueueDecision, type QueueItem } from '../runtime/queue.ts';
import { BacklogRecord } from '../runtime/backlog/backlog-record.ts';
import { resolveRunPaths } from '../runtime/run-paths.ts';
import { openStateStore } from '../runtime/store/open-store.ts';
import { StoreConflict } from '../runtime/store/state-store.ts';
import { repositoryOption, storeBackend } from './repo-options.ts';
import { EXIT, parseFormat, UsageError, type CliIO, type Command } from './io.ts';
import { shortId } from './progress.ts';
import { runErrorExit } from './run-report.ts';

export const QUEUE_USAGE = `Usage: lifeos-mission queue <list | show ID | approve ID | reject ID | retry ID | defer ID> [options]

The approval queue: escalations (a failed gate, the kill switch, a rollback that fell short) and
human steps' approval requests, oldest first. ID is the queue id, or the escalation id (or 6+
of its hex digits). Approving or rejecting an item a paused run waits for is recorded in that
run's journal, bound to what was approved; then \`lifeos-mission resume <run>\` goes on. An
escalation whose step produced nothing (a model reply that stayed invalid) is not approved but
retried: \`retry ID\` records that the step runs again on resume.

Options:
  --all                list: decided items too
  --by NAME            who decides (default: the OS user name)
  --note TEXT          a note with the decision; required to approve an escalation (the
                       rationale of the CEO override)
  --repo DIR           the target git repository (default: the current folder)
  --store BACKEND      lowdb | sqlite (default: the one that exists)
  --format text|json   output format (default: text)
  -h, --help           show this help

Exit codes: 0 done, 1 the item cannot be decided (decided already, or its content changed),
2 usage or environment error (unknown item).
`;

const DECISIONS: Readonly<Record<string, QueueDecision['resolution']>> = { approve: 'approved', reject: 'rejected', retry: 'retry', defer: 'deferred' };

export async function queueCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      all: { type: 'boolean' },
      by: { type: 'string' },
      note: { type: 'string' },
      repo: { type: 'string' },
      store: { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(QUEUE_USAGE);
    return EXIT.ok;
  }
  const format = parseFormat(values.format, ['text', 'json']);
  const [action, ref, ...extra] = positionals;
  if (action === undefined) throw new UsageError('name an action: list, show, approve, reject, retry or defer');
  if (action !== 'list' && action !== 'show' && !DECISIONS[action]) throw new UsageError(`unknown action "${action}"; use list, show, approve, reject, retry or defer`);
  if (action === 'list' ? ref !== undefined : ref === undefined || extra.length > 0) throw new UsageError(action === 'list' ? 'list takes no ID' : `${action} takes exactly one ID`);
  const repoRoot = repositoryOption(values.repo);
  const store = openStateStore({ repoRoot, ...(values.store ? { backend: storeBackend(values.store) } : {}) });
  try {
    const print = (value: unknown, text: string): void => void io.stdout.write(format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : text);
    if (action === 'list') {
      const items = listQueue({ repoRoot, store, open: values.all !== true });
      print(items, listText(items, values.all === true) + parkedText(repoRoot));
      return EXIT.ok;
    }
    if (action === 'show') {
      const item = queueItem(ref as string, { repoRoot, store });
      const changes = pausedChanges(item, { repoRoot });
      print({ ...item, changes }, showText(item, changes));
      return EXIT.ok;
    }
    const decided = await decideQueueItem(
      ref as string,
      { resolution: DECISIONS[action] as QueueDecision['resolution'], by: values.by ?? userInfo().username, ...(values.note ? { note: values.note } : {}) },
      { repoRoot, store },
    );
    print(decided, decidedText(decided));
    return EXIT.ok;
  } catch (error) {
    if (error instanceof StoreConflict) {
      io.stderr.write(`lifeos-mission queue: ${error.message}\n`);
      return /^no item /.test(error.message) ? EXIT.usage : EXIT.failed;
    }
    return runErrorExit('queue', error, io);
  } finally {
    store.close();
  }
}

function listText(items: readonly QueueItem[], all: boolean): string {
  if (items.length === 0) return all ? 'the queue is empty\n' : 'nothing waits for a decision\n';
  const rows = items.map((item) => [
    String(item.id),
    item.created_at.replace('T', ' ').slice(0, 19),
    item.severity,
    item.run_id ? shortId(item.run_id) : '-',
    item.node ?? '-',
    state(item),
    item.reason,
  ]);
  const header = ['id', 'raised', 'severity', 'run', 'step', 'state', 'reason'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]): string => `${cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number))).join('  ')}\n`;
  return line(header) + rows.map(line).join('');
}

/**
 * A parked backlog task's escalation is in its worktree's queue, with its run: said here, so
 * that `queue list` in the main checkout does not look as if nothing waited.
 */
function parkedText(repoRoot: string): string {
  const parked = new BacklogRecord(repoRoot, resolveRunPaths()).all().filter((task) => task.outcome === 'parked');
  if (parked.length === 0) return '';
  const lines = parked.map((task) => `  ${task.slug}: lifeos-mission queue show ${task.escalation_id?.slice(7, 19) ?? '?'} --repo ${task.worktree}\n`);
  return `\n${parked.length} parked backlog task${parked.length === 1 ? '' : 's'} wait${parked.length === 1 ? 's' : ''} in ${parked.length === 1 ? 'its worktree' : 'their worktrees'} (lifeos-mission backlog list):\n${lines.join('')}`;
}

function state(item: QueueItem): string {
  if (item.resolution && item.resolution !== 'deferred') return item.resolution;
  const open = item.resolution === 'deferred' ? 'deferred' : 'open';
  return item.waiting ? `${open}, run waits` : open;
}

function showText(item: QueueItem, changes: string | null): string {
  const rows: Array<[string, string]> = [
    ['escalation', item.escalation_id],
    ['kind', item.kind === 'human' ? 'approval request of a human step' : 'escalation'],
    ['raised', item.created_at],
    ['severity', item.severity],
    ['run', item.run_id ? `${item.run_id}${item.waiting ? ' (paused: it waits for this decision)' : ''}` : '-'],
    ['step', item.node ?? '-'],
    ['reason', item.reason],
    ['state', state(item)],
  ];
  if (item.resolved_by) rows.push(['decided', `${String(item.resolution)} by ${item.resolved_by} at ${String(item.resolved_at)}${item.notes ? `: ${item.notes}` : ''}`]);
  const table = rows.map(([key, value]) => `  ${key.padEnd(11)} ${value}\n`).join('');
  const request = item.request ? `\n${item.kind === 'human' ? 'Request' : 'Evidence'}:\n${indent(JSON.stringify(item.request, null, 2))}\n` : '';
  const diff = changes ? `\nChanges the run made before it paused (what approving lets stand):\n${indent(changes.trimEnd())}\n` : '';
  const undecided = item.resolution === null || item.resolution === 'deferred';
  const choices = item.retry_only && item.waiting ? `retry ${item.id}` : `approve ${item.id}${item.kind === 'escalation' ? ' --note "<rationale>"' : ''}`;
  const next = undecided ? `\nDecide: lifeos-mission queue ${choices} | reject ${item.id} | defer ${item.id}\n` : '';
  return `queue item ${item.id}\n${table}${request}${diff}${next}`;
}

function decidedText(item: QueueItem): string {
  const waits = item.waiting && item.run_id && item.resolution !== 'deferred';
  const next = !waits ? '' : item.resolution === 'approved' || item.resolution === 'retry' ? `; the run can go on: lifeos-mission resume ${shortId(item.run_id as string)}` : `; resume the run to end it and roll it back: lifeos-mission resume ${shortId(item.run_id as string)}`;
  return `queue item ${item.id} ${item.resolution === 'retry' ? 'retried' : String(item.resolution)} by ${String(item.resolved_by)}${next}\n`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/** Loaded lazily by main.ts. */
export const command: Command = { run: queueCommand, usage: QUEUE_USAGE };
