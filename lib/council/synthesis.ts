/**
 * Council decisions (spec §5.5.1), enforced in code rather than trusted to the chair model.
 * The chair's packet proposes a verdict; these rules decide what it may be:
 *
 *   1. every seat the mode requires must have given a valid verdict (a missing seat, an unknown
 *      or missing verdict: not approved, escalated to the CEO: fail-closed);
 *   2. any seat Reject -> escalated_to_ceo, whatever the chair says (no tie-break overrides it);
 *   3. the chair cannot approve past a seat's fix_required, and cannot approve an invalid packet;
 *   4. fix_required in a second cycle stays fix_required with `cycle: 2`: the gate then halts and
 *      escalates (spec §5.5 "fix_required after 2 cycles").
 *
 * Pure: the seat and chair outputs are the `llm_call` step outputs (`{ role, packet }`).
 */
export type CouncilMode = 'M0_FAST' | 'M1_STANDARD' | 'M2_FULL';
export type SeatVerdict = 'approve' | 'approve_with_conditions' | 'fix_required' | 'reject';
export type CouncilVerdict = 'approved' | 'approved_with_conditions' | 'fix_required' | 'rejected' | 'escalated_to_ceo';

export const CORE_SEATS: readonly string[] = ['architect', 'alignment', 'risk', 'governance'];

/**
 * Seats each mode requires. The spec names the four core seats; of M2_FULL's nine it names
 * none beyond them, so the other five are this project's choice (docs/council.md).
 */
export const MODE_SEATS: Readonly<Record<CouncilMode, readonly string[]>> = {
  M0_FAST: ['unified_reviewer'],
  M1_STANDARD: CORE_SEATS,
  M2_FULL: [...CORE_SEATS, 'security', 'testing', 'product', 'operations', 'documentation'],
};

const SEAT_VERDICTS: ReadonlySet<string> = new Set(['approve', 'approve_with_conditions', 'fix_required', 'reject']);
const COUNCIL_VERDICTS: ReadonlySet<string> = new Set(['approved', 'approved_with_conditions', 'fix_required', 'rejected', 'escalated_to_ceo']);
/** What a decision that has not happened yet looks like (the review mission's default `prior_decision`). */
export const NO_DECISION = 'none';

export interface SeatRecord {
  seat: string;
  verdict: SeatVerdict;
  rationale: string;
  conditions?: string[];
}

export interface CouncilDecision {
  type: 'COUNCIL_APPROVAL_PACKET';
  verdict: CouncilVerdict;
  rationale: string;
  conditions: string[];
  seat_verdicts: SeatRecord[];
  mode: CouncilMode;
  /** 1 for a first review, 2 for the review after a fix. */
  cycle: number;
  /** What the chair proposed, when the rules decided otherwise. */
  chair_verdict?: string;
  /** Each rule that overruled or constrained the chair. */
  enforced: string[];
}

export interface SynthesisInput {
  mode?: unknown;
  seat_outputs: unknown;
  chair: unknown;
  prior_decision?: unknown;
}

export function isCouncilMode(value: unknown): value is CouncilMode {
  return typeof value === 'string' && Object.hasOwn(MODE_SEATS, value);
}

/** Whether the prior decision leaves nothing to review again (approved, rejected or escalated). */
export function priorIsFinal(prior: unknown): prior is CouncilDecision {
  const verdict = (prior as { verdict?: unknown } | null)?.verdict;
  return typeof verdict === 'string' && verdict !== NO_DECISION && verdict !== 'fix_required';
}

export function synthesiseDecision(input: SynthesisInput): CouncilDecision {
  if (priorIsFinal(input.prior_decision)) return input.prior_decision;
  const mode = input.mode ?? 'M1_STANDARD';
  if (!isCouncilMode(mode)) throw new TypeError(`mode must be one of ${Object.keys(MODE_SEATS).join(', ')}, got ${JSON.stringify(mode)}`);
  const priorVerdict = (input.prior_decision as { verdict?: unknown; cycle?: unknown } | undefined)?.verdict;
  const priorCycle = Number((input.prior_decision as { cycle?: unknown } | undefined)?.cycle ?? 1);
  const cycle = priorVerdict === 'fix_required' ? priorCycle + 1 : 1;
  const { seats, invalid } = seatRecords(input.seat_outputs);
  const enforced: string[] = [];
  const missing = MODE_SEATS[mode].filter((seat) => !seats.some((record) => record.seat === seat));
  const chair = (input.chair as { packet?: unknown } | null)?.packet as { verdict?: unknown; rationale?: unknown; conditions?: unknown } | null | undefined;
  const chairVerdict = typeof chair?.verdict === 'string' ? chair.verdict : undefined;
  const conditions = [...stringList(chair?.conditions), ...seats.flatMap((s) => s.conditions ?? [])];
  const decide = (verdict: CouncilVerdict, rationale: string): CouncilDecision => ({
    type: 'COUNCIL_APPROVAL_PACKET',
    verdict,
    rationale,
    conditions: [...new Set(conditions)],
    seat_verdicts: seats,
    mode,
    cycle,
    ...(chairVerdict !== verdict ? { chair_verdict: chairVerdict ?? '(none)' } : {}),
    enforced,
  });

  const rejecting = seats.filter((s) => s.verdict === 'reject').map((s) => s.seat);
  if (rejecting.length > 0) {
    enforced.push(`seat reject (${rejecting.join(', ')}) -> escalated_to_ceo`);
    return decide('escalated_to_ceo', `Rejected by ${rejecting.join(', ')}: ${seats.filter((s) => s.verdict === 'reject').map((s) => s.rationale).join(' | ')}`);
  }
  if (missing.length > 0 || invalid.length > 0) {
    const problems = [...missing.map((seat) => `seat ${seat} gave no verdict`), ...invalid];
    enforced.push(`incomplete council (${mode}) -> not approved`);
    return decide('escalated_to_ceo', `The ${mode} council is incomplete: ${problems.join('; ')}`);
  }
  if (chairVerdict === undefined || !COUNCIL_VERDICTS.has(chairVerdict)) {
    enforced.push('chair verdict missing or unknown -> escalated_to_ceo');
    return decide('escalated_to_ceo', `The chair gave no valid verdict (${JSON.stringify(chair?.verdict ?? null)})`);
  }
  const rationale = typeof chair?.rationale === 'string' && chair.rationale !== '' ? chair.rationale : '(the chair gave no rationale)';
  const fixing = seats.filter((s) => s.verdict === 'fix_required').map((s) => s.seat);
  if ((chairVerdict === 'approved' || chairVerdict === 'approved_with_conditions') && fixing.length > 0) {
    enforced.push(`seat fix_required (${fixing.join(', ')}) -> the chair cannot approve`);
    return decide('fix_required', `Fix required by ${fixing.join(', ')}: ${rationale}`);
  }
  if (chairVerdict === 'approved' && seats.some((s) => s.verdict === 'approve_with_conditions')) {
    enforced.push('seat conditions -> approved_with_conditions');
    return decide('approved_with_conditions', rationale);
  }
  return decide(chairVerdict as CouncilVerdict, rationale);
}

/** Valid seat verdicts, and a problem for every seat output that is not one. */
function seatRecords(outputs: unknown): { seats: SeatRecord[]; invalid: string[] } {
  const seats: SeatRecord[] = [];
  const invalid: string[] = [];
  for (const [index, output] of (Array.isArray(outputs) ? outputs : []).entries()) {
    const role = (output as { role?: unknown } | null)?.role;
    const packet = (output as { packet?: unknown } | null)?.packet as Record<string, unknown> | null | undefined;
    const seat = typeof role === 'string' ? role.replace(/^reviewer_/, '') : typeof packet?.seat === 'string' ? packet.seat : `#${index + 1}`;
    if (!packet || typeof packet.verdict !== 'string' || !SEAT_VERDICTS.has(packet.verdict)) {
      invalid.push(`seat ${seat} gave an unknown or missing verdict (${JSON.stringify(packet?.verdict ?? null)})`);
      continue;
    }
    if (seats.some((s) => s.seat === seat)) {
      invalid.push(`seat ${seat} answered twice`);
      continue;
    }
    const conditions = stringList(packet.conditions);
    seats.push({ seat, verdict: packet.verdict as SeatVerdict, rationale: typeof packet.rationale === 'string' ? packet.rationale : '', ...(conditions.length ? { conditions } : {}) });
  }
  return { seats, invalid };
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
