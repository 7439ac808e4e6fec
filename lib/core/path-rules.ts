/**
 * Paths as the governance guards see them (spec §2.4, §5.2.1), as pure functions: one lexical
 * normal form for a requested path, and glob patterns with real semantics. The file system side
 * (symlinks, realpath) is lib/governance/; everything here is decided from strings alone.
 *
 * A requested path is normalised before anything is checked, so that `docs/../config/x`,
 * `docs//x`, `./x` and a decomposed Unicode name are checked as the path they really name.
 * Backslashes and NUL are rejected rather than interpreted: `docs\..\..\etc\passwd` is one
 * file name to POSIX and a traversal to Windows, and a guard must not guess which.
 *
 * Patterns: `*` and `?` stay within one path segment, `**` spans zero or more whole segments,
 * a pattern without glob characters names a file or a folder and everything below it, and a
 * trailing `/` is ignored. Deny and protected patterns match case-insensitively (fail-closed:
 * `CONFIG/models.yaml` is the same file on a case-insensitive file system); allow patterns
 * match case-sensitively (also fail-closed: a case variant is not allowed by accident).
 */

export type NormalisedPath =
  | {
      ok: true;
      /** Relative to the repository root, `/`-separated, NFC; `''` is the root itself. */
      path: string;
      /** The request ended with `/` (it names a folder). */
      trailingSlash: boolean;
    }
  | { ok: false; reason: string };

/**
 * Normalise a requested path relative to `root` (an absolute, normalised folder). An absolute
 * path is accepted only below `root`; `..` may not climb above it.
 */
export function normalisePath(requested: string, root: string): NormalisedPath {
  if (typeof requested !== 'string') return { ok: false, reason: 'the path is not a string' };
  if (requested.includes('\0')) return { ok: false, reason: 'the path contains a NUL byte' };
  if (requested.includes('\\')) return { ok: false, reason: 'the path contains a backslash; use / as the separator' };
  const text = requested.normalize('NFC');
  let rest = text;
  if (text.startsWith('/')) {
    const base = root.normalize('NFC').replace(/\/+$/, '');
    if (text !== base && !text.startsWith(`${base}/`)) return { ok: false, reason: `the path is outside the repository (${root})` };
    rest = text.slice(base.length);
  }
  const segments: string[] = [];
  for (const segment of rest.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return { ok: false, reason: 'the path climbs above the repository root with ..' };
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  return { ok: true, path: segments.join('/'), trailingSlash: /\/\.?$/.test(text) && segments.length > 0 };
}

export interface CompiledPattern {
  pattern: string;
  /** Matched against the path lower-cased (deny and protected lists). */
  caseInsensitive: boolean;
  matches(path: string): boolean;
  /** `matches`, for a path already lower-cased when the pattern is case-insensitive. */
  matchesFolded(path: string): boolean;
}

/** Compile a pattern; `caseInsensitive` for deny and protected lists. */
export function compilePattern(pattern: string, caseInsensitive: boolean): CompiledPattern {
  const cleaned = pattern
    .normalize('NFC')
    .replace(/^(\.\/)+/, '')
    .replace(/\/{2,}/g, '/')
    .replace(/\/+$/, '');
  const target = caseInsensitive ? cleaned.toLowerCase() : cleaned;
  const below = `${target}/`;
  const regex = /[*?]/.test(cleaned) ? new RegExp(`^${globToRegex(target)}$`, 's') : undefined;
  // A plain name: that file or folder, and everything below it.
  const matchesFolded = regex ? (path: string): boolean => regex.test(path) : (path: string): boolean => target === '' || path === target || path.startsWith(below);
  return { pattern, caseInsensitive, matchesFolded, matches: (path) => matchesFolded(caseInsensitive ? path.toLowerCase() : path) };
}

/** The first pattern that matches `path`, or undefined. */
export function firstMatch(patterns: readonly CompiledPattern[], path: string): string | undefined {
  // Lower-cased once for all the case-insensitive patterns, not once per pattern.
  let folded: string | undefined;
  for (const p of patterns) {
    if (p.matchesFolded(p.caseInsensitive ? (folded ??= path.toLowerCase()) : path)) return p.pattern;
  }
  return undefined;
}

/** Whether `path` or one of the folders above it matches (a denied folder denies its contents). */
export function matchesSelfOrParent(patterns: readonly CompiledPattern[], path: string): string | undefined {
  // The path, then each prefix before a `/`, longest first (what split('/') and joining the
  // first n segments gives, for n from all of them down to one).
  for (let end = path.length; end >= 0; end = path.lastIndexOf('/', end - 1)) {
    const hit = firstMatch(patterns, end === path.length ? path : path.slice(0, end));
    if (hit !== undefined) return hit;
    if (end === 0) break;
  }
  return undefined;
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      const atStart = i === 0 || glob[i - 1] === '/';
      const next = glob[i + 2];
      if (atStart && next === '/') {
        out += '(?:[^/]+/)*'; // `**/`: zero or more whole segments
        i += 2;
      } else if (atStart && next === undefined) {
        out += '.*'; // a trailing `**`: everything below
        i += 1;
      } else {
        out += '[^/]*'; // `a**b` is not a segment wildcard: treat as `*`
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}
