/**
 * The language front end: YAML text (or an object) -> schema check -> semantic checks ->
 * a Mission, with every diagnostic at once. Pure: the registry of operations and missions is
 * passed in (the runtime's mission library supplies the default one).
 */
import { hasErrors, sortDiagnostics, type Locator } from './diagnostics.ts';
import type { Registry } from './registry.ts';
import { checkSchema } from './schema.ts';
import { checkSemantics } from './semantics.ts';
import type { Diagnostic, Mission } from './types.ts';
import { parseYaml, type ParsedYaml } from './yaml-source.ts';

export interface AnalyseOptions {
  /** Shown in diagnostics (`file:line:col`). */
  filename?: string | undefined;
  /** Operations and missions that steps may name. */
  registry: Registry;
}

export type LoadResult =
  | { ok: true; mission: Mission; diagnostics: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };

/** Where a loaded mission came from, for later messages (plan steps, replay misses). */
export interface MissionSource {
  file?: string;
  locate: Locator;
}

const sources = new WeakMap<Mission, MissionSource>();

/** The file and locator of a mission returned by loadMission, if it came from text. */
export function missionSource(mission: Mission): MissionSource | undefined {
  return sources.get(mission);
}

/**
 * Parse and validate YAML text, a parsed document (parseYaml's result, to avoid parsing twice)
 * or a mission object. `ok` is true only when there is no error (warnings may remain).
 */
export function analyseMission(input: string | ParsedYaml | object, options: AnalyseOptions): LoadResult {
  const file = options.filename;
  const parsed = typeof input === 'string' ? parseYaml(input, file) : isParsedYaml(input) ? input : undefined;
  const value: unknown = parsed ? parsed.value : input;
  const locate: Locator | undefined = parsed?.locate;
  const diagnostics: Diagnostic[] = [...(parsed?.diagnostics ?? [])];
  if (value === undefined) return { ok: false, diagnostics: sortDiagnostics(diagnostics) };
  diagnostics.push(...checkSchema(value, locate, file));
  diagnostics.push(...checkSemantics(value, { registry: options.registry, locate, file }));
  sortDiagnostics(diagnostics);
  if (hasErrors(diagnostics)) return { ok: false, diagnostics };
  const mission = value as Mission;
  if (locate) sources.set(mission, file === undefined ? { locate } : { file, locate });
  return { ok: true, mission, diagnostics };
}

// A mission object never holds a function (YAML cannot produce one), so this cannot misfire.
function isParsedYaml(input: unknown): input is ParsedYaml {
  if (input === null || typeof input !== 'object') return false;
  const candidate = input as Partial<ParsedYaml>;
  return typeof candidate.locate === 'function' && Array.isArray(candidate.diagnostics);
}
