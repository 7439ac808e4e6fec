// Shared test helpers: paths, and compact views of diagnostics for assertions.
import { fileURLToPath } from 'node:url';
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
