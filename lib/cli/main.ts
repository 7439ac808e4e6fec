/**
 * The CLI entry: `main(argv, io)` dispatches to a command and returns the exit code. It never
 * calls process.exit (bin.ts does), so it is testable in-process with string buffers.
 */
import { dispatch } from './dispatch.ts';
import type { CliIO, Command } from './io.ts';
import { command as validate } from './validate-command.ts';

// Every command but `validate` is loaded when used, so `validate`, the one CI runs on every
// push, parses only what it needs (npm run bench checks its start-up time).
const COMMANDS: Readonly<Record<string, () => Command | Promise<Command>>> = {
  validate: () => validate,
  plan: async () => (await import('./plan-command.ts')).command,
  run: async () => (await import('./run-command.ts')).command,
  resume: async () => (await import('./resume-command.ts')).command,
  recover: async () => (await import('./recover-command.ts')).command,
  backlog: async () => (await import('./backlog-command.ts')).command,
  queue: async () => (await import('./queue-command.ts')).command,
  status: async () => (await import('./status-command.ts')).command,
  store: async () => (await import('./store-command.ts')).command,
  baseline: async () => (await import('./baseline-command.ts')).command,
  verify: async () => (await import('./verify-command.ts')).command,
  keygen: async () => (await import('./keygen-command.ts')).command,
  init: async () => (await import('./init-command.ts')).command,
};

export const USAGE = `Usage: lifeos-mission <command> [options]

Commands:
  validate [files|folders...]        check mission YAML; every problem at once, with file:line:col
  plan <mission-file-or-name>        expand a mission and its inputs into the execution plan
  run <mission-file-or-name>         run a mission in a git repository, journaled, with rollback
  resume <run-id>                    continue a run waiting for a human (--approve/--reject) or a crashed one
  recover                            recover every run whose process died
  backlog list|run|resume            work through BACKLOG.md unattended, each task in a worktree of its own
  queue list|show|approve|reject|retry|defer   the approval queue: escalations and human requests
  status                             run lock, kill switch, open escalations, last runs
  store rebuild                      re-derive the state store's runs and steps from the journals
  baseline --check|--write           compare governance surfaces with the approved baseline, or record it
  verify <runs|journal|bundle>...    check journals, bundles and the anchor log, offline
  keygen                             create the Ed25519 key that signs the anchor log
  init                               scaffold role prompts, model mapping, envelope policy, backlog, baseline

Run \`lifeos-mission <command> --help\` for a command's options.
Options: -h, --help   --version
`;

export function main(argv: readonly string[], io: CliIO): Promise<number> {
  return dispatch(argv, io, { commands: COMMANDS, usage: USAGE });
}
