/**
 * `lifeos-mission init`: scaffold a repository for the build cycle (runtime/init-repository.ts).
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { initRepository } from '../runtime/init-repository.ts';
import { repositoryOption } from './repo-options.ts';
import { EXIT, parseFormat, UsageError, type CliIO, type Command } from './io.ts';

export const INIT_USAGE = `Usage: lifeos-mission init [options]

Makes a git repository ready for the autonomous build cycle. Creates, where missing:
  config/agent_roles/*.md     a prompt for every role the built-in missions call
  config/models.yaml          the model chain and prices per role (OpenRouter model names)
  config/envelope_policy.yaml the paths a design may give the builder
  BACKLOG.md, LIFEOS_STATE.md the task list the steward ticks, and the record of what is done
and records the governance baseline (config/governance_baseline.yaml) if there is none.
Existing files are never changed, except .gitignore, to which the engine's own files (logs/,
.lifeos/, the run lock; not the recorded model answers) are added once. Review the prompts and
the policy, then commit them.

Options:
  --approved-by NAME   who approves the first baseline (default: the OS user name)
  --ruling REF         the ruling it rests on (default: "lifeos-mission init")
  --repo DIR           the target git repository (default: the current folder)
  --no-gitignore       leave .gitignore alone
  --format text|json   output format (default: text)
  -h, --help           show this help

Exit codes: 0 done, 2 usage error or not a git repository.
`;

export function initCommand(args: string[], io: CliIO): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'approved-by': { type: 'string' },
      ruling: { type: 'string' },
      repo: { type: 'string' },
      'no-gitignore': { type: 'boolean' },
      format: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(INIT_USAGE);
    return EXIT.ok;
  }
  const format = parseFormat(values.format, ['text', 'json']);
  if (positionals.length > 0) throw new UsageError('init takes no arguments');
  const repoRoot = repositoryOption(values.repo);
  const report = initRepository({
    repoRoot,
    approvedBy: values['approved-by'] ?? userInfo().username,
    ...(values.ruling ? { councilRulingRef: values.ruling } : {}),
    ...(values['no-gitignore'] ? { gitignore: false } : {}),
  });
  if (format === 'json') {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return EXIT.ok;
  }
  for (const path of report.created) io.stdout.write(`created ${path}\n`);
  for (const path of report.updated) io.stdout.write(`updated ${path} (the engine's own files added)\n`);
  for (const path of report.kept) io.stdout.write(`kept    ${path} (exists)\n`);
  io.stdout.write(
    report.baseline
      ? `recorded ${report.baseline}\nNext: review the prompts and the policy, commit, add a task to BACKLOG.md, then\n  lifeos-mission run autonomous_build_cycle --input task_spec="<the task>" --input 'test_command=["npm","test"]'\n`
      : 'a governance baseline exists and was left alone; run `lifeos-mission baseline --write` to approve the new files\n',
  );
  return EXIT.ok;
}

/** Loaded lazily by main.ts. */
export const command: Command = { run: initCommand, usage: INIT_USAGE };
