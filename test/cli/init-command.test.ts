// `lifeos-mission init` on a fresh repository, and again on one it already set up.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { verifyGovernanceBaseline } from '../../lib/governance/baseline.ts';
import { makeRepo } from '../git-repo.ts';
import { cli } from '../helpers.ts';

const test = suite();

test('init creates a prompt for every role the built-in missions call, the mapping, the policy, the backlog and a baseline that verifies; a second init changes nothing', async () => {
  const repo = makeRepo();
  const first = await cli('init', '--repo', repo, '--approved-by', 'ceo', '--format', 'json');
  assert.is(first.code, 0, first.stderr);
  const report = JSON.parse(first.stdout) as { created: string[]; kept: string[]; baseline: string | null };
  for (const role of ['designer', 'builder', 'council_chair', 'reviewer_architect', 'reviewer_alignment', 'reviewer_risk', 'reviewer_governance']) {
    assert.ok(report.created.includes(`config/agent_roles/${role}.md`), role);
  }
  assert.ok(['config/models.yaml', 'config/envelope_policy.yaml', 'BACKLOG.md', 'LIFEOS_STATE.md'].every((path) => report.created.includes(path)));
  assert.is(report.baseline, 'config/governance_baseline.yaml');
  assert.ok(verifyGovernanceBaseline({ repoRoot: repo }).ok);
  assert.match(readFileSync(join(repo, 'config/governance_baseline.yaml'), 'utf8'), 'approved_by: ceo');
  const baseline = readFileSync(join(repo, 'config/governance_baseline.yaml'), 'utf8');
  const second = await cli('init', '--repo', repo);
  assert.is(second.code, 0);
  assert.match(second.stdout, 'kept    config/models.yaml (exists)');
  assert.match(second.stdout, 'a governance baseline exists and was left alone');
  assert.is(readFileSync(join(repo, 'config/governance_baseline.yaml'), 'utf8'), baseline);
});

test.run();
