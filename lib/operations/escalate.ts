/**
 * `escalate` (spec §5.2): halt the workflow and hand the decision to the CEO. Always allowed.
 * Params: `reason` (text), `severity` (info | warning | critical, default critical), `evidence`.
 */
import { EscalationRequired } from '../core/run-errors.ts';
import { builtinDefinition, defineOperation } from './handler.ts';

export const escalate = defineOperation({
  ...builtinDefinition('escalate'),
  execute: (params) => {
    const severity = (params.severity ?? 'critical') as 'info' | 'warning' | 'critical';
    throw new EscalationRequired(params.reason as string, severity, (params.evidence ?? {}) as Record<string, unknown>);
  },
});
