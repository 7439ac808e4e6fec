// The council rules of spec §5.5.1, enforced in code whatever the chair proposes.
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { flattenOnce, MODE_SEATS, synthesiseDecision } from '../../lib/council/synthesis.ts';

const test = suite();

const seat = (name: string, verdict: unknown, extra: Record<string, unknown> = {}) => ({ role: `reviewer_${name}`, packet: { seat: name, verdict, rationale: `${name} says ${String(verdict)}`, ...extra } });
const core = (verdict: unknown = 'approve') => MODE_SEATS.M1_STANDARD.map((name) => seat(name, verdict));
const chair = (verdict: string) => ({ role: 'council_chair', packet: { verdict, rationale: 'the chair', seat_verdicts: [] } });
const cochair = (verdict: unknown = 'approve', extra: Record<string, unknown> = {}) => ({ role: 'council_cochair', packet: { seat: 'cochair', verdict, rationale: `the co-chair says ${String(verdict)}`, ...extra } });
/** A chaired council's decision with the co-chair approving unless told otherwise. */
const decideWith = (input: Parameters<typeof synthesiseDecision>[0]) => synthesiseDecision({ cochair: cochair(), ...input });

test('all four core seats approving and the chair approving: approved, cycle 1', () => {
  const decision = decideWith({ seat_outputs: core(), chair: chair('approved') });
  assert.equal([decision.verdict, decision.cycle, decision.enforced], ['approved', 1, []]);
  assert.is(decision.seat_verdicts.length, 4);
});

test('any seat Reject is escalated_to_ceo even when the chair approves', () => {
  const seats = [...core().slice(0, 3), seat('governance', 'reject')];
  const decision = decideWith({ seat_outputs: seats, chair: chair('approved') });
  assert.is(decision.verdict, 'escalated_to_ceo');
  assert.is(decision.chair_verdict, 'approved');
  assert.match(decision.rationale, 'Rejected by governance');
});

test('a missing core seat, or an unknown or missing verdict, is not an approval (fail-closed)', () => {
  for (const seats of [core().slice(0, 3), [...core().slice(0, 3), seat('governance', 'Approve!')], [...core().slice(0, 3), { role: 'reviewer_governance', packet: null }]]) {
    const decision = decideWith({ seat_outputs: seats, chair: chair('approved') });
    assert.is(decision.verdict, 'escalated_to_ceo', JSON.stringify(seats.at(-1)));
    assert.match(decision.rationale, 'governance');
  }
});

test('the chair cannot approve past a seat fix_required; seat conditions turn approved into approved_with_conditions', () => {
  const fixing = decideWith({ seat_outputs: [...core().slice(1), seat('architect', 'fix_required', { conditions: ['split the module'] })], chair: chair('approved') });
  assert.equal([fixing.verdict, fixing.conditions], ['fix_required', ['split the module']]);
  const conditional = decideWith({ seat_outputs: [...core().slice(1), seat('architect', 'approve_with_conditions', { conditions: ['add a test'] })], chair: chair('approved') });
  assert.is(conditional.verdict, 'approved_with_conditions');
});

test('an unknown chair verdict escalates; a second cycle counts up; a final prior decision passes through unchanged', () => {
  assert.is(decideWith({ seat_outputs: core(), chair: chair('looks fine') }).verdict, 'escalated_to_ceo');
  const first = decideWith({ seat_outputs: core('fix_required'), chair: chair('fix_required') });
  const second = decideWith({ seat_outputs: core('fix_required'), chair: chair('fix_required'), prior_decision: first });
  assert.equal([first.cycle, second.cycle, second.verdict], [1, 2, 'fix_required']);
  const approved = decideWith({ seat_outputs: core(), chair: chair('approved') });
  assert.is(decideWith({ seat_outputs: [], chair: { skipped: true }, cochair: { skipped: true }, prior_decision: approved }), approved);
});

test('modes: M2_FULL needs nine seats; an unknown mode is refused', () => {
  assert.is(decideWith({ mode: 'M2_FULL', seat_outputs: core(), chair: chair('approved') }).verdict, 'escalated_to_ceo');
  const nine = MODE_SEATS.M2_FULL.map((name) => seat(name, 'approve'));
  assert.is(nine.length, 9);
  assert.is(decideWith({ mode: 'M2_FULL', seat_outputs: nine, chair: chair('approved') }).verdict, 'approved');
  assert.throws(() => synthesiseDecision({ mode: 'M3', seat_outputs: core(), chair: chair('approved') }), /mode must be one of/);
});

test('the co-chair: missing or unknown is an incomplete council, reject escalates, fix_required stops an approval, conditions carry over', () => {
  for (const missing of [undefined, { skipped: true }, cochair('looks fine')]) {
    const decision = synthesiseDecision({ seat_outputs: core(), chair: chair('approved'), cochair: missing });
    assert.is(decision.verdict, 'escalated_to_ceo', JSON.stringify(missing));
    assert.match(decision.rationale, 'co-chair');
  }
  const rejected = synthesiseDecision({ seat_outputs: core(), chair: chair('approved'), cochair: cochair('reject') });
  assert.equal([rejected.verdict, rejected.enforced], ['escalated_to_ceo', ['co-chair reject (cochair) -> escalated_to_ceo']]);
  const fixing = synthesiseDecision({ seat_outputs: core(), chair: chair('approved'), cochair: cochair('fix_required') });
  assert.equal([fixing.verdict, fixing.chair_verdict], ['fix_required', 'approved']);
  const conditional = synthesiseDecision({ seat_outputs: core(), chair: chair('approved'), cochair: cochair('approve_with_conditions', { conditions: ['keep the risk seat\'s rollback note'] }) });
  assert.equal([conditional.verdict, conditional.conditions, conditional.cochair?.verdict], ['approved_with_conditions', ["keep the risk seat's rollback note"], 'approve_with_conditions']);
});

test('M0_FAST: the unified reviewer alone decides by the same rules, with no chair or co-chair', () => {
  const unified = (verdict: unknown, extra: Record<string, unknown> = {}) => [seat('unified', verdict, extra)];
  const fast = (verdict: unknown, extra?: Record<string, unknown>) => synthesiseDecision({ mode: 'M0_FAST', seat_outputs: unified(verdict, extra), chair: { skipped: true } });
  const approved = fast('approve');
  assert.equal([approved.verdict, approved.rationale, approved.chair_verdict, approved.cochair], ['approved', 'unified says approve', undefined, undefined]);
  assert.equal([fast('approve_with_conditions', { conditions: ['add a test'] }).verdict, fast('approve_with_conditions', { conditions: ['add a test'] }).conditions], ['approved_with_conditions', ['add a test']]);
  assert.is(fast('fix_required').verdict, 'fix_required');
  assert.equal([fast('reject').verdict, fast('reject').enforced], ['escalated_to_ceo', ['seat reject (unified) -> escalated_to_ceo']]);
  assert.is(fast('Approve').verdict, 'escalated_to_ceo');
  assert.is(synthesiseDecision({ mode: 'M0_FAST', seat_outputs: [{ skipped: true }], chair: { skipped: true } }).verdict, 'escalated_to_ceo');
  // The M1 seats do not stand in for the unified reviewer.
  assert.is(synthesiseDecision({ mode: 'M0_FAST', seat_outputs: core(), chair: chair('approved') }).verdict, 'escalated_to_ceo');
});

test('seat outputs from several steps are flattened once, and seats their `when` skipped are left out', () => {
  const fanOut = core();
  assert.equal(flattenOnce([{ skipped: true }, fanOut, [{ skipped: true }, { skipped: true }]]), fanOut);
  assert.equal(flattenOnce([seat('unified', 'approve'), [{ skipped: true }]]), [seat('unified', 'approve')]);
  assert.equal(flattenOnce(undefined), []);
  // A reply that happens to say `skipped` is still a seat that answered.
  assert.is(flattenOnce([{ role: 'reviewer_risk', packet: null, skipped: true }]).length, 1);
  const decision = synthesiseDecision({ mode: 'M2_FULL', seat_outputs: [{ skipped: true }, core(), MODE_SEATS.M2_FULL.slice(4).map((name) => seat(name, 'approve'))], chair: chair('approved'), cochair: cochair() });
  assert.equal([decision.verdict, decision.seat_verdicts.length], ['approved', 9]);
});

test('a final prior decision is passed on only when its own seats give it again by the rules; a forged or foreign one escalates', () => {
  const approved = decideWith({ seat_outputs: core(), chair: chair('approved') });
  const second = (prior: unknown, mode: string = 'M1_STANDARD') => synthesiseDecision({ mode, seat_outputs: [], chair: { skipped: true }, cochair: { skipped: true }, prior_decision: prior });
  assert.is(second(approved), approved);
  const conditional = decideWith({ seat_outputs: [...core().slice(1), seat('architect', 'approve_with_conditions', { conditions: ['add a test'] })], chair: chair('approved') });
  assert.is(second(conditional), conditional);
  const withSeat = (name: string, verdict: string) => approved.seat_verdicts.map((s) => (s.seat === name ? { ...s, verdict } : s));
  const forged = [
    [{ verdict: 'approved', rationale: 'trust me', seat_verdicts: [] }, /not a decision of council_synthesis/],
    [{ ...approved, seat_verdicts: approved.seat_verdicts.slice(1) }, /its own seats give escalated_to_ceo .*seat architect gave no verdict/],
    [{ ...approved, seat_verdicts: withSeat('risk', 'reject') }, /its own seats give escalated_to_ceo/],
    [{ ...approved, seat_verdicts: withSeat('risk', 'reject'), ceo_override: true }, /its own seats give escalated_to_ceo/],
    [{ ...approved, cochair: { verdict: 'reject', rationale: 'no' } }, /its own seats give escalated_to_ceo/],
    [{ ...approved, cochair: undefined }, /co-chair/],
    [{ ...conditional, verdict: 'approved', conditions: [] }, /its own seats give approved_with_conditions/],
    [{ ...conditional, conditions: [] }, /leaves out conditions its seats set: add a test/],
    [{ ...approved, cycle: 99 }, /review cycle 99/],
    [{ ...approved, verdict: 'lgtm' }, /not "lgtm"/],
  ] as const;
  for (const [prior, why] of forged) {
    const decision = second(prior);
    assert.equal([decision.verdict, decision.seat_verdicts], ['escalated_to_ceo', []], JSON.stringify(prior));
    assert.match(decision.rationale, why);
  }
  assert.match(second(approved, 'M2_FULL').rationale, 'it was made in mode "M1_STANDARD", this review is M2_FULL');
});

test.run();
