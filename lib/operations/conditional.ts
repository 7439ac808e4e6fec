/**
 * `when` / `otherwise` on `llm_call` and `tool_invoke` steps: a condition (compiled at load time
 * like a gate's, so a value can never change the expression) that, when false, skips the work;
 * the step's output is then `otherwise` (default `{ skipped: true }`). The built-in missions use
 * it for the council's second review cycle, which only runs after a `fix_required` verdict.
 */
export function skippedOutput(params: Readonly<Record<string, unknown>>): { skip: false } | { skip: true; output: unknown } {
  if (params.when === undefined || params.when === true) return { skip: false };
  if (params.when !== false) throw new TypeError(`when must be a condition, got ${JSON.stringify(params.when)}`);
  return { skip: true, output: params.otherwise ?? { skipped: true } };
}
