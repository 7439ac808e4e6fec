/**
 * Mission inputs from the command line: `--inputs FILE` (a YAML or JSON mapping) and
 * `--input name=value` (repeatable; the value is parsed as JSON when it parses, else taken as a
 * string). `--input` wins over the file.
 */
import { readFileSync } from 'node:fs';
import { formatDiagnostic } from '../core/errors.ts';
import { parseYaml } from '../core/yaml-source.ts';
import { UsageError } from './io.ts';

export function readInputs(file: string | undefined, pairs: readonly string[] | undefined): Record<string, unknown> {
  const inputs: Record<string, unknown> = file === undefined ? {} : readInputsFile(file);
  for (const pair of pairs ?? []) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`--input expects name=value, got "${pair}"`);
    inputs[pair.slice(0, equals)] = parseInputValue(pair.slice(equals + 1));
  }
  return inputs;
}

/** JSON when it parses (`3`, `true`, `["a"]`, `{"k":1}`), else the text itself. */
export function parseInputValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function readInputsFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --inputs ${file}: ${(error as Error).message}`);
  }
  const { value, diagnostics } = parseYaml(text, file);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new UsageError(`--inputs ${file} is not valid YAML:\n${errors.map(formatDiagnostic).join('\n')}`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`--inputs ${file} must hold a mapping of input names to values`);
  }
  return value as Record<string, unknown>;
}
