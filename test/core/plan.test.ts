import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { MissionValidationError } from '../../lib/core/errors.ts';
import { analyseMission } from '../../lib/core/load.ts';
import type { PlanFanOutNode, PlanMissionNode, PlanOperationNode } from '../../lib/core/plan-model.ts';
import { planMission } from '../../lib/core/plan.ts';
import { createRegistry, type Registry } from '../../lib/core/registry.ts';
import type { Mission } from '../../lib/core/types.ts';
import { codes } from '../helpers.ts';

function load(text: string, registry: Registry = createRegistry()): Mission {
  const result = analyseMission(text, { registry, filename: 'test.yaml' });
  if (!result.ok) assert.unreachable(JSON.stringify(result.diagnostics, null, 2));
  return (result as { mission: Mission }).mission;
}

/** A mission with the given inputs and one step, both as YAML flow text. */
function withStep(inputs: string, step: string): Mission {
  return load(`mission: one_step\nversion: "1.0"\ninputs: ${inputs}\noutputs: []\nsteps:\n  - ${step}\n`);
}

function planErrors(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof MissionValidationError) return codes(error.diagnostics);
    throw error;
  }
  assert.unreachable('planning should have failed');
  return [];
}

const child = load(`
mission: child
version: "1.0"
inputs:
  - {name: packet, type: dict}
  - {name: mode, type: str, default: fast}
outputs:
  - {name: result, type: dict, value: "{{steps.work.output}}"}
preconditions:
  - packet.ok == true
steps:
  - id: work
    kind: runtime
    operation: noop
    params:
      scope: "{{packet.scope}}"
      label: "{{mode}}: {{packet.name}}"
`);
const registry = createRegistry({ missions: [{ mission: child }] });

const parent = load(
  `
mission: parent
version: "2.1"
inputs:
  - {name: seats, type: "list[str]"}
  - {name: task, type: str}
  - {name: extra, type: dict, required: false}
outputs:
  - {name: verdicts, type: list, value: "{{steps.review.outputs}}"}
  - {name: nested, type: dict, value: "{{steps.sub.output.result}}"}
steps:
  - id: prepare
    kind: runtime
    operation: packet_route
    params: {transform: to_council_context_pack, input: "{{task}}", list: "{{seats}}", "$ref": literal}
  - id: review
    kind: runtime
    operation: llm_call
    for_each:
      seat: "{{seats}}"
      model: [small, large]
    params:
      role: reviewer_{{seat}}
      input_packet:
        model: "{{model}}"
        prompt: "Review {{task}} using {{steps.prepare.output.summary}}"
  - id: gate
    kind: runtime
    operation: gate_check
    params:
      condition: "{{steps.review.outputs.0.verdict}} == 'approve' and {{task}} != ''"
  - id: sub
    kind: mission
    mission: child
    params:
      packet: "{{steps.prepare.output}}"
  - id: write
    kind: runtime
    operation: tool_invoke
    params: {tool: git, action: commit, message: "{{task}}"}
    compensation: "git reset --soft HEAD~1"
`,
  registry,
);

const inputs = { seats: ['risk', 'architect'], task: 'Add docs' };
const plan = suite('planMission');

plan('is deterministic and JSON-serialisable', () => {
  const first = JSON.stringify(planMission(parent, { inputs, registry }));
  const second = JSON.stringify(planMission(parent, { inputs: structuredClone(inputs), registry }));
  assert.is(first, second);
  assert.equal(JSON.parse(first), planMission(parent, { inputs, registry }));
  // A copy of the mission plans the same, less the source positions only a loaded mission has.
  const withoutSources = (text: string) => text.replace(/"source":\{"file":"test\.yaml","line":\d+,"column":\d+\},/g, '');
  const copy = JSON.stringify(planMission(structuredClone(parent), { inputs, registry }));
  assert.is(withoutSources(copy), withoutSources(first));
});

plan('expands for_each as a cartesian product, first variable outermost, with stable ids', () => {
  const review = planMission(parent, { inputs, registry }).steps[1] as PlanFanOutNode;
  assert.is(review.type, 'fan_out');
  assert.equal(review.variables, ['seat', 'model']);
  assert.equal(
    review.instances.map((node) => node.id),
    ['review[risk,small]', 'review[risk,large]', 'review[architect,small]', 'review[architect,large]'],
  );
  const first = review.instances[0] as PlanOperationNode;
  assert.equal(first.bindings, { seat: 'risk', model: 'small' });
  assert.is(first.params.role, 'reviewer_risk');
  const packet = first.params.input_packet as Record<string, unknown>;
  assert.is(packet.model, 'small');
  assert.equal(packet.prompt, { $template: ['Review Add docs using ', { $ref: 'prepare', path: ['summary'] }] });
});

plan('substitutes inputs: whole-value templates keep lists, user "$" keys are escaped', () => {
  const prepare = planMission(parent, { inputs, registry }).steps[0] as PlanOperationNode;
  assert.equal(prepare.params, { transform: 'to_council_context_pack', input: 'Add docs', list: ['risk', 'architect'], $$ref: 'literal' });
});

plan('inlines nested missions with prefixed ids, substituted inputs and defaults', () => {
  const sub = planMission(parent, { inputs, registry }).steps[3] as PlanMissionNode;
  assert.is(sub.type, 'mission');
  assert.equal(sub.inputs, { packet: { $ref: 'prepare', path: [] }, mode: 'fast' });
  const work = sub.steps[0] as PlanOperationNode;
  assert.is(work.id, 'sub/work');
  assert.is(work.defined_in, 'child');
  assert.equal(work.params.scope, { $ref: 'prepare', path: ['scope'] });
  assert.equal(work.params.label, { $template: ['fast: ', { $ref: 'prepare', path: ['name'] }] });
  assert.equal(sub.outputs, { result: { $ref: 'sub/work', path: [] } });
  assert.equal(sub.preconditions[0]?.$condition.vars, [{ $ref: 'prepare', path: ['ok'] }]);
});

plan('compiles gate conditions to JSON Logic over indexed variables', () => {
  const gate = planMission(parent, { inputs, registry }).steps[2] as PlanOperationNode;
  assert.equal(gate.params.condition, {
    $condition: {
      source: "{{steps.review.outputs.0.verdict}} == 'approve' and {{task}} != ''",
      logic: { and: [{ '===': [{ var: '0' }, 'approve'] }, { '!==': [{ var: '1' }, ''] }] },
      vars: [{ $ref: 'review', path: ['0', 'verdict'] }, 'Add docs'],
    },
  });
});

plan('marks writing steps with their compensation, read-only steps with none', () => {
  const result = planMission(parent, { inputs, registry });
  const write = result.steps[4] as PlanOperationNode;
  assert.equal([write.writes, write.compensation], [true, { type: 'git_reset_soft', command: 'git reset --soft HEAD~1' }]);
  const prepare = result.steps[0] as PlanOperationNode;
  assert.equal([prepare.writes, prepare.compensation.type], [false, 'none']);
  assert.equal(result.counts, { operations: 8, writing: 1, human: 0, nested_missions: 1, fan_out_instances: 4 });
  assert.equal(result.outputs, { verdicts: { $ref: 'review', path: [] }, nested: { $ref: 'sub', path: ['result'] } });
});

plan('records the source position of each step', () => {
  const prepare = planMission(parent, { inputs, registry }).steps[0] as PlanOperationNode;
  assert.equal(prepare.source, { file: 'test.yaml', line: 12, column: 5 });
});

plan('reports missing, unknown and mistyped inputs together', () => {
  const errors = planErrors(() => planMission(parent, { inputs: { seats: 'risk', tsak: 'x' }, registry }));
  assert.equal(errors.sort(), ['E_INPUT_MISSING', 'E_INPUT_TYPE', 'E_INPUT_UNKNOWN']);
});

plan('uses readable labels when they are unique and simple, indices otherwise', () => {
  const dupes = planMission(parent, { inputs: { seats: ['a', 'a'], task: 't' }, registry }).steps[1] as PlanFanOutNode;
  assert.equal(dupes.instances.map((node) => node.id), ['review[0]', 'review[1]', 'review[2]', 'review[3]']);
  const odd = planMission(parent, { inputs: { seats: ['has space', 'x'], task: 't' }, registry }).steps[1] as PlanFanOutNode;
  assert.is(odd.instances[0]?.id, 'review[0]');
});

plan('renders templates inside for_each lists from inputs', () => {
  const listed = withStep('[{name: primary, type: str}]', '{id: each, kind: runtime, operation: noop, for_each: {seat: ["{{primary}}", risk]}, params: {role: "reviewer_{{seat}}"}}');
  const each = planMission(listed, { inputs: { primary: 'architect' }, registry }).steps[0] as PlanFanOutNode;
  assert.equal(each.instances.map((node) => (node as PlanOperationNode).params.role), ['reviewer_architect', 'reviewer_risk']);
});

plan('an empty list fans out to no instances', () => {
  const empty = planMission(parent, { inputs: { seats: [], task: 't' }, registry }).steps[1] as PlanFanOutNode;
  assert.equal(empty.instances, []);
});

plan('reports a path into a known input that does not exist', () => {
  const needsField = withStep('[{name: packet, type: dict}]', '{id: a, kind: runtime, operation: noop, params: {x: "{{packet.payload.scope}}"}}');
  assert.equal(planErrors(() => planMission(needsField, { inputs: { packet: { payload: {} } }, registry })), ['E_TEMPLATE_PATH']);
  assert.equal(planErrors(() => planMission(needsField, { inputs: { packet: { payload: 'text' } }, registry })), ['E_TEMPLATE_PATH']);
  const prototypeWalk = withStep('[{name: packet, type: dict}]', '{id: a, kind: runtime, operation: noop, params: {x: "{{packet.constructor}}"}}');
  assert.equal(planErrors(() => planMission(prototypeWalk, { inputs: { packet: {} }, registry })), ['E_TEMPLATE_PATH']);
});

plan('refuses to plan an invalid mission object, listing its diagnostics', () => {
  const broken = { ...parent, steps: [{ id: 'a', kind: 'runtime', operation: 'nope' }] } as unknown as Mission;
  const errors = planErrors(() => planMission(broken, { inputs, registry })).filter((code) => code.startsWith('E_'));
  assert.equal(errors.sort(), ['E_UNKNOWN_OPERATION', 'E_UNKNOWN_STEP', 'E_UNKNOWN_STEP']);
});

plan('plans a 10,000-instance fan-out', () => {
  const big = load(`
mission: big
version: "1.0"
inputs: [{name: items, type: list}]
outputs: [{name: all, type: list, value: "{{steps.each.outputs}}"}]
steps:
  - id: each
    kind: runtime
    operation: llm_call
    for_each: {item: "{{items}}"}
    params: {role: "worker_{{item}}", input_packet: {item: "{{item}}", n: 1}}
`);
  const items = Array.from({ length: 10_000 }, (_, i) => `i${i}`);
  const result = planMission(big, { inputs: { items }, registry });
  const each = result.steps[0] as PlanFanOutNode;
  assert.is(each.instances.length, 10_000);
  assert.is((each.instances[9_999] as PlanOperationNode).params.role, 'worker_i9999');
  assert.is(result.counts.fan_out_instances, 10_000);
});

plan('issue 17, finding 6: a fan-out past the operation limit is refused before it is expanded, naming the outermost fan-out; the limit can be raised', () => {
  const grid = load(`
mission: grid
version: "1.0"
inputs: [{name: xs, type: list}, {name: ys, type: list}]
outputs: []
steps:
  - id: first
    kind: runtime
    operation: noop
  - id: cells
    kind: runtime
    operation: noop
    for_each: {x: "{{xs}}", y: "{{ys}}"}
`);
  const thousand = Array.from({ length: 1000 }, (_, i) => i);
  let error: unknown;
  try {
    planMission(grid, { inputs: { xs: thousand, ys: thousand }, registry });
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof MissionValidationError);
  const [diagnostic] = (error as MissionValidationError).diagnostics;
  assert.equal([diagnostic?.code, diagnostic?.path], ['E_PLAN_TOO_LARGE', '/steps/1']);
  assert.match(diagnostic?.message ?? '', 'the plan passes its limit of 10000 operations while expanding the fan-out of step "cells"');
  const small = Array.from({ length: 100 }, (_, i) => i);
  assert.is(planMission(grid, { inputs: { xs: small, ys: small }, registry, maxOperations: 10_001 }).counts.operations, 10_001);
  assert.throws(() => planMission(grid, { inputs: { xs: small, ys: small }, registry, maxOperations: 10_000 }), /passes its limit of 10000 operations/);
});

plan('issue 17, finding 6: operations inside a fanned-out nested mission count, and the outermost fan-out is named', () => {
  const inner = load(`
mission: inner
version: "1.0"
inputs: [{name: n, type: int}]
outputs: []
steps:
  - {id: a, kind: runtime, operation: noop}
  - {id: b, kind: runtime, operation: noop}
`);
  const withInner = createRegistry({ extend: registry, missions: [{ mission: inner }] });
  const outer = load(`
mission: outer
version: "1.0"
inputs: [{name: ns, type: list}]
outputs: []
steps:
  - id: each
    kind: mission
    mission: inner
    for_each: {n: "{{ns}}"}
    params: {n: "{{n}}"}
`, withInner);
  assert.throws(() => planMission(outer, { inputs: { ns: [1, 2, 3] }, registry: withInner, maxOperations: 5 }), /while expanding the fan-out of step "each"/);
  assert.is(planMission(outer, { inputs: { ns: [1, 2, 3] }, registry: withInner, maxOperations: 6 }).counts.operations, 6);
});

plan.run();
