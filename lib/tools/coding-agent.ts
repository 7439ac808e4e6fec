/**
 * The `coding_agent` tool (alias `opencode`): runs an external CLI coding agent on a BUILD_PACKET
 * in a tree of its own (agent-worktree.ts), checks every path it changed against the envelopes in
 * force (the design's scope and the repository's builder policy included) and the protected
 * paths, and only then applies the change to the repository. One refused path refuses the whole
 * change: nothing is applied, and the run escalates.
 *
 * The agent runs with `cwd` and `PWD` in its tree, a minimal environment (no model keys unless
 * the host passes them: runMission({ childEnv })), in the sandbox where bubblewrap works, and its
 * whole process group is killed when it exits.
 *
 *   action       execute_build
 *   instruction  the BUILD_PACKET, byte-exact on the agent's standard input (OpenCode appends its
 *                stdin to the message unchanged; its --file attachments arrive line-numbered
 *                and cut at 2000 characters a line) and in a read-only file ({packet_file})
 *   command      argument vector; placeholders {instruction} (alias {prompt}: a short request to
 *                implement the packet), {packet_file} and {worktree} are substituted in argv
 *                only, never inside the packet (default: DEFAULT_AGENT_COMMAND)
 *   timeout_seconds  default 1800
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvelopeViolation } from '../core/governance-errors.ts';
import { removeGuarded, writeGuarded } from '../governance/guarded-write.ts';
import { innermostEnvelope, validateInChain } from '../governance/step-guards.ts';
import { agentChanges, prepareAgentTree, readChange, refusedEntries, unsafeMode, type AgentChange } from './agent-worktree.ts';
import { runProcess } from './child-process.ts';
import { confine } from './sandbox.ts';
import type { ToolContext } from './tool.ts';

export type { AgentChange };

export const DEFAULT_AGENT_COMMAND: readonly string[] = ['opencode', 'run', '--dir', '{worktree}', '{instruction}'];

export const AGENT_INSTRUCTION =
  'Implement the BUILD_PACKET below (JSON) in the current directory. Change only the paths its payload.scope allows. Do not commit and do not ask questions.';

const PACKET_FILE = 'build_packet.json';
const TAIL_CHARS = 4000;

export interface BuildOutput {
  changed: Array<{ path: string; deleted: boolean }>;
  exit_code: number | null;
  output_tail: string;
  sandboxed: boolean;
}

export async function executeBuild(params: Record<string, unknown>, context: ToolContext): Promise<BuildOutput> {
  const command = agentCommand(params.command);
  const timeoutSeconds = params.timeout_seconds === undefined ? 1800 : Number(params.timeout_seconds);
  // realpath: the agent and bwrap must see the same folder names (a symlinked TMPDIR would differ).
  const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'lifeos-agent-')));
  try {
    const tree = prepareAgentTree(context.repo_root, scratch, context.exclude_pathspecs);
    const packetFile = join(scratch, PACKET_FILE);
    const packet = Buffer.from(`${JSON.stringify(params.instruction ?? {}, null, 2)}\n`);
    writeFileSync(packetFile, packet, { mode: 0o444 });
    const values: Record<string, string> = { instruction: AGENT_INSTRUCTION, prompt: AGENT_INSTRUCTION, packet_file: packetFile, worktree: tree.worktree };
    const [name, ...rest] = command.map((part) => substitute(part, values)) as [string, ...string[]];
    const { program, args, sandboxed } = confine(name, rest, { writable: [tree.worktree, ...(context.sandbox.writable ?? [])], readOnly: [packetFile, tree.objects], cwd: tree.worktree }, context.sandbox);
    const result = await runProcess(program, args, { cwd: tree.worktree, timeoutMs: timeoutSeconds * 1000, signal: context.signal, envPolicy: context.child_env, env: sandboxed ? { TMPDIR: '/tmp' } : {}, stdin: packet });
    const output = stripAnsi(`${result.stdout}\n${result.stderr}`).trim().slice(-TAIL_CHARS);
    if (result.aborted) throw new Error(`the coding agent (${name}) was stopped: the step was cancelled`);
    if (result.code !== 0) throw new Error(`the coding agent (${name}) ${result.timedOut ? `timed out after ${timeoutSeconds} s` : `exited with ${result.code ?? result.signal}`}: ${output.slice(-1000)}`);
    const changes = checkedChanges(tree.worktree, agentChangesOrRefuse(tree), context);
    if (changes.length === 0) throw new Error(`the coding agent (${name}) exited 0 but changed no files (a permission it was refused, or a request it did not act on?): ${output.slice(-1000) || '(no output)'}`);
    apply(changes, context);
    return { changed: changes.map(({ path, deleted }) => ({ path, deleted })), exit_code: result.code, output_tail: output, sandboxed };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Special files first (never read), then git's view of the tree. */
function agentChangesOrRefuse(tree: Parameters<typeof agentChanges>[0]): AgentChange[] {
  const refused = refusedEntries(tree.worktree);
  if (refused.length > 0) {
    const first = refused[0] as { path: string; reason: string };
    throw new EnvelopeViolation(first.path, 'write', `the coding agent left ${first.path}, ${first.reason}; nothing was applied`, { refused });
  }
  return agentChanges(tree);
}

type ReadChange = AgentChange & { data: Buffer | null };

/** Every change checked against every envelope in force and the protected paths, and read, before anything is applied. */
function checkedChanges(worktree: string, changes: AgentChange[], context: ToolContext): ReadChange[] {
  const summary = changes.map(({ path, deleted }) => ({ path, deleted }));
  for (const change of changes) {
    const unsafe = unsafeMode(change);
    if (unsafe) throw new EnvelopeViolation(change.path, 'write', `the coding agent left ${change.path} as ${unsafe}; nothing was applied`, { changed: summary });
    const check = validateInChain(change.path, change.deleted ? 'delete' : 'write', context.envelopes, { repoRoot: context.repo_root, protectedPaths: context.protected_paths, root: context.repo_root_resolved });
    if (!check.allowed) throw new EnvelopeViolation(change.path, change.deleted ? 'delete' : 'write', `the coding agent changed it: ${check.reason}`, { ...check.evidence, changed: summary });
  }
  // Read everything before writing anything: a file that cannot be read refuses the whole change.
  return changes.map((change) => ({ ...change, data: change.deleted ? null : readChange(worktree, change) }));
}

function apply(changes: readonly ReadChange[], context: ToolContext): void {
  const innermost = innermostEnvelope(context.envelopes);
  for (const change of changes) {
    const options = { repoRoot: context.repo_root, protectedPaths: context.protected_paths, root: context.repo_root_resolved };
    if (change.data === null) removeGuarded(change.path, innermost, options);
    else writeGuarded(change.path, change.data, innermost, options);
  }
}

/** One pass over the placeholders: a value is never substituted again (a packet path holding `{worktree}` stays as it is). */
function substitute(part: string, values: Readonly<Record<string, string>>): string {
  return part.replace(/\{(instruction|prompt|packet_file|worktree)\}/g, (_, name: string) => values[name] as string);
}

function stripAnsi(text: string): string {
  // CSI and OSC sequences: colours, cursor moves, titles.
  return text.replace(/\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)/g, '');
}

function agentCommand(value: unknown): string[] {
  if (value === undefined) return [...DEFAULT_AGENT_COMMAND];
  if (!Array.isArray(value) || value.length === 0 || value.some((part) => typeof part !== 'string' || part === '')) {
    throw new TypeError(`command must be a non-empty argument list such as [opencode, run, --dir, "{worktree}", "{instruction}", --file, "{packet_file}"], got ${JSON.stringify(value)}`);
  }
  return value as string[];
}
