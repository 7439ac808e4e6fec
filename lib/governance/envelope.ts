/**
 * Path envelopes (spec §5.2.1): `validatePathAccess` runs the five checks on a requested path,
 * against the file system as it is now (nothing below the root is cached, so calling it again at
 * the moment of use is the TOCTOU re-check; the root itself is resolved on every call unless the
 * caller passes it resolved once for a batch of checks, `root`, see resolveRepoRoot):
 *
 *   1. realpath containment  the path, with every symlink of its existing part resolved, stays
 *                            in the repository (a symlink loop or an unreadable folder denies)
 *   2. symlink rejection     with `reject_symlinks`, no component below the root is a symlink
 *   3. allow list            the path (as requested and as resolved) matches an allowed pattern;
 *                            an empty or missing list allows nothing
 *   4. deny list             neither form matches a denied pattern or lies below one (first)
 *   5. protected paths       for writes: neither form is a self-modification-protected path
 *
 * It never throws for a bad path: every problem is a denial with its reason, and the evidence
 * has every field filled (null where a check did not get that far).
 */
import { lstatSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { compilePattern, firstMatch, matchesSelfOrParent, normalisePath, type CompiledPattern } from '../core/path-rules.ts';
import type { Envelope } from '../core/types.ts';
import { ProtectedPaths } from './protected-paths.ts';

export type AccessOperation = 'read' | 'write' | 'delete' | 'create';

export interface PathAccessEvidence {
  requested: string;
  operation: AccessOperation;
  repo_root: string;
  /** Lexical normal form, relative to the root; null if the request could not be normalised. */
  normalized: string | null;
  /** With symlinks resolved (the existing part of the path), relative to the root. */
  resolved: string | null;
  /** Components below the root that are symlinks. */
  symlinks: string[] | null;
  exists: boolean | null;
  is_directory: boolean | null;
  matched_allow: string | null;
  matched_deny: string | null;
  matched_protected: string | null;
  /** The check that decided: normalise, containment, symlink, write_target, protected, deny, allow, or ok. */
  decided_by: string;
  checked_at: string;
}

export interface PathAccessResult {
  allowed: boolean;
  reason: string;
  evidence: PathAccessEvidence;
}

export interface PathAccessOptions {
  repoRoot: string;
  /**
   * The repository root as the caller resolved it once (resolveRepoRoot), for many checks in a
   * row, so that each does not resolve it again; used only when it was resolved from this
   * `repoRoot`. Default: the root is resolved on every call.
   */
  root?: ResolvedRoot | undefined;
  /** Added to the built-in protected paths (never replaces them). */
  protectedPaths?: readonly string[];
  /** Clock for `checked_at` (audit only). */
  now?: () => Date;
}

/** A repository root and where it led, its symlinks resolved, when resolveRepoRoot was called. */
export interface ResolvedRoot {
  readonly given: string;
  readonly real: string;
}

/**
 * Resolve the repository root once, for the `root` option of the checks that follow. Checks
 * given it do not see the root re-pointed after this call (a symlink on its path moved to
 * another folder), so it is taken per run, or per batch of checks, never kept for the process;
 * writeGuarded refuses to write when the root no longer leads where its check saw it lead.
 */
export function resolveRepoRoot(repoRoot: string): ResolvedRoot {
  return Object.freeze({ given: repoRoot, real: realRoot(repoRoot) });
}

const WRITES: ReadonlySet<AccessOperation> = new Set(['write', 'delete', 'create']);

export function validatePathAccess(requestedPath: string, operation: AccessOperation, envelope: Envelope | null | undefined, options: PathAccessOptions): PathAccessResult {
  const root = options.root !== undefined && options.root.given === options.repoRoot ? options.root.real : realRoot(options.repoRoot);
  const evidence: PathAccessEvidence = {
    requested: requestedPath,
    operation,
    repo_root: root,
    normalized: null,
    resolved: null,
    symlinks: null,
    exists: null,
    is_directory: null,
    matched_allow: null,
    matched_deny: null,
    matched_protected: null,
    decided_by: 'normalise',
    checked_at: (options.now ? options.now() : new Date()).toISOString(),
  };

  const normal = normalisePath(throughRoot(requestedPath, options.repoRoot, root), root);
  if (!normal.ok) return denial(evidence, 'normalise', normal.reason);
  evidence.normalized = normal.path;
  const writes = WRITES.has(operation);
  if (writes && normal.path === '') return denial(evidence, 'write_target', `cannot ${operation} the repository root itself (an empty path or ".")`);

  // 1 and 2: resolve the existing part of the path, noting every symlink on the way.
  const walk = resolveExisting(root, normal.path);
  if ('error' in walk) return denial(evidence, 'containment', walk.error);
  evidence.resolved = walk.resolved;
  evidence.symlinks = walk.symlinks;
  evidence.exists = walk.exists;
  evidence.is_directory = walk.isDirectory;
  if (walk.resolved === null) return denial(evidence, 'containment', `the path resolves outside the repository (through the symlink ${walk.symlinks.join(', ')})`);
  if (envelope?.reject_symlinks && walk.symlinks.length > 0) return denial(evidence, 'symlink', `the path goes through a symlink (${walk.symlinks.join(', ')}) and the envelope rejects symlinks`);
  if (writes && normal.trailingSlash && walk.exists && !walk.isDirectory) return denial(evidence, 'write_target', 'the path ends with / but names a file');
  if (writes && walk.exists && walk.isDirectory && operation === 'write') return denial(evidence, 'write_target', 'the path names a folder, not a file');

  const forms = walk.resolved === normal.path ? [normal.path] : [normal.path, walk.resolved];
  // 5 (first for writes): self-modification protection.
  if (writes) {
    const protectedPaths = protectedSet(options.protectedPaths);
    for (const form of forms) {
      const hit = protectedPaths.match(form);
      if (hit !== undefined) {
        evidence.matched_protected = hit;
        return denial(evidence, 'protected', `${form} is protected from modification (${hit}); governance surfaces change only through a council ruling`);
      }
    }
  }
  // 4: deny before allow.
  const { denied, allowed } = compiledEnvelope(envelope);
  for (const form of forms) {
    const hit = matchesSelfOrParent(denied, form);
    if (hit !== undefined) {
      evidence.matched_deny = hit;
      return denial(evidence, 'deny', `${form} matches the denied pattern ${JSON.stringify(hit)}`);
    }
  }
  // 3: allow list; both the requested and the resolved form must be allowed.
  if (allowed.length === 0) return denial(evidence, 'allow', 'the envelope allows no paths (allowed_paths is empty)');
  for (const form of forms) {
    const hit = firstMatch(allowed, form);
    if (hit === undefined) return denial(evidence, 'allow', `${form} matches none of the allowed patterns (${allowed.map((p) => JSON.stringify(p.pattern)).join(', ')})`);
    evidence.matched_allow = hit;
  }
  evidence.decided_by = 'ok';
  return { allowed: true, reason: `allowed by ${JSON.stringify(evidence.matched_allow)}`, evidence };
}

// The evidence object is this call's own: it is completed in place, not copied.
function denial(evidence: PathAccessEvidence, decidedBy: string, reason: string): PathAccessResult {
  evidence.decided_by = decidedBy;
  return { allowed: false, reason, evidence };
}

// Patterns are compiled once per envelope object and protected list; the file system is never cached.
const compiledEnvelopes = new WeakMap<Envelope, { denied: CompiledPattern[]; allowed: CompiledPattern[] }>();
const protectedSets = new Map<string, ProtectedPaths>();

function compiledEnvelope(envelope: Envelope | null | undefined): { denied: CompiledPattern[]; allowed: CompiledPattern[] } {
  if (!envelope) return { denied: [], allowed: [] };
  let compiled = compiledEnvelopes.get(envelope);
  if (!compiled) {
    compiled = { denied: (envelope.denied_paths ?? []).map((p) => compilePattern(p, true)), allowed: (envelope.allowed_paths ?? []).map((p) => compilePattern(p, false)) };
    compiledEnvelopes.set(envelope, compiled);
  }
  return compiled;
}

const builtinProtected = new ProtectedPaths();

function protectedSet(extra: readonly string[] = []): ProtectedPaths {
  if (extra.length === 0) return builtinProtected;
  const key = JSON.stringify(extra);
  let set = protectedSets.get(key);
  if (!set) {
    set = new ProtectedPaths(extra);
    protectedSets.set(key, set);
  }
  return set;
}

/**
 * An absolute request given through the root as the host named it (`~/src/docs/a.md` with the
 * repository opened as `~/src`, a symlink to `/data/src`) is taken relative to the real root.
 */
function throughRoot(requested: string, given: string, root: string): string {
  if (typeof requested !== 'string' || !requested.startsWith('/') || given === root) return requested;
  const prefix = given.replace(/\/+$/, '');
  return requested === prefix || requested.startsWith(`${prefix}/`) ? `${root}${requested.slice(prefix.length)}` : requested;
}

function realRoot(repoRoot: string): string {
  try {
    return realpathSync.native(repoRoot);
  } catch {
    return repoRoot;
  }
}

const NO_THROW = { throwIfNoEntry: false } as const;

type Walk = { resolved: string | null; symlinks: string[]; exists: boolean; isDirectory: boolean } | { error: string };

/**
 * Follow `path` below `root` one component at a time: each existing component is lstat'ed (a
 * symlink is noted and resolved with realpath), and the first missing one ends the walk (the
 * rest is appended as it is). `resolved` is null when a symlink leads outside the root.
 */
function resolveExisting(root: string, path: string): Walk {
  const segments = path === '' ? [] : path.split('/');
  const symlinks: string[] = [];
  let current = root;
  // `current` relative to the root, `/`-separated (what relative(root, current) gives).
  let base = '';
  for (let i = 0; i < segments.length; i++) {
    // Segments of a normalised path are single names (never '', '.' or '..'): no join() needed.
    const next = current === '/' ? `/${segments[i] as string}` : `${current}/${segments[i] as string}`;
    let stat;
    try {
      // A missing component is common (a file to create) and ends the walk: no exception for it.
      stat = lstatSync(next, NO_THROW);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTDIR') return { error: `cannot check ${segments.slice(0, i + 1).join('/')}: ${code ?? (error as Error).message}` };
    }
    if (stat === undefined) {
      const rest = segments.slice(i).join('/');
      return { resolved: base === '' ? rest : `${base}/${rest}`, symlinks, exists: false, isDirectory: false };
    }
    if (stat.isSymbolicLink()) {
      symlinks.push(segments.slice(0, i + 1).join('/'));
      let target: string;
      try {
        target = realpathSync.native(next);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ELOOP') return { error: `${segments.slice(0, i + 1).join('/')} is a symlink loop` };
        if (code !== 'ENOENT') return { error: `cannot resolve ${segments.slice(0, i + 1).join('/')}: ${code ?? (error as Error).message}` };
        // A dangling symlink: writing through it would create its target, wherever that is.
        return { error: `${segments.slice(0, i + 1).join('/')} is a dangling symlink` };
      }
      const inside = relative(root, target);
      if (inside.startsWith('..') || isAbsolute(inside)) return { resolved: null, symlinks, exists: true, isDirectory: false };
      current = target;
      base = inside.split(sep).join('/');
      if (i === segments.length - 1) {
        let isDirectory = false;
        try {
          isDirectory = lstatSync(target).isDirectory();
        } catch {
          // Checked by realpath just now; a race leaves it a non-directory.
        }
        return { resolved: base, symlinks, exists: true, isDirectory };
      }
      continue;
    }
    current = next;
    // A segment of a normalised path: one name, never '', '.' or '..'.
    base = base === '' ? (segments[i] as string) : `${base}/${segments[i] as string}`;
    if (i === segments.length - 1) return { resolved: base, symlinks, exists: true, isDirectory: stat.isDirectory() };
    if (!stat.isDirectory()) {
      const rest = segments.slice(i + 1).join('/');
      return { resolved: `${base}/${rest}`, symlinks, exists: false, isDirectory: false };
    }
  }
  return { resolved: '', symlinks, exists: true, isDirectory: true };
}

/**
 * Whether writing `path` would modify a protected path (spec §2.4), checked as
 * validatePathAccess checks it: normalised, symlinks resolved, case-insensitive. Fail-closed: a
 * path that cannot be normalised or resolved, or lies outside the repository, counts as protected.
 */
export function isProtectedPath(path: string, options: PathAccessOptions): boolean {
  return !validatePathAccess(path, 'write', { allowed_paths: ['**'] }, options).allowed;
}
