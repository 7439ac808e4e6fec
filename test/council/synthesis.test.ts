// The council rules of spec §5.5.1, enforced in code whatever the chair proposes.
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { MODE_SEATS, synthesiseDecision } from '../../lib/council/synthesis.ts';

const test = suite();

const seat = (name: string, verdict: unknown, extra: Record<string, unknown> = {}) => ({ role: `reviewer_${name}`, packet: { seat: name, verdict, rationale: `${name} says ${String(verdict)}`, ...extra } });
const core = (verdict: unknown = 'approve') => MODE_SEATS.M1_STANDARD.map((name) => seat(name, verdict));
const chair = (verdict: string) => ({ role: 'council_chair', packet: { verdict, rationale: 'the chair', seat_verdicts: [] } });

test('all four core seats approving and the chair approving: approved, cycle 1', () => {
  const decision = synthesiseDecision({ seat_outputs: core(), chair: chair('approved') });
  assert.equal([decision.verdict, decision.cycle, decision.enforced], ['approved', 1, []]);
  assert.is(decision.seat_verdicts.length, 4);
});

test('any seat Reject is escalated_to_ceo even when the chair approves', () => {
  const seats = [...core().slice(0, 3), seat('governance', 'reject')];
  const decision = synthesiseDecision({ seat_outputs: seats, chair: chair('approved') });
  assert.is(decision.verdict, 'escalated_to_ceo');
  assert.is(decision.chair_verdict, 'approved');
  assert.match(decision.rationale, 'Rejected by governance');
});

test('a missing core seat, or an unknown or missing verdict, is not an approval (fail-closed)', () => {
  for (const seats of [core().slice(0, 3), [...core().slice(0, 3), seat('governance', 'Approve!')], [...core().slice(0, 3), { role: 'reviewer_governance', packet: null }]]) {
    const decision = synthesiseDecision({ seat_outputs: seats, chair: chair('approved') });
    assert.is(decision.verdict, 'escalated_to_ceo', JSON.stringify(seats.at(-1)));
    assert.match(decision.rationale, 'governance');
  }
});

test('the chair cannot approve past a seat fix_required; seat conditions turn approved into approved_with_conditions', () => {
  const fixing = synthesiseDecision({ seat_outputs: [...core().slice(1), seat('architect', 'fix_required', { conditions: ['split the module'] })], chair: chair('approved') });
  assert.equal([fixing.verdict, fixing.conditions], ['fix_required', ['split the module']]);
  const conditional = synthesiseDecision({ seat_outputs: [...core().slice(1), seat('architect', 'approve_with_conditions', { conditions: ['add a test'] })], chair: chair('approved') });
  assert.is(conditional.verdict, 'approved_with_conditions');
});

test('an unknown chair verdict escalates; a second cycle counts up; a final prior decision passes through unchanged', () => {
  assert.is(synthesiseDecision({ seat_outputs: core(), chair: chair('looks fine') }).verdict, 'escalated_to_ceo');
  const first = synthesiseDecision({ seat_outputs: core('fix_required'), chair: chair('fix_required') });
  const second = synthesiseDecision({ seat_outputs: core('fix_required'), chair: chair('fix_required'), prior_decision: first });
  assert.equal([first.cycle, second.cycle, second.verdict], [1, 2, 'fix_required']);
  const approved = synthesiseDecision({ seat_outputs: core(), chair: chair('approved') });
  assert.is(synthesiseDecision({ seat_outputs: [], chair: { skipped: true }, prior_decision: approved }), approved);
});

test('modes: M0_FAST needs the unified reviewer, M2_FULL nine seats; an unknown mode is refused', () => {
  assert.is(synthesiseDecision({ mode: 'M0_FAST', seat_outputs: [seat('unified_reviewer', 'approve')], chair: chair('approved') }).verdict, 'approved');
  assert.is(synthesiseDecision({ mode: 'M2_FULL', seat_outputs: core(), chair: chair('approved') }).verdict, 'escalated_to_ceo');
  const nine = MODE_SEATS.M2_FULL.map((name) => seat(name, 'approve'));
  assert.is(nine.length, 9);
  assert.is(synthesiseDecision({ mode: 'M2_FULL', seat_outputs: nine, chair: chair('approved') }).verdict, 'approved');
  assert.throws(() => synthesiseDecision({ mode: 'M3', seat_outputs: core(), chair: chair('approved') }), /mode must be one of/);
});

test.run();
