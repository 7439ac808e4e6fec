/**
 * `lifeos-mission verify <run folder|journal|bundle|folder of runs>...`: check mission journals, their
 * completion bundles and the anchor log (spec §5.8), offline: each journal's hash chain, each
 * finished attempt's bundle field by field against the journal (runtime/verify-run.ts), and the
 * anchors and their signatures (runtime/verify-anchors.ts). A path that does not exist is a
 * usage error, never "ok".
 */
import { existsSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { JOURNAL_FILE } from '../runtime/journal.ts';
import { loadPublicKey, type PublicKey } from '../runtime/signing.ts';
import { defaultAnchorLog, loadAnchorContext, orphanAnchorErrors, type AnchorContext } from '../runtime/verify-anchors.ts';
import { runFoldersIn, verifyLoneBundle, verifyRunFolder, type RunVerification } from '../runtime/verify-run.ts';
import { EXIT, parseFormat, UsageError, type CliIO, type Command } from './io.ts';

export const VERIFY_USAGE = `Usage: lifeos-mission verify <path>... [options]

Each path is a run folder, its journal.jsonl or one of its bundle.N.json, or a folder of run
folders (logs/mission_journals). For every run: the journal's hash chain (parse_error,
hash_mismatch, chain_break, sequence_gap, torn_tail, each with its line), every finished
attempt's completion bundle, each field compared with the journal (bundle_missing,
bundle_mismatch naming the field), and the anchor log outside the run folders: every finished
attempt anchored, every anchored head and bundle unchanged (anchor_missing, anchor_mismatch).
With --public-key, every anchor must be signed by that key (signature_invalid). A bundle with
no journal beside it is checked on its own.

Options:
  --anchors <file>      the anchor log (default: anchors.jsonl beside the folder of runs,
                        i.e. logs/anchors.jsonl)
  --public-key <file>   the public key of the signing key (\`lifeos-mission keygen\` wrote it
                        beside the private key); get it from its owner, not from the repository
  --format text|json    output format (default: text)
  -h, --help            show this help

Exit codes: 0 all verify, 1 a journal, bundle or anchor does not verify, 2 usage error (a path
that does not exist, or holds no journal, included).
`;

export function verifyCommand(args: string[], io: CliIO): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: 'string' }, anchors: { type: 'string' }, 'public-key': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.stdout.write(VERIFY_USAGE);
    return EXIT.ok;
  }
  const format = parseFormat(values.format, ['text', 'json']);
  if (positionals.length === 0) throw new UsageError('name at least one run folder, journal or bundle');
  const publicKey = values['public-key'] === undefined ? undefined : readPublicKey(values['public-key']);
  const contexts = new Map<string, AnchorContext>();
  const anchorsFor = (folder: string): AnchorContext => {
    const path = resolve(values.anchors ?? defaultAnchorLog(resolve(folder)));
    let context = contexts.get(path);
    if (!context) contexts.set(path, (context = loadAnchorContext(path, publicKey)));
    return context;
  };
  const runs = positionals.flatMap((path) => verifyPath(path, anchorsFor));
  const logs = [...contexts.values()]
    .filter((context) => context.present || context.report.errors.length > 0)
    .map((context) => ({ ...context.report, path: shown(context.path), ok: context.report.errors.length === 0, errors: [...context.report.errors].sort((a, b) => a.line - b.line) }));
  const reports = [...runs, ...logs];
  if (format === 'json') io.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  else {
    for (const report of reports) {
      if (report.ok) io.stdout.write(`${report.path}: ok, ${report.entries} entries, head ${report.headHash}\n`);
      for (const error of report.errors) io.stdout.write(`${report.path}:${error.line}: ${error.kind}: ${error.message}\n`);
    }
    if (runs.length > 1) io.stdout.write(`${runs.length} runs: ${runs.filter((r) => r.ok).length} ok, ${runs.filter((r) => !r.ok).length} failed\n`);
  }
  return reports.every((report) => report.ok) ? EXIT.ok : EXIT.failed;
}

/** The files of a run folder that `verify` checks when named: the journal and the bundles (`bundle.<attempt>.json`, attempt from 1, no leading zero). */
const RUN_FILE = new RegExp(`^(?:${JOURNAL_FILE.replace('.', '\\.')}|bundle\\.[1-9]\\d*\\.json)$`);

function verifyPath(path: string, anchorsFor: (folder: string) => AnchorContext): RunVerification[] {
  if (!existsSync(path)) throw new UsageError(`${path}: no such file or folder`);
  const folders = runFoldersIn(path);
  if (path.endsWith('.json') && !existsSync(join(folders[0] ?? '', JOURNAL_FILE))) return [verifyLoneBundle(path, anchorsFor(folders[0] as string))];
  if (folders.length === 0) throw new UsageError(`${path}: no mission journal (${JOURNAL_FILE}) in it or in its folders`);
  const context = anchorsFor(folders[0] as string);
  // A file is reported under its own name; a folder under each run folder's.
  if (!statSync(path).isDirectory()) {
    // Any other file beside the journal would be reported "ok" without having been read.
    if (!RUN_FILE.test(basename(path))) throw new UsageError(`${path}: not ${JOURNAL_FILE} nor a bundle (bundle.<attempt>.json) of its run folder; verify the run folder, or copy the file out of it to check it as a lone bundle`);
    return [{ ...verifyRunFolder(folders[0] as string, context), path }];
  }
  const reports = folders.map((folder) => verifyRunFolder(folder, anchorsFor(folder)));
  // A whole folder of runs: an anchor whose run folder is gone means a run was removed.
  if (folders.length > 1 || folders[0] !== path) {
    const ids = new Set(folders.map((folder) => `sha256:${basename(folder)}`));
    context.report.errors.push(...orphanAnchorErrors(context, ids));
  }
  return reports;
}

/** A path under the current folder as a relative one, like the paths the user typed. */
function shown(path: string): string {
  const local = relative(process.cwd(), path);
  return local.startsWith('..') || isAbsolute(local) ? path : local;
}

function readPublicKey(path: string): PublicKey {
  try {
    return loadPublicKey(path);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Loaded lazily by main.ts. */
export const command: Command = { run: verifyCommand, usage: VERIFY_USAGE };
