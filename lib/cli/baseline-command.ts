/**
 * `lifeos-mission baseline --check | --write`: compare the governance surfaces with the approved
 * baseline, or (the only writer) record their current hashes as the new baseline, with who
 * approved it and the council ruling it rests on (spec §2.3).
 */
import { parseArgs } from 'node:util';
import { BASELINE_FILE, verifyGovernanceBaseline, writeGovernanceBaseline } from '../governance/baseline.ts';
import { repositoryOption } from './repo-options.ts';
import { EXIT, parseFormat, UsageError, type CliIO, type Command } from './io.ts';

export const BASELINE_USAGE = `Usage: lifeos-mission baseline --check | --write --approved-by NAME --ruling REF [options]

--check compares every governance surface (role prompts, model mapping, envelope policy, agent
constitutions, protected doc roots; spec §2.3) with ${BASELINE_FILE}: a changed,
missing or unlisted file is a mismatch, and missions halt until it is resolved.
--write records the surfaces as they are now as the approved baseline. It is the only way the
manifest is written; commit it with the ruling.

Options:
  --check              compare (the default)
  --write              write a new baseline
  --approved-by NAME   who approved it (required with --write)
  --ruling REF         the council ruling it rests on (required with --write)
  --surface PATTERN    a governance surface pattern besides the built-in ones (repeatable)
  --repo DIR           the target git repository (default: the current folder)
  --format text|json   output format (default: text)
  -h, --help           show this help

Exit codes: 0 the surfaces match (or the baseline was written), 1 they do not, 2 usage error.
`;

export function baselineCommand(args: string[], io: CliIO): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      check: { type: 'boolean' },
      write: { type: 'boolean' },
      'approved-by': { type: 'string' },
      ruling: { type: 'string' },
      surface: { type: 'string', multiple: true },
      repo: { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(BASELINE_USAGE);
    return EXIT.ok;
  }
  const format = parseFormat(values.format, ['text', 'json']);
  if (positionals.length > 0) throw new UsageError('baseline takes no arguments');
  if (values.check && values.write) throw new UsageError('give --check or --write, not both');
  const repoRoot = repositoryOption(values.repo);
  const surfaces = values.surface ?? [];
  if (values.write) {
    if (!values['approved-by'] || !values.ruling) throw new UsageError('--write needs --approved-by NAME and --ruling REF: a baseline records who approved it and under which ruling');
    const written = writeGovernanceBaseline({ repoRoot, governanceSurfaces: surfaces, approvedBy: values['approved-by'], councilRulingRef: values.ruling });
    io.stdout.write(format === 'json' ? `${JSON.stringify(written, null, 2)}\n` : `wrote ${written.path}: ${written.artifacts} governance surfaces, ${written.baselineHash}\n`);
    return EXIT.ok;
  }
  const check = verifyGovernanceBaseline({ repoRoot, governanceSurfaces: surfaces });
  if (format === 'json') io.stdout.write(`${JSON.stringify(check, null, 2)}\n`);
  else if (check.ok) io.stdout.write(`ok: ${Object.keys(check.surfaces).length} governance surfaces match ${check.baselineHash ? BASELINE_FILE : 'an empty baseline (there are none)'}\n`);
  else {
    for (const m of check.mismatches) {
      io.stdout.write(`${m.path}: ${m.kind}: ${m.detail}${m.expected || m.actual ? ` (expected ${m.expected ?? 'not listed'}, actual ${m.actual ?? 'missing'})` : ''}\n`);
    }
    io.stdout.write(`${check.mismatches.length} mismatch(es): missions halt until the files are restored or a new baseline is approved (--write)\n`);
  }
  return check.ok ? EXIT.ok : EXIT.failed;
}

/** Loaded lazily by main.ts. */
export const command: Command = { run: baselineCommand, usage: BASELINE_USAGE };
