import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { ConditionEvaluationError, evaluateCondition } from '../../lib/core/condition-eval.ts';
import { compileCondition } from '../../lib/core/condition.ts';
import type { JsonLogic } from '../../lib/core/types.ts';

const compile = suite('compileCondition');

const logicOf = (source: string) => {
  const { condition, problems } = compileCondition(source);
  assert.equal(problems, [], source);
  return condition?.logic;
};

compile('compiles the spec forms, bare or braced, to strict JSON Logic', () => {
  const expected = { '===': [{ var: 'approval.verdict' }, 'approved'] };
  assert.equal(logicOf('approval.verdict == "approved"'), expected);
  assert.equal(logicOf("{{approval.verdict}} == 'approved'"), expected);
  assert.equal(logicOf('{{ approval.verdict }}=="approved"'), expected);
});

compile('supports every comparison, in / not in, lists, literals and parentheses', () => {
  assert.equal(logicOf('a != 1'), { '!==': [{ var: 'a' }, 1] });
  assert.equal(logicOf('a < 1.5 and b >= -2 or c <= 3e2 && d > 0'), {
    or: [{ and: [{ '<': [{ var: 'a' }, 1.5] }, { '>=': [{ var: 'b' }, -2] }] }, { and: [{ '<=': [{ var: 'c' }, 300] }, { '>': [{ var: 'd' }, 0] }] }],
  });
  assert.equal(logicOf('risk in ["high", "critical"]'), { in: [{ var: 'risk' }, ['high', 'critical']] });
  assert.equal(logicOf('risk not in []'), { '!': [{ in: [{ var: 'risk' }, []] }] });
  assert.equal(logicOf('not (a == null) || !(b == true)'), { or: [{ '!': [{ '===': [{ var: 'a' }, null] }] }, { '!': [{ '===': [{ var: 'b' }, true] }] }] });
  assert.equal(logicOf('true'), true);
  assert.equal(logicOf("s == 'it\\'s'"), { '===': [{ var: 's' }, "it's"] });
});

compile('lists every variable it reads, with its path', () => {
  const { condition } = compileCondition('{{steps.review.output.verdict}} == "approved" and x.y in z');
  assert.equal(condition?.refs.map((ref) => ref.path), [['steps', 'review', 'output', 'verdict'], ['x', 'y'], ['z']]);
});

compile('rejects a bare value: nothing is truthy by accident', () => {
  for (const source of ["'approved'", 'approval.verdict', '{{x}}', 'a and b == 1', 'not a', '1']) {
    const { problems } = compileCondition(source);
    assert.is(problems[0]?.code, 'E_CONDITION_NOT_BOOLEAN', source);
  }
});

compile('reports syntax errors with where and how to fix them', () => {
  const cases: Array<[string, RegExp]> = [
    ['a = 1', /"=" at column 3/],
    ['${{ x }} == 1', /unexpected "\$"/],
    ['a == ', /expected a value but found the end/],
    ["(a == 1", /expected "\)"/],
    ['a == "open', /not closed/],
    ['{{ a b }} == 1', /must hold one dotted path/],
    ['a == 1 b', /expected an operator/],
  ];
  for (const [source, message] of cases) {
    const { problems } = compileCondition(source);
    assert.is(problems[0]?.code, 'E_CONDITION_SYNTAX', source);
    assert.match(problems[0]?.message ?? '', message);
  }
});

compile('accepts JSON Logic objects but only allowed operators and literal var paths', () => {
  const ok = compileCondition({ and: [{ '==': [{ var: 'a.b' }, 1] }, { '!': [{ var: ['c', false] }] }] });
  assert.equal(ok.problems, []);
  assert.equal(ok.condition?.refs.map((ref) => ref.text), ['a.b', 'c']);
  assert.is(compileCondition({ method: [{ var: 'a' }, 'toString'] }).problems[0]?.code, 'E_CONDITION_NOT_BOOLEAN');
  assert.is(compileCondition({ '==': [{ method: [{ var: 'a' }, 'x'] }, 1] }).problems[0]?.code, 'E_CONDITION_OPERATOR');
  assert.is(compileCondition({ '==': [{ var: [{ cat: ['a', 'b'] }] }, 1] }).problems[0]?.code, 'E_CONDITION_OPERATOR');
  assert.is(compileCondition({ var: 'a' }).problems[0]?.code, 'E_CONDITION_NOT_BOOLEAN');
});

compile.run();

const evaluate = suite('evaluateCondition');

const run = (source: string, values: Record<string, unknown>) => {
  const { condition } = compileCondition(source);
  assert.ok(condition, source);
  // The planner's renaming: each distinct variable becomes an index into the values.
  const names = [...new Set(condition.refs.map((ref) => ref.text))];
  const renamed = JSON.parse(JSON.stringify(condition.logic), (_key, value) =>
    value && typeof value === 'object' && 'var' in value ? { var: String(names.indexOf(value.var as string)) } : value,
  ) as JsonLogic;
  return evaluateCondition(renamed, names.map((name) => values[name]));
};

evaluate('compares strictly: "1" is not 1', () => {
  assert.is(run('a == 1', { a: 1 }), true);
  assert.is(run('a == 1', { a: '1' }), false);
  assert.is(run('a != "approved"', { a: 'approved' }), false);
});

evaluate('a value can never change the expression (no injection)', () => {
  const hostile = `approved" or "1" == "1`;
  assert.is(run('verdict == "approved"', { verdict: hostile }), false);
  assert.is(run('{{verdict}} == "approved"', { verdict: "x' or 'a' == 'a" }), false);
});

evaluate('evaluates and / or / not / in', () => {
  assert.is(run('a in ["x", "y"] and not (b < 2)', { a: 'y', b: 5 }), true);
  assert.is(run('a not in ["x"] or b == true', { a: 'x', b: true }), true);
  assert.is(run('a not in ["x"] or b == true', { a: 'x', b: false }), false);
});

evaluate('fails closed on a non-boolean result, a disallowed operator or a var outside the values', () => {
  assert.throws(() => evaluateCondition({ if: [true, 'yes', 'no'] }, []), (error: unknown) => error instanceof ConditionEvaluationError);
  assert.throws(() => evaluateCondition({ method: [{ var: '0' }, 'toString'] } as JsonLogic, ['x']), /not allowed/);
  assert.throws(() => evaluateCondition({ '===': [{ var: '0.constructor' }, 1] }, [{}]), /must index/);
  assert.throws(() => evaluateCondition({ '===': [{ var: '1' }, 1] }, [1]), /must index/);
});

evaluate.run();
