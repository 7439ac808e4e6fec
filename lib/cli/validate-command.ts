/**
 * `lifeos-mission validate [files|folders...]`: check missions, report every problem at once.
 * Files are validated together, so they may name each other in `kind: mission` steps.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createRegistry, type Registry } from '../core/registry.ts';
import { defaultRegistry, readMissionFiles, validateMissionFiles } from '../runtime/mission-library.ts';
import { withRepositoryRoles } from '../runtime/vocabulary.ts';
import { EXIT, parseFormat, UsageError, type CliIO, type Command } from './io.ts';
import { registryWithMissionDirs } from './registry-options.ts';
import { printReports } from './report.ts';

export const VALIDATE_USAGE = `Usage: lifeos-mission validate [files|folders...] [options]

Checks mission YAML against Mission Schema v1.0 and the semantic rules (references, operations,
nested missions, conditions). Folders are searched for *.yaml and *.yml. Without arguments,
validates ./missions.

Options:
  --format text|json|github   output format (default: text; github prints workflow annotations)
  --missions DIR              also register the missions in DIR (repeatable)
  --handlers MODULE           register the host operations a module exports, as run does, and
                              check the steps' params against their paramsSchema (repeatable)
  --registry MODULE           start from the registry a module exports (createRegistry())
  -h, --help                  show this help

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 usage error or unreadable path.
`;

/** The registry with the host's operations, loaded only when asked for (validate starts fast without them). */
async function hostRegistry(registryModule: string | undefined, handlerModules: readonly string[] | undefined): Promise<Registry> {
  if (registryModule === undefined && handlerModules === undefined) return defaultRegistry();
  const { loadHandlerModules, loadRegistryModule } = await import('./handler-modules.ts');
  const base = registryModule === undefined ? defaultRegistry() : await loadRegistryModule(registryModule);
  return createRegistry({ extend: base, operations: await loadHandlerModules(handlerModules ?? []) });
}

export async function validateCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      missions: { type: 'string', multiple: true },
      handlers: { type: 'string', multiple: true },
      registry: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(VALIDATE_USAGE);
    return EXIT.ok;
  }
  const format = parseFormat(values.format, ['text', 'json', 'github']);
  const paths = positionals.length > 0 ? positionals : existsSync('missions') ? ['missions'] : [];
  if (paths.length === 0) throw new UsageError('name the mission files or folders to validate (there is no ./missions folder)');
  // Inside a repository, roles are checked against its own prompts.
  const registry = withRepositoryRoles(registryWithMissionDirs(values.missions, io, await hostRegistry(values.registry, values.handlers)), process.cwd());
  const { files, problems } = readMissionFiles(paths);
  if (files.length === 0 && problems.length === 0) throw new UsageError(`no *.yaml or *.yml mission files in ${paths.join(', ')}`);
  const { reports } = validateMissionFiles(files, registry);
  const total = printReports([...problems, ...reports], format, io);
  // A path that cannot be read is the caller's mistake; a file that is not UTF-8 is a bad mission file.
  if (problems.some((problem) => problem.diagnostics.some((d) => d.code === 'E_FILE'))) return EXIT.usage;
  return total.errors > 0 ? EXIT.failed : EXIT.ok;
}

export const command: Command = { run: validateCommand, usage: VALIDATE_USAGE };
