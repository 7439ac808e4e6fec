// Issue 15, finding 6: the spec's own missions (§5.3), verbatim, against the built-ins: all five
// validate with the default registry, and the spec's autonomous_build_cycle (which passes the
// steward no task, and whose nested missions are the built-in ones) runs to its commit, on the
// real cycle, with the scripted model on 127.0.0.1 in record mode and a real `node --test`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { createHelloRepo } from '../../examples/hello-cycle/hello-repo.mjs';
import { startScriptedModel, TASK } from '../../examples/hello-cycle/scripted-model.mjs';
import { defaultRegistry, readMissionFiles, resolveMission, validateMissionFiles } from '../../lib/runtime/mission-library.ts';
import { initRepository } from '../../lib/runtime/init-repository.ts';
import { runMission } from '../../lib/runtime/runner.ts';
import { git } from '../git-repo.ts';
import { repoRoot } from '../helpers.ts';

const SPEC = join(repoRoot, 'test/fixtures/spec');
const it = suite("the spec's missions, verbatim (issue 15, finding 6)");

it('all five validate against the built-in registry: no errors', () => {
  const names = readdirSync(SPEC).filter((name) => name.endsWith('.yaml')).sort();
  assert.equal(names, ['autonomous_build_cycle.yaml', 'build.yaml', 'design.yaml', 'review.yaml', 'steward.yaml']);
  const { files, problems } = readMissionFiles(names.map((name) => join(SPEC, name)));
  assert.equal(problems, []);
  const { reports } = validateMissionFiles(files, defaultRegistry());
  const errors = reports.flatMap((report) => report.diagnostics.filter((d) => d.severity === 'error').map((d) => `${report.file}: ${d.code} ${d.message}`));
  assert.equal(errors, []);
});

it("the spec's autonomous_build_cycle runs with the built-in design, review, build and steward to a commit; the completion is recorded by the build's name", async () => {
  const model = await startScriptedModel('happy');
  const repo = createHelloRepo(tempDir('hello-spec-'), { initRepository, withFixtures: false });
  try {
    const { mission, diagnostics } = resolveMission(join(SPEC, 'autonomous_build_cycle.yaml'));
    assert.ok(mission, JSON.stringify(diagnostics));
    const result = await runMission(mission as NonNullable<typeof mission>, { repoRoot: repo, mode: 'record', fsync: false, inputs: { task_spec: TASK, context_refs: ['README.md'] }, agent: { baseURL: model.url, apiKey: 'scripted' } });
    assert.is(result.status, 'completed', JSON.stringify(result.error ?? result.escalation));
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    assert.is(git(repo, 'symbolic-ref', '--short', 'HEAD').trim(), 'lifeos/add-greet');
    assert.equal(git(repo, 'diff-tree', '--no-commit-id', '--name-only', '-r', head).trim().split('\n'), ['LIFEOS_STATE.md', 'src/greet.mjs', 'test/greet.test.mjs']);
    assert.match(git(repo, 'show', `${head}:LIFEOS_STATE.md`), '- add-greet');
    assert.is(git(repo, 'show', `${head}:BACKLOG.md`), readFileSync(join(repoRoot, 'examples/hello-cycle/repo/BACKLOG.md'), 'utf8'), 'no backlog line was given: BACKLOG.md is as it was');
  } finally {
    await model.close();
  }
});

it.run();
