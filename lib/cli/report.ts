/**
 * Printing diagnostics: `file:line:col: severity message [code]` (with an indented hint), GitHub
 * workflow annotations, or one JSON document.
 */
import { formatDiagnostic } from '../core/errors.ts';
import type { Diagnostic } from '../core/types.ts';
import type { FileReport } from '../runtime/mission-library.ts';
import type { CliIO, OutputFormat } from './io.ts';

export interface Totals {
  files: number;
  errors: number;
  warnings: number;
}

export function totals(reports: readonly FileReport[]): Totals {
  const all = reports.flatMap((report) => report.diagnostics);
  return {
    files: reports.length,
    errors: all.filter((d) => d.severity === 'error').length,
    warnings: all.filter((d) => d.severity === 'warning').length,
  };
}

/** One diagnostic as text, with its hint on the next line. */
export function diagnosticText(d: Diagnostic): string {
  return d.hint ? `${formatDiagnostic(d)}\n    hint: ${d.hint}\n` : `${formatDiagnostic(d)}\n`;
}

/** `::error file=...,line=..,col=..,title=CODE::message` (GitHub Actions workflow command). */
export function githubAnnotation(d: Diagnostic): string {
  const property = (text: string) => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
  const fields = [
    d.file === undefined ? undefined : `file=${property(d.file)}`,
    d.line === undefined ? undefined : `line=${d.line}`,
    d.column === undefined ? undefined : `col=${d.column}`,
    `title=${property(d.code)}`,
  ].filter((field) => field !== undefined);
  const message = d.hint ? `${d.message} (hint: ${d.hint})` : d.message;
  return `::${d.severity === 'error' ? 'error' : 'warning'} ${fields.join(',')}::${escapeData(message)}\n`;
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function summaryLine(total: Totals): string {
  return `${plural(total.files, 'file')} checked: ${plural(total.errors, 'error')}, ${plural(total.warnings, 'warning')}\n`;
}

export function printReports(reports: readonly FileReport[], format: OutputFormat, io: CliIO): Totals {
  const total = totals(reports);
  if (format === 'json') {
    io.stdout.write(`${JSON.stringify({ ok: total.errors === 0, summary: total, files: reports }, null, 2)}\n`);
    return total;
  }
  const line = format === 'github' ? githubAnnotation : diagnosticText;
  for (const report of reports) for (const d of report.diagnostics) io.stdout.write(line(d));
  io.stdout.write(summaryLine(total));
  return total;
}
