/**
 * Host code the CLI loads: `--handlers MODULE` (operation handlers, as `run` takes them and
 * `validate` checks their params against) and `--registry MODULE` (a whole registry: host
 * operations, missions and the vocabulary of their tools, schemas and transforms).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Registry } from '../core/registry.ts';
import type { OperationHandler } from '../operations/handler.ts';
import { UsageError } from './io.ts';
import { importModule } from '../core/import-module.ts';

export async function loadHandlerModules(specs: readonly string[]): Promise<OperationHandler[]> {
  const handlers: OperationHandler[] = [];
  for (const spec of specs) {
    const module = await importHostModule('--handlers', spec);
    const exported = module.handlers ?? module.default;
    const list = Array.isArray(exported) ? exported : exported === undefined ? [] : [exported];
    if (list.length === 0) throw new UsageError(`--handlers ${spec} exports no handlers; export \`handlers\` (an array) or a default handler`);
    for (const [index, handler] of list.entries()) {
      const h = handler as Partial<OperationHandler> | null;
      if (!h || typeof h.type !== 'string' || typeof h.execute !== 'function') {
        throw new UsageError(`--handlers ${spec}: handler ${index} is not an operation handler (it needs a string \`type\` and an \`execute\` function; see defineOperation)`);
      }
      handlers.push(h as OperationHandler);
    }
  }
  return handlers;
}

/** The registry a module exports (`registry`, or its default), made with createRegistry. */
export async function loadRegistryModule(spec: string): Promise<Registry> {
  const module = await importHostModule('--registry', spec);
  const registry = (module.registry ?? module.default) as Partial<Registry> | undefined;
  if (!registry || !(registry.operations instanceof Map) || typeof registry.missions?.get !== 'function') {
    throw new UsageError(`--registry ${spec} exports no registry; export \`registry\` (or a default) made with createRegistry()`);
  }
  return registry as Registry;
}

async function importHostModule(flag: string, spec: string): Promise<Record<string, unknown>> {
  try {
    return (await importModule(pathToFileURL(resolve(spec)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`cannot load ${flag} ${spec}: ${(error as Error).message}`);
  }
}
