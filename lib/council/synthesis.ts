/**
 * Council decisions (spec §5.5.1), enforced in code rather than trusted to the chair model.
 * The chair's packet proposes a verdict; these rules decide what it may be:
 *
 *   1. every seat the mode requires must have given a valid verdict, and so must the co-chair
 *      where the mode has one (a missing seat, an unknown or missing verdict: not approved,
 *      escalated to the CEO: fail-closed);
 *   2. any seat Reject, or the co-chair's -> escalated_to_ceo, whatever the chair says (no
 *      tie-break overrides it);
 *   3. the chair cannot approve past a seat's or the co-chair's fix_required, and cannot approve
 *      an invalid packet;
 *   4. fix_required in a second cycle stays fix_required with `cycle: 2`: the gate then halts and
 *      escalates (spec §5.5 "fix_required after 2 cycles").
 *
 * M0_FAST has no chair (spec §5.5.1: the unified reviewer only): its one seat's verdict is the
 * council's, by the same rules.
 *
 * Pure: the seat, chair and co-chair outputs are the `llm_call` step outputs (`{ role, packet }`);
 * a seat skipped by its step's `when` (`{ skipped: true }`) is not a seat that answered.
 */
export type CouncilMode = 'M0_FAST' | 'M1_STANDARD' | 'M2_FULL';
export type SeatVerdict = 'approve' | 'approve_with_conditions' | 'fix_required' | 'reject';
export type CouncilVerdict = 'approved' | 'approved_with_conditions' | 'fix_required' | 'rejected' | 'escalated_to_ceo';

export const CORE_SEATS: readonly string[] = ['architect', 'alignment', 'risk', 'governance'];

/**
 * Seats each mode requires. The spec names the four core seats; of M2_FULL's nine it names
 * none beyond them, so the other five are this project's choice (docs/build-cycle.md).
 */
export const MODE_SEATS: Readonly<Record<CouncilMode, readonly string[]>> = {
  M0_FAST: ['unified'],
  M1_STANDARD: CORE_SEATS,
  M2_FULL: [...CORE_SEATS, 'security', 'testing', 'product', 'operations', 'documentation'],
};

/** Whether a mode has a chair and a co-chair (spec §5.5.1: M1 and M2 do, M0 does not). */
export function isChaired(mode: CouncilMode): boolean {
  return mode !== 'M0_FAST';
}

/** A seat verdict -> the council verdict it stands for when it is the only one (M0_FAST). */
const SOLE_SEAT_VERDICT: Readonly<Record<SeatVerdict, CouncilVerdict>> = {
  approve: 'approved',
  approve_with_conditions: 'approved_with_conditions',
  fix_required: 'fix_required',
  reject: 'escalated_to_ceo',
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
  /** The co-chair's check of the chair's proposal (M1_STANDARD, M2_FULL). */
  cochair?: Omit<SeatRecord, 'seat'>;
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
  /** The seats' step outputs: a list, or a list of lists (one per fan-out), flattened once. */
  seat_outputs: unknown;
  chair: unknown;
  cochair?: unknown;
  prior_decision?: unknown;
}

export function isCouncilMode(value: unknown): value is CouncilMode {
  return typeof value === 'string' && Object.hasOwn(MODE_SEATS, value);
}

/** Whether the prior decision leaves nothing to review again (approved, rejected or escalated). */
function priorIsFinal(prior: unknown): prior is CouncilDecision {
  const verdict = (prior as { verdict?: unknown } | null)?.verdict;
  return typeof verdict === 'string' && verdict !== NO_DECISION && verdict !== 'fix_required';
}

/**
 * Why a final prior decision is not one these rules made for this mode, or undefined. It is an
 * input, so `review` run on its own could be handed `{verdict: approved}` and pass it on with no
 * seat asked. It is passed on only when it is a first review's decision of the same mode that
 * the rules give again from its own seat and co-chair verdicts (the chair proposing its verdict),
 * conditions included: an approval past a reject, a dropped condition or a co-chair's reject
 * does not survive. (A decision wholly invented but consistent still would: the prior is the
 * caller's, and the journal records it as an input.)
 */
function priorProblem(prior: CouncilDecision, mode: CouncilMode): string | undefined {
  if (prior.type !== 'COUNCIL_APPROVAL_PACKET' || !Array.isArray(prior.seat_verdicts) || !Array.isArray(prior.enforced) || !Array.isArray(prior.conditions)) return 'it is not a decision of council_synthesis (type, seat_verdicts, conditions, enforced)';
  if (prior.mode !== mode) return `it was made in mode ${JSON.stringify(prior.mode)}, this review is ${mode}`;
  if (prior.cycle !== 1) return `it is the decision of review cycle ${JSON.stringify(prior.cycle)}; only a first review's is passed on`;
  const again = synthesiseDecision({
    mode,
    seat_outputs: prior.seat_verdicts.map((record) => ({ role: `reviewer_${String(record?.seat)}`, packet: record })),
    chair: { packet: { verdict: prior.verdict, rationale: prior.rationale, conditions: prior.conditions } },
    cochair: prior.cochair ? { packet: prior.cochair } : undefined,
  });
  if (again.verdict !== prior.verdict) return `its own seats give ${again.verdict} by the council rules, not ${JSON.stringify(prior.verdict)} (${again.rationale})`;
  const dropped = again.conditions.filter((condition) => !prior.conditions.includes(condition));
  if (dropped.length > 0) return `it leaves out conditions its seats set: ${dropped.join('; ')}`;
  return undefined;
}

export function synthesiseDecision(input: SynthesisInput): CouncilDecision {
  const mode = input.mode ?? 'M1_STANDARD';
  if (!isCouncilMode(mode)) throw new TypeError(`mode must be one of ${Object.keys(MODE_SEATS).join(', ')}, got ${JSON.stringify(mode)}`);
  if (priorIsFinal(input.prior_decision)) {
    const problem = priorProblem(input.prior_decision, mode);
    if (problem === undefined) return input.prior_decision;
    const rationale = `The prior decision given to this review is not one to pass on: ${problem}`;
    return { type: 'COUNCIL_APPROVAL_PACKET', verdict: 'escalated_to_ceo', rationale, conditions: [], seat_verdicts: [], mode, cycle: 1, enforced: ['prior decision not a council decision of this mode -> escalated_to_ceo'] };
  }
  const priorVerdict = (input.prior_decision as { verdict?: unknown; cycle?: unknown } | undefined)?.verdict;
  const priorCycle = Number((input.prior_decision as { cycle?: unknown } | undefined)?.cycle ?? 1);
  const cycle = priorVerdict === 'fix_required' ? priorCycle + 1 : 1;
  const { seats, invalid } = seatRecords(flattenOnce(input.seat_outputs));
  const chaired = isChaired(mode);
  const cochair = chaired ? cochairRecord(input.cochair) : undefined;
  if (cochair?.problem) invalid.push(cochair.problem);
  const enforced: string[] = [];
  const missing = MODE_SEATS[mode].filter((seat) => !seats.some((record) => record.seat === seat));
  const chair = (input.chair as { packet?: unknown } | null)?.packet as { verdict?: unknown; rationale?: unknown; conditions?: unknown } | null | undefined;
  const sole = !chaired ? seats.find((s) => s.seat === MODE_SEATS[mode][0]) : undefined;
  const proposed = sole ? SOLE_SEAT_VERDICT[sole.verdict] : typeof chair?.verdict === 'string' ? chair.verdict : undefined;
  const conditions = [...(chaired ? stringList(chair?.conditions) : []), ...seats.flatMap((s) => s.conditions ?? []), ...(cochair?.record?.conditions ?? [])];
  const decide = (verdict: CouncilVerdict, rationale: string): CouncilDecision => ({
    type: 'COUNCIL_APPROVAL_PACKET',
    verdict,
    rationale,
    conditions: [...new Set(conditions)],
    seat_verdicts: seats,
    ...(cochair?.record ? { cochair: cochair.record } : {}),
    mode,
    cycle,
    ...(chaired && proposed !== verdict ? { chair_verdict: proposed ?? '(none)' } : {}),
    enforced,
  });

  const rejecting = seats.filter((s) => s.verdict === 'reject');
  if (cochair?.record?.verdict === 'reject') rejecting.push({ seat: 'cochair', ...cochair.record });
  if (rejecting.length > 0) {
    const names = rejecting.map((s) => s.seat).join(', ');
    enforced.push(`${rejecting.length === 1 && rejecting[0]?.seat === 'cochair' ? 'co-chair' : 'seat'} reject (${names}) -> escalated_to_ceo`);
    return decide('escalated_to_ceo', `Rejected by ${names}: ${rejecting.map((s) => s.rationale).join(' | ')}`);
  }
  if (missing.length > 0 || invalid.length > 0) {
    const problems = [...missing.map((seat) => `seat ${seat} gave no verdict`), ...invalid];
    enforced.push(`incomplete council (${mode}) -> not approved`);
    return decide('escalated_to_ceo', `The ${mode} council is incomplete: ${problems.join('; ')}`);
  }
  if (proposed === undefined || !COUNCIL_VERDICTS.has(proposed)) {
    enforced.push('chair verdict missing or unknown -> escalated_to_ceo');
    return decide('escalated_to_ceo', `The chair gave no valid verdict (${JSON.stringify(chair?.verdict ?? null)})`);
  }
  const rationale = sole ? sole.rationale || '(the reviewer gave no rationale)' : typeof chair?.rationale === 'string' && chair.rationale !== '' ? chair.rationale : '(the chair gave no rationale)';
  const fixing = seats.filter((s) => s.verdict === 'fix_required').map((s) => s.seat);
  if (cochair?.record?.verdict === 'fix_required') fixing.push('cochair');
  if ((proposed === 'approved' || proposed === 'approved_with_conditions') && fixing.length > 0) {
    enforced.push(`${fixing.join(', ')} fix_required -> the chair cannot approve`);
    return decide('fix_required', `Fix required by ${fixing.join(', ')}: ${rationale}`);
  }
  if (proposed === 'approved' && (seats.some((s) => s.verdict === 'approve_with_conditions') || cochair?.record?.verdict === 'approve_with_conditions')) {
    enforced.push('seat conditions -> approved_with_conditions');
    return decide('approved_with_conditions', rationale);
  }
  return decide(proposed as CouncilVerdict, rationale);
}

/** The co-chair's verdict on the chair's proposal, or why it is not one. */
function cochairRecord(output: unknown): { record?: Omit<SeatRecord, 'seat'>; problem?: string } {
  const packet = (output as { packet?: unknown } | null | undefined)?.packet as Record<string, unknown> | null | undefined;
  if (!packet || typeof packet.verdict !== 'string' || !SEAT_VERDICTS.has(packet.verdict)) return { problem: `the co-chair gave an unknown or missing verdict (${JSON.stringify(packet?.verdict ?? null)})` };
  const conditions = stringList(packet.conditions);
  return { record: { verdict: packet.verdict as SeatVerdict, rationale: typeof packet.rationale === 'string' ? packet.rationale : '', ...(conditions.length ? { conditions } : {}) } };
}

/** One fan-out's outputs, or several fan-outs' and single steps' outputs, as one list; skipped seats left out. */
export function flattenOnce(outputs: unknown): unknown[] {
  const list = (Array.isArray(outputs) ? outputs : []).flatMap((item: unknown) => (Array.isArray(item) ? item : [item]));
  return list.filter((output) => !isSkipped(output));
}

function isSkipped(output: unknown): boolean {
  return output !== null && typeof output === 'object' && (output as { skipped?: unknown }).skipped === true && !('packet' in output);
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
