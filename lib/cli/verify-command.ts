/**
 * `lifeos-mission verify <journal|bundle>...`: check the hash chain of mission journals and
 * completion bundles (spec §5.8), offline. A journal beside completion bundles is also checked
 * against the entry count and head hash they recorded, so a truncated tail is caught.
 */
import { parseArgs } from 'node:util';
import { verifyBundle } from '../runtime/bundle.ts';
import { verifyJournal } from '../runtime/journal.ts';
import { EXIT, parseFormat, UsageError, type CliIO, type Command } from './io.ts';

export const VERIFY_USAGE = `Usage: lifeos-mission verify <journal.jsonl|bundle.N.json>... [options]

Verifies each journal's hash chain (parse_error, hash_mismatch, chain_break, sequence_gap,
torn_tail, each with its line) and, for a bundle, its copy of the journal and recorded head.

Options:
  --format text|json   output format (default: text)
  -h, --help           show this help

Exit codes: 0 all verify, 1 a journal or bundle does not verify, 2 usage error.
`;

export function verifyCommand(args: string[], io: CliIO): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { format: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.stdout.write(VERIFY_USAGE);
    return EXIT.ok;
  }
  const format = parseFormat(values.format, ['text', 'json']);
  if (positionals.length === 0) throw new UsageError('name at least one journal or bundle');
  const reports = positionals.map((path) => ({ path, ...(path.endsWith('.json') ? verifyBundle(path) : verifyJournal(path)) }));
  if (format === 'json') io.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  else {
    for (const report of reports) {
      if (report.ok) io.stdout.write(`${report.path}: ok, ${report.entries} entries, head ${report.headHash}\n`);
      for (const error of report.errors) io.stdout.write(`${report.path}:${error.line}: ${error.kind}: ${error.message}\n`);
    }
  }
  return reports.every((report) => report.ok) ? EXIT.ok : EXIT.failed;
}

/** Loaded lazily by main.ts. */
export const command: Command = { run: verifyCommand, usage: VERIFY_USAGE };
