/**
 * The names `validate` checks literal params against (core/param-checks.ts): the built-in
 * tools and their actions, packet schemas with their top-level fields, transforms, named gate
 * checks, and the roles: a repository's `config/agent_roles/` when there is one, else the
 * built-in role list (the prompts `init` writes). Host tools, schemas and transforms extend it
 * through the registry (run-setup.ts).
 *
 * The tool, transform and check names are written out here rather than read from their
 * modules, which `validate` would otherwise load on every start (tens of milliseconds of its
 * start-up budget); test/runtime/vocabulary.test.ts keeps the lists equal to the modules'.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRegistry, type Registry, type Vocabulary } from '../core/registry.ts';
import { packageRoot } from './package-root.ts';
import { builtinPacketSchemas } from './packet-schemas.ts';

export const BUILTIN_TOOL_ACTIONS: ReadonlyMap<string, readonly string[]> = new Map([
  ['filesystem', ['read_files', 'update_state', 'write_files']],
  ['git', ['add', 'branch', 'checkout', 'commit', 'diff_stat', 'status']],
  ['test', ['run']],
  ['coding_agent', ['execute_build']],
  ['opencode', ['execute_build']],
]);
export const BUILTIN_TRANSFORM_NAMES: readonly string[] = ['identity', 'to_council_context_pack', 'collect_seat_outputs', 'council_synthesis', 'to_review_packet'];
export const BUILTIN_CHECK_NAMES: readonly string[] = ['builder_envelope', 'steward_envelope', 'council_approval'];

const ROLES_DIR = join('config', 'agent_roles');

let builtin: Vocabulary | undefined;

/** The built-in vocabulary, roles from the built-in list; read once. */
export function builtinVocabulary(): Vocabulary {
  builtin ??= {
    tools: BUILTIN_TOOL_ACTIONS,
    schemas: new Map([...builtinPacketSchemas()].map(([name, schema]) => [name, topLevelFields(schema)])),
    transforms: BUILTIN_TRANSFORM_NAMES,
    checks: BUILTIN_CHECK_NAMES,
    roles: { names: roleNames(join(packageRoot(), 'templates', 'init', ROLES_DIR)), from: 'builtin' },
  };
  return builtin;
}

/** `registry` with the roles of the repository around `folder` (its config/agent_roles/), when it has them. */
export function withRepositoryRoles(registry: Registry, folder: string): Registry {
  const root = repositoryRoot(folder);
  const dir = root === undefined ? undefined : join(root, ROLES_DIR);
  if (!dir || !existsSync(dir)) return registry;
  return createRegistry({ extend: registry, vocabulary: { roles: { names: roleNames(dir), from: 'repository' } } });
}

/** The nearest folder at or above `folder` with a `.git` (no git process: validate starts fast). */
function repositoryRoot(folder: string): string | undefined {
  for (let at = folder; ; at = dirname(at)) {
    if (existsSync(join(at, '.git'))) return at;
    if (dirname(at) === at) return undefined;
  }
}

function roleNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.md'))
    .map((name) => name.slice(0, -'.md'.length))
    .sort();
}

/**
 * A schema's declared top-level fields; undefined when it declares none. A packet may carry
 * more than its schema declares, but a mission reading a field no schema declares is a typo far
 * more often than a model's extra.
 */
function topLevelFields(schema: object): readonly string[] | undefined {
  const properties = (schema as { properties?: unknown }).properties;
  return properties !== null && typeof properties === 'object' && Object.keys(properties).length > 0 ? Object.keys(properties) : undefined;
}
