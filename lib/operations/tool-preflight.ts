/**
 * tool_invoke's pre-flight (OperationHandler preflight): the tool and action exist; a program
 * the step will start (the test command, the coding agent) is installed; the backlog item the
 * steward will tick is open. Only params known before the run are looked at.
 */
import { accessSync, constants, lstatSync, readFileSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { BACKLOG_FILE, markDone } from '../core/backlog.ts';
import { NO_TEST_COMMAND, resolveTestCommand } from '../tools/test-command.ts';
import type { Tool } from '../tools/tool.ts';
import type { PreflightContext } from './handler.ts';

/** The actions that start the program `command[0]`, and what that program is to the user. */
const STARTS_PROGRAM: Readonly<Record<string, string>> = { 'test.run': 'the test command', 'coding_agent.execute_build': 'the coding agent', 'opencode.execute_build': 'the coding agent' };

export function toolPreflight(known: Readonly<Record<string, unknown>>, context: PreflightContext, tools: ReadonlyMap<string, Tool>): string[] {
  if (typeof known.tool !== 'string') return [];
  const tool = tools.get(known.tool);
  if (!tool) return [`unknown tool "${known.tool}" (known: ${[...tools.keys()].sort().join(', ')}); register it with runMission({ tools })`];
  if (typeof known.action !== 'string') return [];
  if (!tool.actions[known.action]) return [`tool ${tool.name} has no action "${known.action}" (it has: ${Object.keys(tool.actions).sort().join(', ')})`];
  const what = STARTS_PROGRAM[`${tool.name}.${known.action}`];
  if (what && Array.isArray(known.command) && (known.command.length === 0 || typeof known.command[0] !== 'string' || known.command[0].trim() === '')) {
    return [`${what} is ${JSON.stringify(known.command)}: it must start with the program to run, e.g. --input 'test_command=["npm","test"]' or --input 'agent_command=["opencode","run","--dir","{worktree}","{instruction}"]'`];
  }
  if (what && Array.isArray(known.command)) {
    const resolved = tool.name === 'test' ? resolveTestCommand(known.command as string[], context.repo_root) : { command: known.command as string[] };
    if (!resolved) return [`the test command is [auto], and ${NO_TEST_COMMAND}`];
    const program = resolved.command[0] as string;
    if (!findProgram(program, context.repo_root)) return [`${what} starts "${program}", which is not installed here (not on PATH); give one that is, e.g. for the build cycle --input 'test_command=["npm","test"]' or --input 'agent_command=[…]'`];
  }
  if (tool.name === 'filesystem' && known.action === 'update_state' && typeof known.task === 'string' && known.task.trim() !== '') return backlogProblems(known.task, context.repo_root);
  return [];
}

/** Whether `program` can be started: a path (from the repository when relative), or a name found on PATH. */
function findProgram(program: string, repoRoot: string): boolean {
  const executable = (path: string): boolean => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (program.includes('/')) return executable(isAbsolute(program) ? program : join(repoRoot, program));
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && executable(join(dir, program)));
}

function backlogProblems(task: string, repoRoot: string): string[] {
  const path = join(repoRoot, BACKLOG_FILE);
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat) return [`${BACKLOG_FILE} is missing, so the task cannot be marked done; \`lifeos-mission init\` creates one`];
  // The steward writes regular files inside the repository only: a link would be refused after every paid call.
  if (!stat.isFile()) return [`${BACKLOG_FILE} is not a regular file (${stat.isSymbolicLink() ? 'a symbolic link' : 'not a file'}), so the steward cannot tick the task in it; commit the backlog itself as a file`];
  if (markDone(readFileSync(path, 'utf8'), task.trim()) === null) return [`the task "${task.trim()}" is not an open item of ${BACKLOG_FILE} ("- [ ] ${task.trim()}" or "TODO: ${task.trim()}"); pass its text exactly as written there`];
  return [];
}
