import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { createRegistry } from '../../lib/core/registry.ts';
import {
  defaultRegistry,
  loadMission,
  planMission,
  readMissionFiles,
  resolveMission,
  validateMission,
  validateMissionFiles,
} from '../../lib/runtime/mission-library.ts';
import { codes, fixturePath, repoRoot } from '../helpers.ts';

const BUILT_IN = ['autonomous_build_cycle', 'build', 'design', 'review', 'steward'];
const sampleInputs: Record<string, Record<string, unknown>> = {
  design: { task_spec: 'Add docs', context_refs: ['README.md'] },
  review: { subject_packet: { summary: 's' }, review_type: 'build_review' },
  build: { build_packet: { payload: { scope: ['docs/'] } }, approval: { verdict: 'approved' } },
  steward: { review_packet: { mission_name: 'm', summary: 's', payload: { artifacts_produced: ['a.md'], artifact_hashes: { 'a.md': 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391' } } }, approval: { verdict: 'approved' }, task: 'Add docs' },
  autonomous_build_cycle: { task_spec: 'Add docs', context_refs: [] },
};

const builtIns = suite('built-in missions (missions/)');

builtIns('all five validate with zero diagnostics and plan', () => {
  const { files, problems } = readMissionFiles([join(repoRoot, 'missions')]);
  assert.equal(problems, []);
  const { reports } = validateMissionFiles(files);
  assert.equal(reports.map((r) => r.mission).sort(), BUILT_IN);
  for (const report of reports) assert.equal(report.diagnostics, [], report.file);
  for (const name of BUILT_IN) {
    const mission = defaultRegistry().missions.get(name)?.mission;
    assert.ok(mission, name);
    const plan = planMission(mission, { inputs: sampleInputs[name] ?? {} });
    assert.is(plan.mission, name);
  }
});

builtIns('the build cycle plans to design -> review (x2 cycles) -> build (+ fix cycle) -> review (x2) -> steward', () => {
  const mission = defaultRegistry().missions.get('autonomous_build_cycle')?.mission;
  assert.ok(mission);
  const plan = planMission(mission, { inputs: { task_spec: 't' } });
  assert.equal(plan.steps.map((s) => s.id), [
    'design',
    'review_design',
    'revise_design',
    'review_design_2',
    'gate_design_approval',
    'build',
    'review_output',
    'fix_build',
    'review_output_2',
    'gate_output_approval',
    'steward',
  ]);
  assert.equal(plan.counts, { operations: 91, writing: 9, human: 0, nested_missions: 8, fan_out_instances: 36 });
  assert.is(plan.steps[0]?.source?.file, 'lifeos-mission/missions/autonomous_build_cycle.yaml');
});

builtIns.run();

const spec = suite('spec §5.3 examples (test/fixtures/spec, verbatim)');

spec('validate unchanged with zero errors and plan', () => {
  const { files } = readMissionFiles([fixturePath('spec')]);
  assert.is(files.length, 5);
  const { reports, registry } = validateMissionFiles(files, createRegistry());
  for (const report of reports) {
    assert.equal(report.diagnostics.filter((d) => d.severity === 'error'), [], report.file);
    assert.ok(report.diagnostics.every((d) => d.code === 'W_OUTPUT_UNBOUND'), 'only the unbound-output warning');
  }
  for (const name of BUILT_IN) {
    const mission = registry.missions.get(name)?.mission;
    assert.ok(mission, name);
    // The spec's steward has no `task` input (ours takes the backlog line to tick).
    const { task: _task, ...inputs } = sampleInputs[name] ?? {};
    assert.is(planMission(mission, { inputs, registry }).mission, name);
  }
});

spec.run();

const library = suite('mission library');

library('files validated together may name each other in any order', () => {
  const dir = tempDir('lifeos-missions-');
  writeFileSync(join(dir, 'a_parent.yaml'), 'mission: parent\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - {id: c, kind: mission, mission: zz_child}\n');
  writeFileSync(join(dir, 'b_child.yml'), 'mission: zz_child\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - {id: n, kind: runtime, operation: noop}\n');
  writeFileSync(join(dir, 'notes.txt'), 'not a mission');
  const { files } = readMissionFiles([dir]);
  assert.equal(files.map((f) => f.file.slice(dir.length + 1)), ['a_parent.yaml', 'b_child.yml']);
  const { reports, registry } = validateMissionFiles(files);
  assert.equal(reports.flatMap((r) => r.diagnostics), []);
  assert.ok(registry.missions.get('zz_child'));
  assert.ok(registry.missions.get('design'), 'built-ins stay visible');
});

library('detects a cycle between missions', () => {
  const dir = tempDir('lifeos-cycle-');
  writeFileSync(join(dir, 'ping.yaml'), 'mission: ping\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - {id: x, kind: mission, mission: pong}\n');
  writeFileSync(join(dir, 'pong.yaml'), 'mission: pong\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - {id: y, kind: mission, mission: ping}\n');
  const { reports } = validateMissionFiles(readMissionFiles([dir]).files);
  for (const report of reports) {
    assert.equal(codes(report.diagnostics), ['E_MISSION_CYCLE']);
    assert.match(report.diagnostics[0]?.message ?? '', /ping -> pong -> ping|pong -> ping -> pong/);
  }
});

library('reports unreadable paths as E_FILE instead of throwing', () => {
  const { files, problems } = readMissionFiles(['/nonexistent/missions']);
  assert.equal(files, []);
  assert.equal(problems.map((p) => codes(p.diagnostics)), [['E_FILE']]);
  assert.match(problems[0]?.diagnostics[0]?.message ?? '', /no such file or folder/);
});

library('a host registers its own operations and missions', () => {
  const text = 'mission: host\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - {id: a, kind: runtime, operation: deploy_preview}\n  - {id: b, kind: mission, mission: host_lib}\n';
  assert.equal(codes(validateMission(text)), ['E_UNKNOWN_OPERATION', 'E_UNKNOWN_MISSION']);
  const hostLibrary = loadMission('mission: host_lib\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - {id: n, kind: runtime, operation: noop}\n');
  if (!hostLibrary.ok) return assert.unreachable('host_lib loads');
  const registry = createRegistry({
    extend: defaultRegistry(),
    operations: [{ type: 'deploy_preview', description: 'host op', writes: true, compensation: 'custom', idempotent: false, customCompensation: true }],
    missions: [{ mission: hostLibrary.mission }],
  });
  assert.equal(validateMission(text, { registry }), []);
  assert.ok(registry.missions.get('review'), 'built-in missions are still registered');
});

library('resolveMission finds a registered name or reads a file', () => {
  assert.is(resolveMission('design').mission?.mission, 'design');
  assert.is(resolveMission(fixturePath('spec/design.yaml')).mission?.mission, 'design');
  assert.equal(codes(resolveMission('desgin').diagnostics), ['E_FILE']);
  assert.match(resolveMission('desgin').diagnostics[0]?.message ?? '', /neither a registered mission/);
});

library('validateMission accepts an object and reports without positions', () => {
  const diagnostics = validateMission({ mission: 'x', version: '1.0', inputs: [], outputs: [], steps: [{ id: 'a', kind: 'runtime', operation: 'noop', oops: 1 }] });
  assert.equal(diagnostics.map((d) => [d.code, d.path, d.line]), [['E_UNKNOWN_KEY', '/steps/0/oops', undefined]]);
});

library.run();

const robust = suite('robustness: bad input never throws');

robust('random documents and values produce diagnostics, never an exception (seeded)', () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const atoms: unknown[] = [null, true, 0, -1, 1.5, '', 'x', '{{', '{{x}}', '{{steps}}', '{{steps.a.output}}', 'a == ', [], {}, 'runtime', 'mission', 'design'];
  const keys = ['mission', 'version', 'inputs', 'outputs', 'steps', 'id', 'kind', 'operation', 'params', 'for_each', 'compensation', 'preconditions', 'name', 'type', 'value', 'condition', '__proto__', 'constructor'];
  const value = (depth: number): unknown => {
    if (depth > 3 || random() < 0.4) return pick(atoms);
    if (random() < 0.5) return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [pick(keys), value(depth + 1)]));
  };
  for (let i = 0; i < 2000; i++) {
    const doc = { mission: 'm', version: '1.0', inputs: value(1), outputs: value(1), steps: [value(1), { id: 'a', kind: pick(['runtime', 'mission', 'human']), params: value(1), for_each: value(1) }], preconditions: value(1) };
    const diagnostics = validateMission(doc);
    assert.ok(Array.isArray(diagnostics));
    const text = JSON.stringify(doc).slice(0, Math.floor(random() * 200));
    assert.ok(Array.isArray(validateMission(text)));
  }
});

robust.run();

const sets = suite('validateMissionFiles: a set of files');

sets('two files defining the same mission name are both reported and neither registered', () => {
  const dir = tempDir('lifeos-same-');
  const text = 'mission: twin\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - {id: n, kind: runtime, operation: noop}\n';
  writeFileSync(join(dir, 'one.yaml'), text);
  writeFileSync(join(dir, 'two.yaml'), text);
  const { reports, registry } = validateMissionFiles(readMissionFiles([dir]).files);
  assert.equal(reports.map((r) => r.diagnostics.map((d) => [d.code, d.line, d.column])), [[['E_DUPLICATE_ID', 1, 10]], [['E_DUPLICATE_ID', 1, 10]]]);
  assert.match(reports[0]?.diagnostics[0]?.message ?? '', /mission "twin" is also defined in .*two\.yaml/);
  assert.is(registry.missions.get('twin'), undefined);
});

sets('resolveMission refuses a folder of several missions, naming the count', () => {
  assert.match(resolveMission(join(repoRoot, 'missions')).diagnostics[0]?.message ?? '', /holds 5 mission files; name one/);
});

sets.run();
