/**
 * The options `run`, `resume` and `recover` share: the repository, host operation handlers
 * (`--handlers MODULE`), extra mission folders, the LLM mode and journal fsync, turned into the
 * library's EngineOptions.
 */
import { resolve } from 'node:path';
import { createRegistry } from '../core/registry.ts';
import { defaultRegistry } from '../runtime/mission-library.ts';
import type { EngineOptions } from '../runtime/runner.ts';
import { UsageError, type CliIO } from './io.ts';
import { loadHandlerModules } from './handler-modules.ts';
import { registryWithMissionDirs } from './registry-options.ts';
import { withRepositoryRoles } from '../runtime/vocabulary.ts';
import { storeBackend } from './repo-options.ts';

export const ENGINE_ARGS = {
  repo: { type: 'string' },
  handlers: { type: 'string', multiple: true },
  missions: { type: 'string', multiple: true },
  mode: { type: 'string' },
  'strict-replay': { type: 'boolean' },
  'max-parallel': { type: 'string' },
  'llm-base-url': { type: 'string' },
  'no-fsync': { type: 'boolean' },
  'embed-journal': { type: 'boolean' },
  store: { type: 'string' },
  sandbox: { type: 'string' },
  'sandbox-writable': { type: 'string', multiple: true },
  'sandbox-readable': { type: 'string', multiple: true },
  'child-env': { type: 'string', multiple: true },
  surface: { type: 'string', multiple: true },
  'signing-key': { type: 'string' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const ENGINE_OPTIONS_HELP = `  --repo DIR           the target git repository (default: the current folder)
  --handlers MODULE    a JavaScript module exporting operation handlers (repeatable):
                       \`export const handlers = [...]\` or a default export
  --missions DIR       also register the missions in DIR (repeatable)
  --mode MODE          live | record | replay for llm_call (default: $LIFEOS_TEST_MODE, else live)
  --strict-replay      in replay mode, answer only from fixtures of the exact call id: a fixture
                       of the same call recorded at another commit (code_drift) or from another
                       version of the model (version_drift) is a replay miss
  --max-parallel N     run at most N instances of a read-only fan-out at once, over the
                       missions' own max_parallel (1: one at a time; the journal is the same)
  --llm-base-url URL   an OpenAI-compatible endpoint for llm_call (default: OpenRouter's; the
                       key is read from OPENROUTER_API_KEY)
  --no-fsync           do not fsync the journal after each entry (faster, less crash-safe)
  --embed-journal      completion bundles hold a copy of the journal, so each one verifies on
                       its own, away from its run folder (default: they name it by entry count
                       and head hash)
  --store BACKEND      lowdb | sqlite: the state store to use or create in .lifeos/ (default:
                       the one that exists, else lowdb)
  --sandbox MODE        auto | required | off: confine the coding agent and the test command
                       with bubblewrap (default: auto, which warns once when bwrap cannot run;
                       required refuses to start without it)
  --sandbox-writable DIR  a folder the coding agent may write besides its tree, e.g. its own
                       state folder (repeatable)
  --sandbox-readable PATH  a folder or file under /tmp the agent must read (the sandbox's /tmp
                       is private), e.g. its config (repeatable)
  --child-env NAME     pass this environment variable to the agent and the tests (repeatable;
                       by default they get PATH, HOME, locale and terminal, never keys)
  --surface PATTERN    a governance surface pattern besides the built-in ones, e.g. 'missions/**'
                       (repeatable; the baseline must list what it matches)
  --signing-key FILE   sign the anchor log with this Ed25519 key (\`lifeos-mission keygen\`;
                       default: $LIFEOS_SIGNING_KEY, else unsigned)
  --format text|json   output format (default: text, with progress lines)
  -h, --help           show this help`;

export interface EngineArgValues {
  repo?: string;
  handlers?: string[];
  missions?: string[];
  mode?: string;
  'strict-replay'?: boolean;
  'max-parallel'?: string;
  'llm-base-url'?: string;
  'no-fsync'?: boolean;
  'embed-journal'?: boolean;
  store?: string;
  sandbox?: string;
  'sandbox-writable'?: string[];
  'sandbox-readable'?: string[];
  'child-env'?: string[];
  surface?: string[];
  'signing-key'?: string;
}

export async function engineOptions(values: EngineArgValues, io: CliIO): Promise<Required<Pick<EngineOptions, 'repoRoot' | 'handlers' | 'registry' | 'fsync'>> & EngineOptions> {
  const mode = values.mode;
  if (mode !== undefined && mode !== 'live' && mode !== 'record' && mode !== 'replay') throw new UsageError(`--mode must be live, record or replay; got "${mode}"`);
  const handlers = await loadHandlerModules(values.handlers ?? []);
  const repoRoot = resolve(values.repo ?? '.');
  const base = withRepositoryRoles(createRegistry({ extend: defaultRegistry(), operations: handlers }), repoRoot);
  return {
    repoRoot,
    ...(values.store === undefined ? {} : { store: storeBackend(values.store) }),
    ...sandboxOptions(values),
    ...(values['child-env'] ? { childEnv: { allow: values['child-env'] } } : {}),
    ...(values.surface ? { governanceSurfaces: values.surface } : {}),
    ...(values['signing-key'] ? { signingKey: resolve(values['signing-key']) } : {}),
    handlers,
    registry: registryWithMissionDirs(values.missions, io, base),
    fsync: values['no-fsync'] !== true,
    ...(values['embed-journal'] ? { embedJournal: true } : {}),
    ...(mode ? { mode } : {}),
    ...(values['strict-replay'] ? { strictReplay: true } : {}),
    ...(values['max-parallel'] === undefined ? {} : { maxParallel: positiveInteger(values['max-parallel'], '--max-parallel') }),
    ...(values['llm-base-url'] ? { agent: { baseURL: values['llm-base-url'] } } : {}),
    ...(io.interrupts ? { signal: interruptSignal(io) } : {}),
  };
}

/**
 * The engine flags of this command as they must be given again to go on with the run it started
 * (`resume` needs the same handlers, missions, repository, mode and sandbox), shell-quoted, with a
 * leading space; empty when there are none. `--format` is left out: it is the caller's choice.
 */
export function resumeFlags(values: EngineArgValues): string {
  const quote = (text: string): string => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`);
  const flags: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (!RESUMED_FLAGS.has(name) || value === undefined || value === false) continue;
    for (const item of Array.isArray(value) ? value : [value]) flags.push(item === true ? `--${name}` : `--${name} ${quote(String(item))}`);
  }
  return flags.map((flag) => ` ${flag}`).join('');
}

const RESUMED_FLAGS: ReadonlySet<string> = new Set(['repo', 'handlers', 'missions', 'mode', 'strict-replay', 'llm-base-url', 'no-fsync', 'embed-journal', 'store', 'sandbox', 'sandbox-writable', 'sandbox-readable', 'child-env', 'surface', 'signing-key']);

function positiveInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw new UsageError(`${flag} must be a positive integer; got "${text}"`);
  return value;
}

/** `--sandbox MODE` and `--sandbox-writable DIR`. */
function sandboxOptions(values: EngineArgValues): Pick<EngineOptions, 'sandbox'> {
  const mode = values.sandbox ?? 'auto';
  if (mode !== 'auto' && mode !== 'required' && mode !== 'off') throw new UsageError(`--sandbox must be auto, required or off; got "${mode}"`);
  const writable = values['sandbox-writable']?.map((dir) => resolve(dir));
  const readable = values['sandbox-readable']?.map((path) => resolve(path));
  if (values.sandbox === undefined && !writable && !readable) return {};
  return { sandbox: { mode, ...(writable ? { writable } : {}), ...(readable ? { readable } : {}) } };
}

/** Ctrl-C (or SIGTERM) stops the run at the next operation boundary and rolls it back. */
function interruptSignal(io: CliIO): AbortSignal {
  const controller = new AbortController();
  io.interrupts?.(() => {
    io.stderr.write('\ninterrupted: stopping after the current operation and rolling back (interrupt again to kill the process)\n');
    controller.abort();
  });
  return controller.signal;
}
