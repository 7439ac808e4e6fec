/**
 * `--missions DIR` (repeatable): extra mission folders whose missions the checked or planned
 * mission may name in `kind: mission` steps, on top of the built-in ones.
 */
import type { Registry } from '../core/registry.ts';
import { defaultRegistry, readMissionFiles, validateMissionFiles } from '../runtime/mission-library.ts';
import type { CliIO } from './io.ts';
import { UsageError } from './io.ts';

export function registryWithMissionDirs(dirs: readonly string[] | undefined, io: CliIO, base: Registry = defaultRegistry()): Registry {
  if (!dirs || dirs.length === 0) return base;
  const { files, problems } = readMissionFiles(dirs);
  if (problems.length > 0) throw new UsageError(problems.flatMap((p) => p.diagnostics.map((d) => d.message)).join('; '));
  const { reports, registry } = validateMissionFiles(files, base);
  const broken = reports.filter((report) => report.diagnostics.some((d) => d.severity === 'error'));
  for (const report of broken) {
    io.stderr.write(`note: ${report.file} has errors and is not registered; run \`lifeos-mission validate ${report.file}\`\n`);
  }
  return registry;
}
