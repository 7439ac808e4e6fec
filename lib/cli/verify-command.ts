/**
 * `lifeos-mission verify <run folder|journal|bundle|folder of runs>...`: check mission journals and
 * their completion bundles (spec §5.8), offline: each journal's hash chain, and each finished
 * attempt's bundle field by field against the journal (runtime/verify-run.ts). A path that does
 * not exist is a usage error, never "ok".
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { verifyBundle } from '../runtime/bundle.ts';
import { JOURNAL_FILE } from '../runtime/journal.ts';
import { runFoldersIn, verifyRunFolder, type RunVerification } from '../runtime/verify-run.ts';
import { EXIT, parseFormat, UsageError, type CliIO, type Command } from './io.ts';

export const VERIFY_USAGE = `Usage: lifeos-mission verify <path>... [options]

Each path is a run folder, its journal.jsonl or one of its bundle.N.json, or a folder of run
folders (logs/mission_journals). For every run: the journal's hash chain (parse_error,
hash_mismatch, chain_break, sequence_gap, torn_tail, each with its line), and every finished
attempt's completion bundle, each field compared with the journal (bundle_missing,
bundle_mismatch naming the field). A bundle with no journal beside it is checked on its own.

Options:
  --format text|json   output format (default: text)
  -h, --help           show this help

Exit codes: 0 all verify, 1 a journal or bundle does not verify, 2 usage error (a path that
does not exist, or holds no journal, included).
`;

export function verifyCommand(args: string[], io: CliIO): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { format: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.stdout.write(VERIFY_USAGE);
    return EXIT.ok;
  }
  const format = parseFormat(values.format, ['text', 'json']);
  if (positionals.length === 0) throw new UsageError('name at least one run folder, journal or bundle');
  const reports = positionals.flatMap((path) => verifyPath(path));
  if (format === 'json') io.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  else {
    for (const report of reports) {
      if (report.ok) io.stdout.write(`${report.path}: ok, ${report.entries} entries, head ${report.headHash}\n`);
      for (const error of report.errors) io.stdout.write(`${report.path}:${error.line}: ${error.kind}: ${error.message}\n`);
    }
    if (reports.length > 1) io.stdout.write(`${reports.length} runs: ${reports.filter((r) => r.ok).length} ok, ${reports.filter((r) => !r.ok).length} failed\n`);
  }
  return reports.every((report) => report.ok) ? EXIT.ok : EXIT.failed;
}

function verifyPath(path: string): RunVerification[] {
  if (!existsSync(path)) throw new UsageError(`${path}: no such file or folder`);
  const folders = runFoldersIn(path);
  if (path.endsWith('.json') && !existsSync(join(folders[0] ?? '', JOURNAL_FILE))) return [{ path, ...verifyBundle(path) }];
  if (folders.length === 0) throw new UsageError(`${path}: no mission journal (${JOURNAL_FILE}) in it or in its folders`);
  // A file is reported under its own name; a folder under each run folder's.
  return statSync(path).isDirectory() ? folders.map((folder) => verifyRunFolder(folder)) : [{ ...verifyRunFolder(folders[0] as string), path }];
}

/** Loaded lazily by main.ts. */
export const command: Command = { run: verifyCommand, usage: VERIFY_USAGE };
