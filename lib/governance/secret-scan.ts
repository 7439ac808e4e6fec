/**
 * Secrets never reach a file (spec §5.1), whoever writes it: after a writing step, every file it
 * changed is searched for the run's secrets (the API key, values the host marked secret). A
 * child process could have found a key where the environment does not reach (another process's
 * `/proc/<pid>/environ` when there is no sandbox), so the diff gate checks the result, not the
 * path it took. Files are opened without following links, up to a size limit.
 */
import { join } from 'node:path';
import { readPlainFile } from './plain-file.ts';

/** The largest file a snapshot reads: a larger one is refused unread by the diff gate (runtime/git-state.ts). */
const MAX_SCANNED_BYTES = 64 * 1024 * 1024;

/** The paths among `paths` (repository-relative) whose name or content holds one of `secrets` (core/redact.ts secretValues). */
export function filesHoldingSecrets(repoRoot: string, paths: readonly string[], secrets: readonly string[]): string[] {
  const needles = secrets.map((secret) => Buffer.from(secret));
  if (needles.length === 0) return [];
  return paths.filter((path) => {
    if (needles.some((needle) => Buffer.from(path).includes(needle))) return true;
    const file = readPlainFile(join(repoRoot, path), MAX_SCANNED_BYTES);
    return file !== null && needles.some((needle) => file.data.includes(needle));
  });
}
