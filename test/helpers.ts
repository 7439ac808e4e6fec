// Shared test helpers: paths, and compact views of diagnostics for assertions.
import { fileURLToPath } from 'node:url';
import { main } from '../lib/cli/main.ts';
import type { Diagnostic } from '../lib/core/types.ts';

export const repoRoot = fileURLToPath(new URL('../', import.meta.url));

export function fixturePath(relative: string): string {
  return fileURLToPath(new URL(`fixtures/${relative}`, import.meta.url));
}

/** `CODE line:col` for each error (warnings left out), sorted. */
export function errorCodes(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => `${d.code} ${d.line ?? '?'}:${d.column ?? '?'}`)
    .sort();
}

/** Just the codes of every diagnostic, in order. */
export function codes(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => d.code);
}

/** Run the CLI in-process with string buffers for stdout and stderr. */
export async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } });
  return { code, stdout, stderr };
}

/** Assert that `run` rejects with an error matching `expected` (a pattern for its message, or a predicate). */
export async function rejects(run: () => Promise<unknown>, expected: RegExp | ((error: unknown) => boolean)): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (caught) {
    error = caught;
  }
  if (error === undefined) throw new Error('expected a rejection, but it resolved');
  const ok = expected instanceof RegExp ? expected.test((error as Error).message) : expected(error);
  if (!ok) throw new Error(`rejected with an unexpected error: ${(error as Error).message}`);
}
