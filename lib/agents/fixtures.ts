/**
 * Replay fixtures (spec §5.1.2): `logs/agent_calls/cache/<call id>.yaml`, one per deterministic
 * call id, written in record mode and read in replay mode by this one module, so the two always
 * meet. A fixture that does not parse or lacks a field is an error naming the file, never skipped.
 * A replay miss says what the nearest recorded call differs in (role, prompt, packet fields).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, type Sha256 } from '../core/canonical.ts';
import { parsePacket } from './packets.ts';
import { parseYaml } from '../core/yaml-source.ts';
import { yamlLibrary } from '../core/yaml-library.ts';

export interface RequestSettings {
  temperature: number;
  max_tokens: number;
}

export interface Fixture {
  call_id_deterministic: Sha256;
  role: string;
  model_requested: string;
  model_version: string;
  input_packet_hash: Sha256;
  prompt_hash: Sha256;
  /** The input packet (redacted), so a miss can say which fields changed. */
  input_packet: unknown;
  response_content: string;
  response_packet: Record<string, unknown> | null;
  usage: { input_tokens: number; output_tokens: number };
  /**
   * Where the call was made, for the code-drift match (replay-match.ts): the step, the run id's
   * parts but the commit (`run_key`), and the commit. Fixtures recorded before these fields
   * existed match exactly or not at all.
   */
  node?: string;
  /** The request's settings: another temperature or token limit is another call, at any commit. */
  request?: RequestSettings;
  run_id?: Sha256;
  run_key?: Sha256;
  code_version?: string;
}

const REQUIRED: ReadonlyArray<keyof Fixture> = ['call_id_deterministic', 'role', 'model_requested', 'model_version', 'input_packet_hash', 'prompt_hash', 'response_content', 'usage'];

/** No fixture for a call in replay mode (spec §5.1.2): never falls through to a live call. */
export class ReplayMissError extends Error {
  constructor(
    readonly callId: string,
    readonly step: string,
    readonly nearest: { file: string; differences: string[] } | null,
    /** Set when a fixture matched all but the exact id, and strict replay refused it. */
    readonly refused?: string,
  ) {
    super(
      `replay miss at step ${step}: no fixture ${callId}${
        refused ? `; ${refused}` : nearest ? `; the nearest recorded call (${nearest.file}) differs in ${nearest.differences.join('; ')}` : '; no call of this role was recorded'
      }. Record it again with LIFEOS_TEST_MODE=record (and a key), or put back what changed`,
    );
    this.name = 'ReplayMissError';
  }
}

export class FixtureInvalid extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`replay fixture ${file} is invalid (${reason}); delete it and record it again`);
    this.name = 'FixtureInvalid';
  }
}

export function fixtureFile(cacheDir: string, callId: Sha256): string {
  return join(cacheDir, `${callId.slice('sha256:'.length)}.yaml`);
}

export function writeFixture(cacheDir: string, fixture: Fixture): string {
  mkdirSync(cacheDir, { recursive: true });
  const file = fixtureFile(cacheDir, fixture.call_id_deterministic);
  writeFileSync(file, `# lifeos-mission replay fixture (spec §5.1.2); written in record mode.\n${yamlLibrary().stringify(fixture, { lineWidth: 0 })}`);
  return file;
}

/** The fixture for a call id, or undefined if none was recorded. */
export function readFixture(cacheDir: string, callId: Sha256): Fixture | undefined {
  const file = fixtureFile(cacheDir, callId);
  if (!existsSync(file)) return undefined;
  const fixture = parseFixture(file);
  if (fixture.call_id_deterministic !== callId) throw new FixtureInvalid(file, `it records call ${fixture.call_id_deterministic}, not the ${callId} its name says`);
  return fixture;
}

/** The recorded call closest to the one missed, and how it differs. */
export function nearestFixture(fixtures: ReadonlyArray<{ file: string; fixture: Fixture }>, wanted: { role: string; model: string; prompt_hash: Sha256; input_packet: unknown; request?: RequestSettings }): { file: string; differences: string[] } | null {
  let best: { file: string; differences: string[]; score: number } | null = null;
  for (const { file, fixture } of fixtures) {
    const differences: string[] = [];
    if (fixture.role !== wanted.role) differences.push(`role (${fixture.role} recorded, ${wanted.role} now)`);
    if (fixture.model_requested !== wanted.model) differences.push(`model (${fixture.model_requested} recorded, ${wanted.model} mapped now in config/models.yaml)`);
    if (fixture.prompt_hash !== wanted.prompt_hash) differences.push(`the ${wanted.role} prompt (config/agent_roles/${wanted.role}.md changed since it was recorded)`);
    const fields = changedFields(fixture.input_packet, wanted.input_packet);
    if (fields.length > 0) differences.push(`input packet fields ${fields.join(', ')}`);
    if (fixture.request && wanted.request && !sameRequest(fixture.request, wanted.request)) {
      differences.push(`the request (temperature ${fixture.request.temperature}, max_tokens ${fixture.request.max_tokens} recorded; ${wanted.request.temperature} and ${wanted.request.max_tokens} now)`);
    }
    const score = (fixture.role === wanted.role ? 0 : 100) + (fixture.prompt_hash === wanted.prompt_hash ? 0 : 10) + fields.length;
    if (!best || score < best.score) best = { file, differences, score };
  }
  return best && best.score < 100 ? { file: best.file, differences: best.differences.length > 0 ? best.differences : ['nothing visible (the run id differs: another mission, other inputs or governance surfaces, or a fixture recorded before fixtures named their step)'] } : null;
}

export function sameRequest(a: RequestSettings, b: RequestSettings): boolean {
  return a.temperature === b.temperature && a.max_tokens === b.max_tokens;
}

/** Every fixture of the folder that parses, by file (one that does not is reported when its own call asks for it). */
export function readAllFixtures(cacheDir: string): Array<{ file: string; fixture: Fixture }> {
  if (!existsSync(cacheDir)) return [];
  const all: Array<{ file: string; fixture: Fixture }> = [];
  for (const name of readdirSync(cacheDir).filter((n) => n.endsWith('.yaml')).sort()) {
    const file = join(cacheDir, name);
    try {
      all.push({ file, fixture: parseFixture(file) });
    } catch {
      continue;
    }
  }
  return all;
}

function parseFixture(file: string): Fixture {
  const { value, diagnostics } = parseYaml(readFileSync(file, 'utf8'), file);
  const error = diagnostics.find((d) => d.severity === 'error');
  if (error) throw new FixtureInvalid(file, `line ${error.line ?? '?'}: ${error.message}`);
  const fixture = value as Partial<Fixture> | null;
  if (!fixture || typeof fixture !== 'object') throw new FixtureInvalid(file, 'not a mapping');
  const missing = REQUIRED.filter((field) => fixture[field] === undefined || fixture[field] === null);
  if (missing.length > 0) throw new FixtureInvalid(file, `missing ${missing.join(', ')}`);
  // A replay answers with response_content; response_packet is its packet, written out for
  // people. One edited without the other would be read one way and replayed another.
  if (typeof fixture.response_content !== 'string') throw new FixtureInvalid(file, 'response_content is not text');
  const parsed = parsePacket(fixture.response_content);
  if (canonicalJson(parsed.ok ? parsed.packet : null) !== canonicalJson(fixture.response_packet ?? null)) {
    throw new FixtureInvalid(file, 'its response_packet is not the packet its response_content holds: a replay answers with response_content, so edit that (and response_packet to match)');
  }
  return fixture as Fixture;
}

/** Top-level fields that differ between two packets (`(the whole packet)` if either is not a mapping). */
function changedFields(recorded: unknown, now: unknown): string[] {
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isMap(recorded) || !isMap(now)) return JSON.stringify(recorded) === JSON.stringify(now) ? [] : ['(the whole packet)'];
  const keys = [...new Set([...Object.keys(recorded), ...Object.keys(now)])].sort();
  return keys.filter((key) => JSON.stringify(recorded[key]) !== JSON.stringify(now[key]));
}
