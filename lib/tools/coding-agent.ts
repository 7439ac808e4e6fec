/**
 * The `coding_agent` tool (alias `opencode`): runs an external CLI coding agent on a BUILD_PACKET
 * in a separate git worktree, checks every path it changed against the envelopes in force and
 * the protected paths, and only then applies the change to the repository (DESIGN.md: an
 * external builder can write anything). A refused path refuses the whole change: nothing is
 * applied, the worktree is removed, and the step fails with the paths and the rule that refused them.
 *
 *   action    execute_build
 *   instruction  the BUILD_PACKET
 *   command   argument vector; {prompt}, {packet_file} and {worktree} are replaced
 *             (default: opencode run {prompt}); any CLI agent that edits files in its cwd fits
 *   timeout_seconds  default 1800
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EnvelopeViolation } from '../core/governance-errors.ts';
import { writeGuarded } from '../governance/guarded-write.ts';
import { innermostEnvelope, validateInChain } from '../governance/step-guards.ts';
import { runProcess } from './child-process.ts';
import { changedFiles, STEWARD_IDENTITY } from './git.ts';
import { git } from './run-git.ts';
import type { ToolContext } from './tool.ts';

export const DEFAULT_AGENT_COMMAND: readonly string[] = ['opencode', 'run', '{prompt}'];
const PACKET_FILE = '.lifeos_build_packet.json';

export interface AgentChange {
  path: string;
  deleted: boolean;
}

export async function executeBuild(params: Record<string, unknown>, context: ToolContext): Promise<{ changed: AgentChange[]; exit_code: number | null; output_tail: string }> {
  const command = agentCommand(params.command);
  const timeoutSeconds = params.timeout_seconds === undefined ? 1800 : Number(params.timeout_seconds);
  const scratch = mkdtempSync(join(tmpdir(), 'lifeos-agent-'));
  const worktree = join(scratch, 'worktree');
  git(context.repo_root, ['worktree', 'add', '--quiet', '--detach', worktree, 'HEAD']);
  try {
    startFromCurrentState(context, worktree);
    const packetFile = join(scratch, PACKET_FILE);
    writeFileSync(packetFile, JSON.stringify(params.instruction ?? {}, null, 2));
    const prompt = `Implement this BUILD_PACKET in the current directory. Change only the paths its scope allows.\n\n${JSON.stringify(params.instruction ?? {}, null, 2)}`;
    const argv = command.map((part) => part.replaceAll('{prompt}', prompt).replaceAll('{packet_file}', packetFile).replaceAll('{worktree}', worktree));
    const [program, ...args] = argv as [string, ...string[]];
    const result = await runProcess(program, args, { cwd: worktree, timeoutMs: timeoutSeconds * 1000, signal: context.signal });
    const output = `${result.stdout}\n${result.stderr}`.trim().slice(-4000);
    if (result.code !== 0) throw new Error(`the coding agent (${program}) ${result.timedOut ? `timed out after ${timeoutSeconds} s` : `exited with ${result.code ?? result.signal}`}: ${output.slice(-1000)}`);
    const changed = worktreeChanges(worktree);
    // The diff gate before anything reaches the repository.
    for (const change of changed) {
      const check = validateInChain(change.path, change.deleted ? 'delete' : 'write', context.envelopes, { repoRoot: context.repo_root, protectedPaths: context.protected_paths });
      if (!check.allowed) throw new EnvelopeViolation(change.path, change.deleted ? 'delete' : 'write', `the coding agent changed it: ${check.reason}`, { ...check.evidence, changed });
    }
    apply(changed, worktree, context);
    return { changed, exit_code: result.code, output_tail: output };
  } finally {
    try {
      git(context.repo_root, ['worktree', 'remove', '--force', worktree]);
    } catch {
      // Removed below; `git worktree prune` forgets it.
      git(context.repo_root, ['worktree', 'prune']);
    }
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The worktree starts from HEAD plus the repository's uncommitted changes, committed there as a base to diff against. */
function startFromCurrentState(context: ToolContext, worktree: string): void {
  for (const file of changedFiles(context)) {
    const source = join(context.repo_root, file.path);
    const target = join(worktree, file.path);
    if (existsSync(source)) {
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(source, target);
    } else if (existsSync(target)) {
      unlinkSync(target);
    }
  }
  git(worktree, ['add', '--all']);
  git(worktree, ['commit', '--quiet', '--no-verify', '--allow-empty', '-m', 'lifeos: build base'], {
    GIT_AUTHOR_NAME: STEWARD_IDENTITY.name,
    GIT_AUTHOR_EMAIL: STEWARD_IDENTITY.email,
    GIT_COMMITTER_NAME: STEWARD_IDENTITY.name,
    GIT_COMMITTER_EMAIL: STEWARD_IDENTITY.email,
  });
}

function worktreeChanges(worktree: string): AgentChange[] {
  return git(worktree, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames'])
    .split('\0')
    .filter(Boolean)
    .map((field) => ({ path: field.slice(3), deleted: field.slice(0, 2).includes('D') }));
}

function apply(changed: readonly AgentChange[], worktree: string, context: ToolContext): void {
  const innermost = innermostEnvelope(context.envelopes);
  for (const change of changed) {
    if (change.deleted) rmSync(join(context.repo_root, change.path), { force: true });
    else writeGuarded(change.path, readFileSync(join(worktree, change.path)), innermost, { repoRoot: context.repo_root, protectedPaths: context.protected_paths });
  }
}

function agentCommand(value: unknown): string[] {
  if (value === undefined) return [...DEFAULT_AGENT_COMMAND];
  if (!Array.isArray(value) || value.length === 0 || value.some((part) => typeof part !== 'string' || part === '')) {
    throw new TypeError(`command must be a non-empty argument list such as [opencode, run, "{prompt}"], got ${JSON.stringify(value)}`);
  }
  return value as string[];
}
