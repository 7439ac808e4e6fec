// Issue 17, finding 1: roles are checked against the repository's config/agent_roles/ when
// `validate` runs inside one (an error), against the built-in roles otherwise (a warning); a
// fanned-out role (`reviewer_{{seat}}`) is checked for each literal value of its loop variable.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { makeRepo } from '../git-repo.ts';
import { cli, repoRoot } from '../helpers.ts';

const it = suite('validate: roles (issue 17, finding 1)');

const MISSION = `mission: roles
version: "1.0"
inputs: []
outputs: []
steps:
  - id: design
    kind: runtime
    operation: llm_call
    params:
      role: desginer
  - id: seats
    kind: runtime
    operation: llm_call
    for_each:
      seat: [architect, risk, sekurity]
    params:
      role: reviewer_{{seat}}
`;

/** Runs `validate` with its working folder at `cwd` (the command resolves the repository from it). */
async function validateIn(cwd: string, file: string, ...flags: string[]): Promise<{ code: number; stdout: string }> {
  const before = process.cwd();
  process.chdir(cwd);
  try {
    return await cli('validate', ...flags, file);
  } finally {
    process.chdir(before);
  }
}

it('outside a repository: unknown roles are warnings against the built-in list', async () => {
  const dir = tempDir('roles-outside-');
  const file = join(dir, 'roles.yaml');
  writeFileSync(file, MISSION);
  const { code, stdout } = await validateIn(dir, file);
  assert.is(code, 0, stdout);
  assert.match(stdout, /roles\.yaml:10:13: warning steps\[0\]\.params\.role: unknown role "desginer" among the built-in roles .*\[W_UNKNOWN_ROLE\]\n {4}hint: did you mean "designer"\?\n/);
  assert.match(stdout, /roles\.yaml:17:13: warning steps\[1\]\.params\.role: unknown role "reviewer_sekurity" among the built-in roles .*\[W_UNKNOWN_ROLE\]\n {4}hint: did you mean "reviewer_security"\?\n/);
  assert.match(stdout, /1 file checked: 0 errors, 2 warnings\n$/);
});

it("inside a repository with config/agent_roles/: a role without a prompt there is an error", async () => {
  const repo = makeRepo();
  mkdirSync(join(repo, 'config/agent_roles'), { recursive: true });
  for (const role of ['designer', 'reviewer_architect', 'reviewer_risk']) writeFileSync(join(repo, 'config/agent_roles', `${role}.md`), `# Role: ${role}\n`);
  mkdirSync(join(repo, 'missions'));
  writeFileSync(join(repo, 'missions/roles.yaml'), MISSION);
  const { code, stdout } = await validateIn(join(repo, 'missions'), 'roles.yaml');
  assert.is(code, 1, stdout);
  assert.match(stdout, /roles\.yaml:10:13: error steps\[0\]\.params\.role: unknown role "desginer" in config\/agent_roles\/ \[E_UNKNOWN_ROLE\]/);
  assert.match(stdout, /unknown role "reviewer_sekurity" in config\/agent_roles\/ \[E_UNKNOWN_ROLE\]/);
  assert.match(stdout, /1 file checked: 2 errors, 0 warnings\n$/);
});

it('issue 17 acceptance: a mission with fourteen mistakes of findings 1 and 5 gets every one reported in one run, each at its line and column', async () => {
  const file = join(repoRoot, 'test/fixtures/many-mistakes/typos.yaml');
  const { code, stdout } = await validateIn(tempDir('many-mistakes-'), file, '--format', 'json');
  assert.is(code, 1);
  const report = JSON.parse(stdout) as { files: Array<{ diagnostics: Array<{ code: string; line: number; column: number }> }> };
  assert.equal(report.files[0]?.diagnostics.map((d) => [d.code, d.line, d.column]), [
    ['E_UNKNOWN_FIELD', 8, 15], // {{steps.plan_review.output.packet.summry}}
    ['W_UNKNOWN_ROLE', 14, 13], // role: desginer
    ['E_UNKNOWN_SCHEMA', 16, 22], // output_schema: BUILD_PAKET
    ['E_YAML_DUPLICATE_KEY', 23, 7], // output_schema twice
    ['E_UNKNOWN_TOOL', 28, 13], // tool: tset
    ['E_UNKNOWN_ACTION', 35, 15], // action: comit
    ['E_PARAM_MISSING', 39, 5], // gate_check without condition, schema or check
    ['E_PARAM_UNKNOWN', 40, 7], // conditon
    ['E_PARAM_VALUE', 41, 16], // on_fail: escalte
    ['E_CONDITION_SYNTAX', 46, 18], // = for ==
    ['E_UNKNOWN_STEP', 46, 21], // steps.desgin, in the same condition
    ['E_UNKNOWN_TRANSFORM', 51, 18], // to_review_paket
    ['E_UNKNOWN_FIELD', 52, 17], // output.pakcet
    ['E_UNKNOWN_CHECK', 57, 14], // council_aproval
    ['E_PARAM_TYPE', 58, 25], // check_before_run: "yes"
  ]);
});

it.run();
