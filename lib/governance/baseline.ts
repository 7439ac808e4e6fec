/**
 * The governance baseline (spec §2.3): `config/governance_baseline.yaml` lists every governance
 * surface with its sha256, as approved by the CEO under a council ruling. At mission start (and,
 * with the agent layer, before a role prompt is loaded) the surfaces on disk are hashed and
 * compared with it: a changed or missing file, or a new file matching a surface pattern that the
 * manifest does not list, is a mismatch, and the mission halts.
 *
 * `writeGovernanceBaseline` is the only writer of the manifest (`lifeos-mission baseline
 * --write`); the run path never writes it, and it is itself a protected path.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { hashCanonical, type Sha256 } from '../core/canonical.ts';
import { compilePattern, normalisePath } from '../core/path-rules.ts';
import { parseYaml } from '../core/yaml-source.ts';
import { yamlLibrary } from '../core/yaml-library.ts';

export const BASELINE_FILE = 'config/governance_baseline.yaml';

/** Spec §2.3 governance surfaces (hosts may add patterns, never remove these). */
export const BUILTIN_GOVERNANCE_SURFACES: readonly string[] = Object.freeze([
  'config/agent_roles/*.md',
  'config/models.yaml',
  'config/envelope_policy.yaml',
  'scripts/opencode_gate_policy.py',
  'runtime/orchestration/transforms/*.py',
  'docs/03_runtime/LifeOS_Autonomous_Build_Loop_Architecture_*.md',
  'GEMINI.md',
  'CLAUDE.md',
  'AGENTS.md',
  'docs/00_foundations/**',
  'docs/01_governance/**',
]);

export interface BaselineManifest {
  baseline_version: string;
  approved_by: string;
  council_ruling_ref: string;
  hash_algorithm: 'sha256';
  artifacts: Array<{ path: string; sha256: string }>;
}

export interface BaselineMismatch {
  path: string;
  /** The approved hash (hex); null for a surface the manifest does not list. */
  expected: string | null;
  /** The hash on disk (hex); null for a listed file that is missing. */
  actual: string | null;
  kind: 'changed' | 'missing' | 'unlisted' | 'manifest';
  detail: string;
}

export interface BaselineCheck {
  ok: boolean;
  mismatches: BaselineMismatch[];
  /** sha256 of the manifest file, or null when there is none. */
  baselineHash: Sha256 | null;
  /** The surfaces on disk and their hashes (hex), by path. */
  surfaces: Record<string, string>;
}

export interface BaselineOptions {
  repoRoot: string;
  /** Governance surface patterns added to the built-in ones. */
  governanceSurfaces?: readonly string[];
  /** Folders never searched for surfaces (the engine's own files). */
  exclude?: readonly string[];
}

/**
 * Compare the governance surfaces on disk with the approved manifest. Without a manifest, a
 * repository with no governance surfaces is fine; one with surfaces is not (each is unlisted).
 */
export function verifyGovernanceBaseline(options: BaselineOptions): BaselineCheck {
  const surfaces = hashSurfaces(options);
  const manifestPath = join(options.repoRoot, BASELINE_FILE);
  if (!existsSync(manifestPath)) {
    const mismatches = Object.entries(surfaces).map(([path, actual]) => unlisted(path, actual));
    return { ok: mismatches.length === 0, mismatches, baselineHash: null, surfaces };
  }
  const text = readFileSync(manifestPath);
  const baselineHash = `sha256:${createHash('sha256').update(text).digest('hex')}` as Sha256;
  const parsed = parseManifest(text.toString('utf8'));
  if (!parsed.ok) {
    return { ok: false, mismatches: parsed.problems.map((detail) => ({ path: BASELINE_FILE, expected: null, actual: null, kind: 'manifest', detail })), baselineHash, surfaces };
  }
  const mismatches: BaselineMismatch[] = [];
  const listed = new Set<string>();
  for (const artifact of parsed.manifest.artifacts) {
    listed.add(artifact.path);
    const actual = surfaces[artifact.path] ?? hashFile(join(options.repoRoot, artifact.path));
    if (actual === null) mismatches.push({ path: artifact.path, expected: artifact.sha256, actual: null, kind: 'missing', detail: 'listed in the baseline, missing on disk' });
    else if (actual !== artifact.sha256) mismatches.push({ path: artifact.path, expected: artifact.sha256, actual, kind: 'changed', detail: 'content differs from the approved baseline' });
  }
  for (const [path, actual] of Object.entries(surfaces)) if (!listed.has(path)) mismatches.push(unlisted(path, actual));
  return { ok: mismatches.length === 0, mismatches, baselineHash, surfaces };
}

/** Write a new manifest from the surfaces on disk: the CEO's approval of their current content. */
export function writeGovernanceBaseline(options: BaselineOptions & { approvedBy: string; councilRulingRef: string; now?: () => Date }): { path: string; artifacts: number; baselineHash: Sha256 } {
  if (!options.approvedBy.trim() || !options.councilRulingRef.trim()) throw new TypeError('a baseline needs who approved it and the council ruling it rests on');
  const surfaces = hashSurfaces(options);
  const manifest: BaselineManifest = {
    baseline_version: (options.now ?? (() => new Date()))().toISOString(),
    approved_by: options.approvedBy,
    council_ruling_ref: options.councilRulingRef,
    hash_algorithm: 'sha256',
    artifacts: Object.entries(surfaces).map(([path, sha256]) => ({ path, sha256 })),
  };
  const text = `# Governance baseline (spec §2.3). Written by \`lifeos-mission baseline --write\`; do not edit by hand.\n${yamlLibrary().stringify(manifest)}`;
  const path = join(options.repoRoot, BASELINE_FILE);
  writeFileSync(path, text);
  return { path, artifacts: manifest.artifacts.length, baselineHash: `sha256:${createHash('sha256').update(text).digest('hex')}` };
}

/** The hashes recorded in a run's first journal entry and its receipts. */
export function governanceRecord(check: BaselineCheck): { baseline_hash: Sha256 | null; surfaces_hash: Sha256 } {
  return { baseline_hash: check.baselineHash, surfaces_hash: hashCanonical(check.surfaces) };
}

function unlisted(path: string, actual: string): BaselineMismatch {
  return { path, expected: null, actual, kind: 'unlisted', detail: 'a governance surface the baseline does not list' };
}

/**
 * Every file matching a surface pattern, by path (a symlinked surface is hashed as what it points
 * to). Only folders that can hold a match are walked (the literal start of each pattern, any case),
 * never `.git` or the `exclude`d folders (the engine's own files, which change while it runs).
 */
function hashSurfaces(options: BaselineOptions): Record<string, string> {
  const sources = [...BUILTIN_GOVERNANCE_SURFACES, ...(options.governanceSurfaces ?? [])];
  const patterns = sources.map((p) => compilePattern(p, true));
  const scopes = sources.map(patternScope);
  const excluded = new Set((options.exclude ?? []).map((p) => p.toLowerCase()));
  const mayHoldMatch = (dir: string): boolean => {
    const folded = dir.toLowerCase();
    return scopes.some(({ folder, deep }) => folded === folder || folder.startsWith(`${folded}/`) || (deep && (folder === '' || folded.startsWith(`${folder}/`))));
  };
  const root = realpathSync(options.repoRoot);
  const found: Record<string, string> = {};
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return; // removed while we looked
    }
    for (const name of names) {
      const full = join(dir, name);
      const rel = relative(root, full).split(sep).join('/');
      if (name === '.git' || excluded.has(rel.toLowerCase())) continue;
      let isDirectory: boolean;
      try {
        isDirectory = lstatSync(full).isDirectory();
      } catch {
        continue; // removed while we looked
      }
      if (isDirectory) {
        if (mayHoldMatch(rel)) walk(full);
      } else if (patterns.some((p) => p.matches(rel))) {
        const hash = hashFile(full);
        if (hash !== null) found[rel] = hash;
      }
    }
  };
  walk(root);
  return found;
}

/**
 * Where a pattern's matches can be: its literal folder (lower-cased, `config/agent_roles` for
 * `config/agent_roles/*.md`), and whether they can also be deeper (a glob before the last
 * segment, or a last segment of `**`).
 */
function patternScope(pattern: string): { folder: string; deep: boolean } {
  const segments = pattern.replace(/^(\.\/)+/, '').replace(/\/+$/, '').split('/');
  const folder: string[] = [];
  for (const segment of segments.slice(0, -1)) {
    if (/[*?]/.test(segment)) return { folder: folder.join('/').toLowerCase(), deep: true };
    folder.push(segment);
  }
  return { folder: folder.join('/').toLowerCase(), deep: segments[segments.length - 1] === '**' };
}

function hashFile(path: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return null;
  }
}

function parseManifest(text: string): { ok: true; manifest: BaselineManifest } | { ok: false; problems: string[] } {
  const { value, diagnostics } = parseYaml(text, BASELINE_FILE);
  const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => `line ${d.line ?? '?'}: ${d.message}`);
  if (errors.length > 0) return { ok: false, problems: errors };
  const m = value as Partial<BaselineManifest> | null;
  const problems: string[] = [];
  if (!m || typeof m !== 'object') return { ok: false, problems: ['the manifest is not a mapping'] };
  if (m.hash_algorithm !== 'sha256') problems.push(`hash_algorithm must be "sha256"; got ${JSON.stringify(m.hash_algorithm)}`);
  for (const field of ['baseline_version', 'approved_by', 'council_ruling_ref'] as const) {
    if (typeof m[field] !== 'string' || m[field] === '') problems.push(`${field} is missing`);
  }
  if (!Array.isArray(m.artifacts)) problems.push('artifacts must be a list of { path, sha256 }');
  const seen = new Set<string>();
  for (const [i, artifact] of (Array.isArray(m.artifacts) ? m.artifacts : []).entries()) {
    const path = (artifact as { path?: unknown })?.path;
    const sha = (artifact as { sha256?: unknown })?.sha256;
    if (typeof path !== 'string') {
      problems.push(`artifacts[${i}].path is missing`);
      continue;
    }
    const normal = normalisePath(path, '/');
    if (path.startsWith('/') || !normal.ok || normal.path !== path) problems.push(`artifacts[${i}].path ${JSON.stringify(path)} must be relative, normalised, with / and without . or .. (${normal.ok ? `write ${JSON.stringify(normal.path)}` : normal.reason})`);
    if (seen.has(path)) problems.push(`artifacts[${i}].path ${JSON.stringify(path)} is listed twice`);
    seen.add(path);
    if (typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha)) problems.push(`artifacts[${i}].sha256 must be 64 lowercase hex digits`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, manifest: m as BaselineManifest };
}
