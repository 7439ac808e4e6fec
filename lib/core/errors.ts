/**
 * Error classes thrown to hosts. Bad user input is reported as diagnostics; these are thrown
 * only where an API must return a value it cannot produce (planning an invalid mission).
 */
import type { Diagnostic } from './types.ts';

/** A mission or its inputs failed validation; `diagnostics` lists every problem. */
export class MissionValidationError extends Error {
  readonly diagnostics: Diagnostic[];
  /** The queue item of the escalation, when running the mission was refused for this (spec §5.3.1: halt and escalate). */
  queueItem?: number;
  constructor(diagnostics: Diagnostic[], subject = 'mission') {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const shown = errors.slice(0, 3).map((d) => `  ${formatDiagnostic(d)}`);
    const more = errors.length > 3 ? [`  ... and ${errors.length - 3} more`] : [];
    super([`${subject} is invalid (${errors.length} error${errors.length === 1 ? '' : 's'}):`, ...shown, ...more].join('\n'));
    this.name = 'MissionValidationError';
    this.diagnostics = diagnostics;
  }
}

/** `file:line:col: severity message [code]`, the format of `lifeos-mission validate`. */
export function formatDiagnostic(d: Diagnostic): string {
  const position = d.line === undefined ? '' : `${d.line}:${d.column ?? 1}:`;
  const location = d.file === undefined ? (position ? `${position} ` : '') : `${d.file}:${position} `;
  return `${location}${d.severity} ${d.message} [${d.code}]`;
}
