/**
 * Missions on disk: reading mission files and folders, registering them so they can name each
 * other in `kind: mission` steps, and the default registry (built-in operations + the built-in
 * missions of this package's missions/ folder). The public loadMission / validateMission /
 * planMission wrap the pure core with that default registry.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { diagnostic } from '../core/diagnostics.ts';
import { MissionValidationError } from '../core/errors.ts';
import { analyseMission, type LoadResult } from '../core/load.ts';
import type { ExecutionPlan } from '../core/plan-model.ts';
import { planMission as planWithRegistry } from '../core/plan.ts';
import { createRegistry, LayeredMap, type MissionEntry, type Registry } from '../core/registry.ts';
import { checkSchema } from '../core/schema.ts';
import type { Diagnostic, Mission } from '../core/types.ts';
import { parseYaml, type ParsedYaml } from '../core/yaml-source.ts';
import { packageRoot } from './package-root.ts';
import { builtinVocabulary } from './vocabulary.ts';

/** The package's built-in missions (design, review, build, steward, autonomous_build_cycle). */
export const BUILTIN_MISSIONS_DIR = join(packageRoot(), 'missions');

const MISSION_EXTENSIONS = new Set(['.yaml', '.yml']);

export interface MissionFile {
  file: string;
  text: string;
}

export interface FileReport {
  file: string;
  /** The mission name, when the file got far enough to have one. */
  mission?: string;
  diagnostics: Diagnostic[];
}

/**
 * Read mission files; folders are searched recursively for *.yaml / *.yml, in sorted order.
 * Paths that cannot be read are reported (E_FILE), not thrown.
 */
export function readMissionFiles(paths: readonly string[]): { files: MissionFile[]; problems: FileReport[] } {
  const files: MissionFile[] = [];
  const problems: FileReport[] = [];
  const visit = (path: string, explicit: boolean): void => {
    try {
      if (statSync(path).isDirectory()) {
        for (const name of readdirSync(path).sort()) {
          const child = join(path, name);
          if (statSync(child).isDirectory() || MISSION_EXTENSIONS.has(extname(name))) visit(child, false);
        }
        return;
      }
      if (explicit || MISSION_EXTENSIONS.has(extname(path))) {
        const decoded = decodeUtf8(readFileSync(path));
        if (decoded.ok) files.push({ file: path, text: decoded.text });
        else {
          const message = `the file is not valid UTF-8: the byte at offset ${decoded.offset} starts no character`;
          problems.push({ file: path, diagnostics: [{ ...diagnostic('E_FILE_ENCODING', { path: '' }, message, { file: path, hint: 'save the file as UTF-8' }), line: decoded.line, column: 1 }] });
        }
      }
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (error as Error).message;
      problems.push({ file: path, diagnostics: [diagnostic('E_FILE', { path: '' }, `cannot read ${path}: ${reason}`, { file: path })] });
    }
  };
  for (const path of paths) visit(path, true);
  return { files, problems };
}

/** The bytes as UTF-8 text, or where the first byte that starts no character is (0-based offset, 1-based line). */
function decodeUtf8(bytes: Buffer): { ok: true; text: string } | { ok: false; offset: number; line: number } {
  const strict = new TextDecoder('utf-8', { fatal: true });
  try {
    return { ok: true, text: strict.decode(bytes) };
  } catch {
    let at = 0;
    while (at < bytes.length) {
      const lead = bytes[at] as number;
      const length = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
      try {
        strict.decode(bytes.subarray(at, at + length));
      } catch {
        break;
      }
      at += length;
    }
    return { ok: false, offset: at, line: bytes.subarray(0, at).filter((byte) => byte === 0x0a).length + 1 };
  }
}

/**
 * Validate a set of mission files together: each may name the others (and the base registry's
 * missions) in `kind: mission` steps. Returns one report per file and the registry with every
 * valid mission of the set added.
 */
export function validateMissionFiles(files: readonly MissionFile[], base: Registry = defaultRegistry()): { reports: FileReport[]; registry: Registry } {
  // First pass: register every schema-valid mission, so references do not depend on file order.
  const parsed = files.map(({ file, text }) => ({ file, document: parseYaml(text, file) }));
  const candidates: MissionEntry[] = [];
  for (const { file, document } of parsed) {
    const { value, locate } = document;
    if (value !== undefined && checkSchema(value, locate, file).length === 0) candidates.push({ mission: value as Mission, file });
  }
  const draft = createRegistry({ extend: base, missions: candidates });
  const reports: FileReport[] = [];
  const valid: MissionEntry[] = [];
  for (const { file, document } of parsed) {
    const result = analyseMission(document, { filename: file, registry: draft });
    const diagnostics = [...result.diagnostics, ...sameNameElsewhere(file, document, candidates)];
    const name = candidates.find((entry) => entry.file === file)?.mission.mission;
    reports.push(name === undefined ? { file, diagnostics } : { file, mission: name, diagnostics });
    if (result.ok && !diagnostics.some((d) => d.severity === 'error')) valid.push({ mission: result.mission, file });
  }
  return { reports, registry: createRegistry({ extend: base, missions: valid }) };
}

/** A mission name defined by two files of one set would make `kind: mission` ambiguous. */
function sameNameElsewhere(file: string, document: ParsedYaml, candidates: readonly MissionEntry[]): Diagnostic[] {
  const name = candidates.find((entry) => entry.file === file)?.mission.mission;
  const other = candidates.find((entry) => entry.file !== file && entry.mission.mission === name);
  if (name === undefined || !other) return [];
  return [
    diagnostic('E_DUPLICATE_ID', { path: '/mission' }, `mission "${name}" is also defined in ${other.file}`, {
      hint: 'give each mission file its own mission name',
      locate: document.locate,
      file,
    }),
  ];
}

let builtinMissions: ReadonlyMap<string, MissionEntry> | undefined;

/** The built-in missions, read and validated on first use; a broken one is a packaging bug. */
function loadBuiltinMissions(): ReadonlyMap<string, MissionEntry> {
  if (builtinMissions) return builtinMissions;
  const { files, problems } = readMissionFiles([BUILTIN_MISSIONS_DIR]);
  // Label built-ins by package path, so plans and messages do not depend on the install folder.
  const labelled = files.map(({ file, text }) => ({ file: `lifeos-mission/missions/${basename(file)}`, text }));
  const { reports, registry } = validateMissionFiles(labelled, createRegistry());
  const errors = [...problems, ...reports].flatMap((report) => report.diagnostics).filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new MissionValidationError(errors, `built-in missions in ${BUILTIN_MISSIONS_DIR}`);
  builtinMissions = registry.missions;
  return builtinMissions;
}

const builtinRegistry: Registry = {
  operations: createRegistry().operations,
  missions: new LayeredMap(new Map(), loadBuiltinMissions),
  // Read on first use, like the missions.
  get vocabulary() {
    return builtinVocabulary();
  },
};

/**
 * Built-in operations and missions. The missions are read only when a look-up needs them, so
 * validating files that name only each other never reads them.
 */
export function defaultRegistry(): Registry {
  return builtinRegistry;
}

export interface LoadMissionOptions {
  /** Shown in diagnostics as `file:line:col`. Default: none. */
  filename?: string;
  /** Operations and missions that steps may name. Default: defaultRegistry(). */
  registry?: Registry;
}

/** Parse and validate mission YAML. `ok` is false when any error was found; all are listed. */
export function loadMission(text: string, options: LoadMissionOptions = {}): LoadResult {
  return analyseMission(text, { filename: options.filename, registry: options.registry ?? defaultRegistry() });
}

/** Every diagnostic for mission YAML text or an already-parsed mission object. */
export function validateMission(textOrObject: string | object, options: LoadMissionOptions = {}): Diagnostic[] {
  return analyseMission(textOrObject, { filename: options.filename, registry: options.registry ?? defaultRegistry() }).diagnostics;
}

export interface PlanMissionOptions {
  /** Input values by name. Default: none (declared defaults apply). */
  inputs?: Record<string, unknown>;
  /** Default: defaultRegistry(). */
  registry?: Registry;
  /** The most operations the plan may expand to (default 10,000). */
  maxOperations?: number;
}

/** Expand a mission into its ExecutionPlan; throws MissionValidationError listing every problem. */
export function planMission(mission: Mission, options: PlanMissionOptions = {}): ExecutionPlan {
  return planWithRegistry(mission, { inputs: options.inputs ?? {}, registry: options.registry ?? defaultRegistry(), ...(options.maxOperations === undefined ? {} : { maxOperations: options.maxOperations }) });
}

/**
 * A mission by file path or by registered name. A file's own mission replaces a registered
 * one of the same name (so a changed copy of a built-in mission plans as written).
 */
export function resolveMission(fileOrName: string, registry: Registry = defaultRegistry()): { mission?: Mission; registry: Registry; diagnostics: Diagnostic[] } {
  const isFile = MISSION_EXTENSIONS.has(extname(fileOrName)) || fileOrName.includes('/');
  if (!isFile) {
    const entry = registry.missions.get(fileOrName);
    if (entry) return { mission: entry.mission, registry, diagnostics: [] };
  }
  const { files, problems } = readMissionFiles([fileOrName]);
  if (problems.length > 0 && !isFile) {
    const known = [...registry.missions.keys()].join(', ');
    return { registry, diagnostics: [diagnostic('E_FILE', { path: '' }, `"${fileOrName}" is neither a registered mission (${known}) nor a file`)] };
  }
  if (problems.length > 0) return { registry, diagnostics: problems.flatMap((problem) => problem.diagnostics) };
  if (files.length !== 1) {
    return { registry, diagnostics: [diagnostic('E_FILE', { path: '' }, `${fileOrName} holds ${files.length} mission files; name one`)] };
  }
  const { reports, registry: extended } = validateMissionFiles(files, registry);
  const report = reports[0] as FileReport;
  const mission = report.mission === undefined ? undefined : extended.missions.get(report.mission)?.mission;
  const failed = report.diagnostics.some((d) => d.severity === 'error');
  return mission && !failed ? { mission, registry: extended, diagnostics: report.diagnostics } : { registry, diagnostics: report.diagnostics };
}
