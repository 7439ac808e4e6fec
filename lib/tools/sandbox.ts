/**
 * The sandbox for code nobody reviewed: the coding agent and the test command (DESIGN.md). On
 * Linux, with bubblewrap (`bwrap`), the child sees the whole file system read-only, a private
 * `/tmp`, its own `/dev` and `/proc`, and writable only the tree it may change (the agent's
 * worktree, or the repository's work tree for tests) plus folders the host names (an agent's own
 * state). Inside a writable tree, `.git` and the engine's folders stay read-only. Its processes
 * live in their own PID namespace, so when the step ends every one of them dies, background ones
 * included. The network is NOT confined (a model endpoint must stay reachable).
 *
 * Modes: `required` (refuse to run without a working bwrap), `auto` (the default: use it when it
 * works, warn once when it does not), `off`.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

export type SandboxMode = 'required' | 'auto' | 'off';

export interface SandboxSettings {
  mode: SandboxMode;
  /** Folders the agent may write besides its worktree (its own state, e.g. ~/.local/share/opencode). */
  writable?: readonly string[];
  /** Folders or files under /tmp the agent must still read (the private /tmp hides the host's): its config, a HOME kept there. */
  readable?: readonly string[];
}

export const DEFAULT_SANDBOX: Readonly<SandboxSettings> = Object.freeze({ mode: 'auto' });

export interface Confinement {
  /** Folders the child may write (missing ones are skipped); the agent's include `SandboxSettings.writable`, the tests' do not. */
  writable: readonly string[];
  /** Folders or files inside those that stay read-only (missing ones are skipped). */
  readOnly: readonly string[];
  cwd: string;
}

let probed: { ok: true; path: string } | { ok: false; reason: string } | undefined;
let warned = false;

/** Whether a working bwrap is here (probed once per process: found on PATH, and able to start a child). */
export function sandboxAvailability(): { ok: true; path: string } | { ok: false; reason: string } {
  if (probed) return probed;
  if (process.platform !== 'linux') return (probed = { ok: false, reason: `bubblewrap is Linux-only (this is ${process.platform})` });
  // LIFEOS_BWRAP names the binary (an empty value: none), for hosts that keep it elsewhere.
  const override = process.env.LIFEOS_BWRAP;
  const candidates = override === undefined ? ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'] : override === '' ? [] : [override];
  const path = candidates.find((candidate) => existsSync(candidate));
  if (!path) return (probed = { ok: false, reason: `bwrap (bubblewrap) is not installed${override ? ` at ${override} (LIFEOS_BWRAP)` : ''}; install it (apt-get install bubblewrap) or choose sandbox: off` });
  try {
    execFileSync(path, ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--', 'true'], { stdio: 'pipe', timeout: 10_000 });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    return (probed = { ok: false, reason: `bwrap at ${path} cannot start a sandbox here (${stderr || (error as Error).message}); user namespaces may be disabled` });
  }
  return (probed = { ok: true, path });
}

/** An absolute path as given, or the first executable of that name on PATH; undefined when none is found. */
function onPath(program: string): string | undefined {
  if (program.includes('/')) return isAbsolute(program) && existsSync(program) ? program : undefined;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** Refuse to start when the sandbox is required and cannot run: the message says why and what to do. */
export function requireSandbox(settings: SandboxSettings): void {
  if (settings.mode !== 'required') return;
  const availability = sandboxAvailability();
  if (!availability.ok) throw new Error(`sandbox: required, but ${availability.reason}`);
}

/**
 * The command to spawn: wrapped in bwrap when the settings and the machine allow, else as given
 * (with one warning per process in `auto`). `sandboxed` says which it is, for the step's output.
 */
export function confine(program: string, args: readonly string[], confinement: Confinement, settings: SandboxSettings): { program: string; args: string[]; sandboxed: boolean } {
  if (settings.mode === 'off') return { program, args: [...args], sandboxed: false };
  const availability = sandboxAvailability();
  if (!availability.ok) {
    requireSandbox(settings);
    if (!warned) {
      warned = true;
      process.emitWarning(`builders and tests run without a sandbox: ${availability.reason}`, 'LifeosSandboxWarning');
    }
    return { program, args: [...args], sandboxed: false };
  }
  // The program as found on the host (a script or an install in a temporary folder must stay visible under the private /tmp).
  const found = onPath(program);
  const programBind = found ? ['--ro-bind', found, found] : [];
  // Later mounts cover earlier ones: readable folders first, writable ones inside them, then what stays read-only inside those.
  const existing = (paths: readonly string[]): string[] => paths.filter((path) => existsSync(path));
  const binds = [
    ...programBind,
    ...existing(settings.readable ?? []).flatMap((path) => ['--ro-bind', path, path]),
    ...existing(confinement.writable).flatMap((path) => ['--bind', path, path]),
    ...existing(confinement.readOnly).flatMap((path) => ['--ro-bind', path, path]),
  ];
  const wrapped = [
    '--die-with-parent',
    '--new-session',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    '--tmpfs', '/tmp',
    ...binds,
    '--chdir', confinement.cwd,
    '--',
    found ?? program,
    ...args,
  ];
  return { program: availability.path, args: wrapped, sandboxed: true };
}
