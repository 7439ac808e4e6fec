// A real git repository in a temp dir, for engine tests, and a writing handler to run in it.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRegistry } from '../lib/core/registry.ts';
import type { Mission } from '../lib/core/types.ts';
import type { OperationHandler } from '../lib/operations/handler.ts';
import { loadMission } from '../lib/runtime/mission-library.ts';
import { tempDir } from './temp.ts';

// Fixed dates: the same files give the same commit ids in every test repository.
const FIXED_DATES = { GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' };

export function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, ...FIXED_DATES } });
}

/** A new repository with one commit holding `files`. */
export function makeRepo(files: Record<string, string> = { 'README.md': 'hello\n' }): string {
  const repo = tempDir('lifeos-test-');
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.email', 'test@example.com');
  git(repo, 'config', 'user.name', 'Test');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'initial');
  return repo;
}

/** HEAD, index and every work-tree file (the engine's files under logs/ and .lifeos/ and the lock left out), as text. */
export function repoFingerprint(repo: string): string {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(repo, dir)).sort()) {
      const path = dir ? `${dir}/${name}` : name;
      if (path === '.git' || path === 'logs' || path === '.lifeos' || path.startsWith('.lifeos_run_lock')) continue;
      const stat = lstatSync(join(repo, path));
      if (stat.isSymbolicLink()) files.push(`${path}->${readlinkSync(join(repo, path))}`);
      else if (stat.isDirectory()) walk(path);
      else files.push(`${path}:${readFileSync(join(repo, path)).toString('base64')}`);
    }
  };
  walk('');
  return [git(repo, 'rev-parse', 'HEAD'), git(repo, 'symbolic-ref', 'HEAD'), git(repo, 'ls-files', '-s'), ...files].join('\n');
}

/** `write_file`: writes params.text to params.path in the repository. */
export const writeFileHandler: OperationHandler = {
  type: 'write_file',
  description: 'write one file (test handler)',
  writes: true,
  compensation: 'fs_restore',
  idempotent: false,
  paramsSchema: { type: 'object', required: ['path', 'text'], properties: { path: { type: 'string' }, text: { type: 'string' } } },
  execute: (params, context) => {
    const path = join(context.repo_root, params.path as string);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, params.text as string);
    return { wrote: params.path };
  },
};

/** A read-only operation `type` whose first call throws `message` and every later one returns `{ ok: true }`. */
export function failingOnce(type: string, message = 'first time'): OperationHandler {
  let calls = 0;
  return {
    type,
    description: 'fails on its first call (test handler)',
    writes: false,
    compensation: 'none',
    idempotent: true,
    execute: () => {
      calls += 1;
      if (calls === 1) throw new Error(message);
      return { ok: true };
    },
  };
}

/** The YAML of a mission without inputs or outputs whose steps are the given flow mappings (`{id: a, kind: runtime, ...}`). */
export function missionYaml(name: string, steps: readonly string[]): string {
  return `mission: ${name}\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n${steps.map((step) => `  - ${step}\n`).join('')}`;
}

/** A write, then a human step that asks about it: a run that pauses with a change in the tree. */
export const PACKET_THEN_ASK = `mission: packet_then_ask
version: "1.0"
inputs: []
outputs: []
steps:
  - {id: packet, kind: runtime, operation: write_file, params: {path: packet.json, text: '{"plan": "v1"}'}}
  - {id: ask, kind: human, params: {question: "ship packet.json?", packet: "{{steps.packet.output}}"}}
`;

export function mission(text: string, handlers: readonly OperationHandler[] = [writeFileHandler]): Mission {
  const loaded = loadMission(text, { filename: 'test.yaml', registry: createRegistry({ operations: handlers }) });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics, null, 2));
  return loaded.mission;
}
