/**
 * `gate_check` (spec §5.2): check a precondition before going on; fail-closed.
 * Params:
 *   condition  a condition (compiled at load time; the runner evaluates it to true or false)
 *   schema     a JSON Schema object, or the name of one registered with runMission({ schemas })
 *   data       the value the schema checks
 *   check      a named check (gate-checks.ts): builder_envelope (with `scope`), steward_envelope
 *              (with `paths`), council_approval (with `decision`)
 *   on_fail    escalate | fail (default fail): what a failed check does
 *   message    what a false condition means, in words, for the error (optional)
 *   check_before_run  true: a condition already false with the run's inputs refuses the run at
 *              its pre-flight, before the first step (for a gate on the inputs, such as the
 *              build's builder check)
 * At least one of condition / schema / check must be given. The output lists each check and its result.
 */
import { EscalationRequired } from '../core/run-errors.ts';
import { builtinDefinition, defineOperation, type OperationContext } from './handler.ts';
import { NAMED_CHECKS, type Check } from './gate-checks.ts';
import { compileJsonSchema } from '../core/json-schema.ts';


export const gateCheck = defineOperation({
  ...builtinDefinition('gate_check'),
  preflight: (known) => (known.check_before_run === true && known.condition === false ? [`the gate's condition is false with the inputs given${typeof known.message === 'string' ? `: ${known.message}` : ''}`] : []),
  execute: async (params, context) => {
    const checks: Check[] = [];
    if (params.condition !== undefined) {
      const detail = params.condition !== true && typeof params.message === 'string' ? params.message : `condition is ${String(params.condition)}`;
      checks.push({ check: 'condition', passed: params.condition === true, detail });
    }
    if (params.schema !== undefined) checks.push(await schemaCheck(params.schema as string | object, params.data, context));
    if (params.check !== undefined) {
      const named = Object.hasOwn(NAMED_CHECKS, params.check as string) ? NAMED_CHECKS[params.check as keyof typeof NAMED_CHECKS] : undefined;
      if (!named) throw new Error(`unknown check "${String(params.check)}" (known: ${Object.keys(NAMED_CHECKS).join(', ')})`);
      checks.push(named(params, context));
    }
    const failed = checks.filter((check) => !check.passed);
    if (failed.length === 0) return { passed: true, checks };
    const reason = `gate ${context.node_id} failed: ${failed.map((check) => check.detail).join('; ')}`;
    if (params.on_fail === 'escalate') throw new EscalationRequired(reason, 'critical', { checks });
    throw new Error(reason);
  },
});

async function schemaCheck(schema: string | object, data: unknown, context: OperationContext): Promise<Check> {
  const resolved = typeof schema === 'string' ? context.schemas.get(schema) : schema;
  if (!resolved) {
    const known = [...context.schemas.keys()].sort().join(', ') || 'none';
    return { check: 'schema', passed: false, detail: `schema "${String(schema)}" is not registered (known: ${known})` };
  }
  const validate = await compileJsonSchema(resolved);
  if (validate(data)) return { check: 'schema', passed: true, detail: `data matches schema ${typeof schema === 'string' ? schema : '(inline)'}` };
  const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join(', ');
  return { check: 'schema', passed: false, detail: `data does not match schema ${typeof schema === 'string' ? schema : '(inline)'}: ${problems}` };
}
