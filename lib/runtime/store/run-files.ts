/**
 * The lowdb store's runs and step logs, one pair of files per attempt, so that a save costs what
 * the attempt changed and never what the history holds:
 *
 *   <store>/runs/<YYYY-MM-DD>/<hhmmss.sssZ>~<mission id>.run.json     the mission_runs row, rewritten whole
 *   <store>/runs/<YYYY-MM-DD>/<hhmmss.sssZ>~<mission id>.steps.jsonl  step_logs rows, one version per line, appended
 *
 * The folder and name come from the row itself (its created_at and mission_id), so an attempt is
 * found without listing anything, and names sort in the order the attempts began. A step row
 * written again is a new line with the same id; the last line of an id wins. Callers hold the
 * store's mutex (file-mutex.ts) around every write.
 */
import { appendFileSync, closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MissionRunRecord, StepLogRecord, WithId } from '../../core/store-rows.ts';
import { readEvidenceFile } from '../journal-lines.ts';
import { StoreCorrupt } from './state-store.ts';

type RunRow = WithId<MissionRunRecord>;
type StepRow = WithId<StepLogRecord>;

const RUN_SUFFIX = '.run.json';
/** A day folder's name (`undated` for a row whose created_at is not a timestamp). */
const DAY = /^(?:\d{4}-\d{2}-\d{2}|undated)$/;
const STEPS_SUFFIX = '.steps.jsonl';

export class RunFiles {
  constructor(readonly folder: string) {}

  /** The attempt's row, if it was saved. */
  read(run: Pick<MissionRunRecord, 'created_at' | 'mission_id'>): RunRow | undefined {
    const path = this.base(run) + RUN_SUFFIX;
    return existsSync(path) ? readRun(path) : undefined;
  }

  /** Write an attempt's row and all its step rows, replacing what it had. */
  writeWhole(run: RunRow, steps: readonly StepRow[]): void {
    const base = this.base(run);
    makeDayFolder(join(base, '..'));
    // Steps first: a crash between the two leaves no row pointing at steps that are not there.
    replaceFile(base + STEPS_SUFFIX, steps.map((step) => `${JSON.stringify(step)}\n`).join(''));
    replaceFile(base + RUN_SUFFIX, `${JSON.stringify(run)}\n`);
  }

  /** Rewrite an attempt's row and add new versions of the step rows given. */
  append(run: RunRow, steps: readonly StepRow[]): void {
    const base = this.base(run);
    if (steps.length > 0) {
      dropTornLine(base + STEPS_SUFFIX);
      appendFileSync(base + STEPS_SUFFIX, steps.map((step) => `${JSON.stringify(step)}\n`).join(''));
    }
    replaceFile(base + RUN_SUFFIX, `${JSON.stringify(run)}\n`);
  }

  /** Rows newest first (created_at, then id); with a limit, only the newest days are read. */
  runs(limit = Number.POSITIVE_INFINITY, keep: (row: RunRow) => boolean = () => true): RunRow[] {
    const rows: RunRow[] = [];
    for (const day of this.days().reverse()) {
      if (rows.length >= limit) break;
      for (const name of readdirSync(join(this.folder, day))) {
        if (!name.endsWith(RUN_SUFFIX)) continue;
        const row = readRun(join(this.folder, day, name));
        if (keep(row)) rows.push(row);
      }
    }
    rows.sort((a, b) => (a.created_at > b.created_at ? -1 : a.created_at < b.created_at ? 1 : b.id - a.id));
    return rows.slice(0, limit);
  }

  /** An attempt's step rows in the order they were first written. */
  steps(missionId: string): StepRow[] {
    const suffix = `~${encodeURIComponent(missionId)}${STEPS_SUFFIX}`;
    for (const day of this.days().reverse()) {
      const name = readdirSync(join(this.folder, day)).find((file) => file.endsWith(suffix));
      if (name) return readSteps(join(this.folder, day, name));
    }
    return [];
  }

  /** Remove every run's files (store rebuild writes them again). */
  clear(): void {
    rmSync(this.folder, { recursive: true, force: true });
  }

  /** The day folders, oldest first. Anything else found here is reported, never read as a day or left to fail later. */
  private days(): string[] {
    if (!existsSync(this.folder)) return [];
    const entries = readdirSync(this.folder, { withFileTypes: true });
    const stray = entries.find((entry) => DAY.test(entry.name) && !entry.isDirectory());
    if (stray) throw new StoreCorrupt(join(this.folder, stray.name), 'not a folder, where a day folder of runs belongs');
    return entries.filter((entry) => entry.isDirectory() && DAY.test(entry.name)).map((entry) => entry.name).sort();
  }

  private base(run: Pick<MissionRunRecord, 'created_at' | 'mission_id'>): string {
    const at = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2}(?:\.\d+)?Z?)/.exec(run.created_at);
    const day = at ? (at[1] as string) : 'undated';
    const time = at ? `${at[2]}${at[3]}${at[4]}` : encodeURIComponent(run.created_at);
    return join(this.folder, day, `${time}~${encodeURIComponent(run.mission_id)}`);
  }
}

function makeDayFolder(path: string): void {
  if (existsSync(path) && !statSync(path).isDirectory()) throw new StoreCorrupt(path, 'not a folder, where a day folder of runs belongs');
  mkdirSync(path, { recursive: true });
}

/** Written beside and renamed into place, so a reader sees the old file or the new one, whole. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

function readRun(path: string): RunRow {
  const text = readStoreFile(path);
  try {
    return JSON.parse(text) as RunRow;
  } catch (error) {
    throw new StoreCorrupt(path, (error as Error).message);
  }
}

/** A regular file of bounded size, as text; anything else (a FIFO, a device, a folder) is a corrupt store, never a hang. */
function readStoreFile(path: string): string {
  try {
    return readEvidenceFile(path).toString('utf8');
  } catch (error) {
    throw new StoreCorrupt(path, (error as Error).message);
  }
}

/**
 * A crash while a save appended can leave a last line without its end; cut it off before the next
 * append, so the only line that may not parse is the last one. Reads back from the end only
 * when the last byte is not a newline.
 */
function dropTornLine(path: string): void {
  if (!existsSync(path)) return;
  if (!statSync(path).isFile()) throw new StoreCorrupt(path, 'not a regular file');
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const byte = Buffer.alloc(1);
    let end = size;
    while (end > 0) {
      readSync(fd, byte, 0, 1, end - 1);
      if (byte[0] === 0x0a) break;
      end--;
    }
    if (end < size) ftruncateSync(fd, end);
  } finally {
    closeSync(fd);
  }
}

/** The last version of each row. A last line cut short by a crash while it was appended is left out. */
function readSteps(path: string): StepRow[] {
  if (!existsSync(path)) return [];
  const lines = readStoreFile(path).split('\n');
  const rows = new Map<number, StepRow>();
  for (const [index, line] of lines.entries()) {
    if (line === '') continue;
    try {
      const row = JSON.parse(line) as StepRow;
      rows.set(row.id, row);
    } catch (error) {
      const last = index === lines.length - 1 || (index === lines.length - 2 && lines[lines.length - 1] === '');
      if (!last) throw new StoreCorrupt(path, `line ${index + 1}: ${(error as Error).message}`);
    }
  }
  return [...rows.values()].sort((a, b) => a.id - b.id);
}
