// `lifeos-mission init` on a fresh repository, and again on one it already set up.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { MODE_SEATS } from '../../lib/council/synthesis.ts';
import { verifyGovernanceBaseline } from '../../lib/governance/baseline.ts';
import { git, makeRepo } from '../git-repo.ts';
import { cli } from '../helpers.ts';

const test = suite();

test('init creates a prompt for every role (every council mode\'s seats, the chair, the co-chair, steward and cso), the mapping, the policy, the backlog and a baseline that verifies; a second init changes nothing', async () => {
  const repo = makeRepo();
  const first = await cli('init', '--repo', repo, '--approved-by', 'ceo', '--format', 'json');
  assert.is(first.code, 0, first.stderr);
  const report = JSON.parse(first.stdout) as { created: string[]; kept: string[]; baseline: string | null };
  // Every seat of every council mode, the chair and co-chair, and spec §5.1's steward and cso.
  const seats = [...MODE_SEATS.M0_FAST, ...MODE_SEATS.M2_FULL].map((seat) => `reviewer_${seat}`);
  const roles = ['designer', 'builder', 'council_chair', 'council_cochair', 'steward', 'cso', ...seats].sort();
  assert.equal(report.created.filter((path) => path.startsWith('config/agent_roles/')).sort(), roles.map((role) => `config/agent_roles/${role}.md`));
  assert.ok(['config/models.yaml', 'config/envelope_policy.yaml', 'BACKLOG.md', 'LIFEOS_STATE.md', '.gitignore'].every((path) => report.created.includes(path)));
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

test("issue 17, finding 7: init adds the engine's own files to .gitignore once (appending to one that exists), but not the recorded model answers; --no-gitignore leaves it alone", async () => {
  const repo = makeRepo({ '.gitignore': 'node_modules' });
  const first = await cli('init', '--repo', repo, '--approved-by', 'ceo');
  assert.match(first.stdout, /\nupdated \.gitignore \(the engine's own files added\)\n/);
  const ignore = readFileSync(join(repo, '.gitignore'), 'utf8');
  assert.ok(ignore.startsWith('node_modules\n\n# lifeos-mission:'), ignore);
  await cli('init', '--repo', repo);
  assert.is(readFileSync(join(repo, '.gitignore'), 'utf8'), ignore, 'once');
  for (const path of ['logs/mission_journals/run/journal.jsonl', 'logs/anchors.jsonl', '.lifeos/state.json', 'logs/agent_calls/cache/call.yaml']) {
    mkdirSync(join(repo, dirname(path)), { recursive: true });
    writeFileSync(join(repo, path), 'x');
  }
  const untracked = git(repo, 'status', '--porcelain', '--untracked-files=all', '--', 'logs', '.lifeos').trim();
  assert.is(untracked, '?? logs/agent_calls/cache/call.yaml');
  const bare = makeRepo();
  await cli('init', '--repo', bare, '--no-gitignore');
  assert.not.ok(existsSync(join(bare, '.gitignore')));
});

test.run();
