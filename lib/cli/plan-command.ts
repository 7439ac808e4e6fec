/**
 * `lifeos-mission plan <mission-file-or-name>`: expand a mission with its inputs into the
 * execution plan, printed as a tree or as JSON.
 */
import { parseArgs } from 'node:util';
import { MissionValidationError } from '../core/errors.ts';
import { planMission, resolveMission } from '../runtime/mission-library.ts';
import { readInputs } from './inputs.ts';
import { EXIT, parseFormat, UsageError, type CliIO, type Command } from './io.ts';
import { renderPlanTree } from './plan-tree.ts';
import { planNodes, type ExecutionPlan } from '../core/plan-model.ts';
import { AUTO_TEST_COMMAND, detectTestCommand } from '../tools/test-command.ts';
import { registryWithMissionDirs } from './registry-options.ts';
import { diagnosticText } from './report.ts';

export const PLAN_USAGE = `Usage: lifeos-mission plan <mission-file-or-name> [options]

Expands a mission into its execution plan: for_each fan-outs, nested missions inlined, inputs
substituted, step outputs left as references. Nothing runs.

Options:
  --input NAME=VALUE   an input value (repeatable); VALUE is parsed as JSON when it parses,
                       else taken as a string
  --inputs FILE        input values from a YAML or JSON mapping (--input wins)
  --format text|json   output format (default: text, a tree)
  --missions DIR       also register the missions in DIR (repeatable)
  --max-operations N   the most operations the plan may expand to (default 10000)
  -h, --help           show this help

Exit codes: 0 planned, 1 the mission or its inputs are invalid, 2 usage error.
`;

export function planCommand(args: string[], io: CliIO): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: 'string', multiple: true },
      inputs: { type: 'string' },
      format: { type: 'string' },
      missions: { type: 'string', multiple: true },
      'max-operations': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(PLAN_USAGE);
    return EXIT.ok;
  }
  const format = parseFormat(values.format, ['text', 'json']);
  if (positionals.length !== 1) throw new UsageError('name exactly one mission file or registered mission');
  const inputs = readInputs(values.inputs, values.input);
  const { mission, registry, diagnostics } = resolveMission(positionals[0] as string, registryWithMissionDirs(values.missions, io));
  for (const d of diagnostics) io.stderr.write(diagnosticText(d));
  if (!mission) return diagnostics.some((d) => d.code === 'E_FILE') ? EXIT.usage : EXIT.failed;
  try {
    const plan = planMission(mission, { inputs, registry, ...maxOperationsOption(values['max-operations']) });
    io.stdout.write(format === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : `${renderPlanTree(plan)}${detectedTests(plan)}`);
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof MissionValidationError)) throw error;
    for (const d of error.diagnostics) io.stderr.write(diagnosticText(d));
    return EXIT.failed;
  }
}

/** `--max-operations N`, a whole number of at least 1. */
export function maxOperationsOption(value: string | undefined): { maxOperations?: number } {
  if (value === undefined) return {};
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--max-operations must be a whole number of at least 1; got "${value}"`);
  return { maxOperations: n };
}

/** Loaded lazily by main.ts. */
export const command: Command = { run: planCommand, usage: PLAN_USAGE };

/** For a test step left to detection ([auto]): what it finds in the current folder, as the run would. */
function detectedTests(plan: ExecutionPlan): string {
  const auto = [...planNodes(plan.steps)].some((node) => node.type === 'operation' && node.params.tool === 'test' && JSON.stringify(node.params.command) === JSON.stringify([AUTO_TEST_COMMAND]));
  if (!auto) return '';
  const found = detectTestCommand(process.cwd());
  return found
    ? `\ntest command [auto]: \`${found.command.join(' ')}\` (from ${found.from} here)\n`
    : `\ntest command [auto]: none detected here; the run would be refused: pass --input 'test_command=[…]'\n`;
}
