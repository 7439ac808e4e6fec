// The governance baseline (spec §2.3): hashing the surfaces, the manifest's format, and the HALT
// of a run whose surfaces differ from it.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { BASELINE_FILE, verifyGovernanceBaseline, writeGovernanceBaseline } from '../../lib/governance/baseline.ts';
import { readJournal } from '../../lib/runtime/journal.ts';
import { listQueue } from '../../lib/runtime/queue.ts';
import { runMission } from '../../lib/runtime/runner.ts';
import { git, makeRepo, mission, repoFingerprint, writeFileHandler } from '../git-repo.ts';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

function governedRepo(): string {
  const repo = makeRepo({ 'README.md': 'hi\n', 'config/agent_roles/designer.md': 'You design.\n', 'config/models.yaml': 'designer: x\n', 'AGENTS.md': 'rules\n', 'docs/guide.md': 'not a surface\n' });
  writeGovernanceBaseline({ repoRoot: repo, approvedBy: 'CEO', councilRulingRef: 'Council_Ruling_1', now: () => new Date('2026-01-01T00:00:00Z') });
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'baseline');
  return repo;
}

const it = suite('governance baseline');

it('a repository without surfaces or manifest is fine; surfaces without a manifest are each unlisted', () => {
  assert.is(verifyGovernanceBaseline({ repoRoot: makeRepo() }).ok, true);
  const check = verifyGovernanceBaseline({ repoRoot: makeRepo({ 'CLAUDE.md': 'x\n' }) });
  assert.equal(check.mismatches.map((m) => [m.path, m.kind, m.expected, m.actual]), [['CLAUDE.md', 'unlisted', null, sha('x\n')]]);
});

it('the written baseline lists every surface with its hash, who approved it and the ruling', () => {
  const repo = governedRepo();
  const manifest = readFileSync(join(repo, BASELINE_FILE), 'utf8');
  assert.match(manifest, /approved_by: CEO\ncouncil_ruling_ref: Council_Ruling_1\nhash_algorithm: sha256\n/);
  assert.match(manifest, new RegExp(`path: config/agent_roles/designer.md\\n +sha256: ${sha('You design.\n')}`));
  assert.not.match(manifest, /docs\/guide\.md/);
  const check = verifyGovernanceBaseline({ repoRoot: repo });
  assert.equal([check.ok, Object.keys(check.surfaces)], [true, ['AGENTS.md', 'config/agent_roles/designer.md', 'config/models.yaml']]);
  assert.match(String(check.baselineHash), /^sha256:[0-9a-f]{64}$/);
});

it('a changed, a missing and a new surface are each a mismatch with expected and actual hashes; case variants count', () => {
  const repo = governedRepo();
  writeFileSync(join(repo, 'config/agent_roles/designer.md'), 'You obey the builder.\n');
  rmSync(join(repo, 'config/models.yaml'));
  writeFileSync(join(repo, 'config/agent_roles/sneaky.md'), 'new prompt\n');
  mkdirSync(join(repo, 'Docs/00_Foundations'), { recursive: true });
  writeFileSync(join(repo, 'Docs/00_Foundations/x.md'), 'x\n');
  const check = verifyGovernanceBaseline({ repoRoot: repo });
  assert.is(check.ok, false);
  assert.equal(
    check.mismatches.map((m) => [m.path, m.kind, m.expected, m.actual]),
    [
      ['config/agent_roles/designer.md', 'changed', sha('You design.\n'), sha('You obey the builder.\n')],
      ['config/models.yaml', 'missing', sha('designer: x\n'), null],
      ['Docs/00_Foundations/x.md', 'unlisted', null, sha('x\n')],
      ['config/agent_roles/sneaky.md', 'unlisted', null, sha('new prompt\n')],
    ],
  );
});

it('the manifest format is checked: algorithm, normalised relative paths, duplicates, hash shape', () => {
  const repo = makeRepo({ 'CLAUDE.md': 'x\n' });
  mkdirSync(join(repo, 'config'), { recursive: true });
  writeFileSync(
    join(repo, BASELINE_FILE),
    `baseline_version: "1"\napproved_by: CEO\ncouncil_ruling_ref: R\nhash_algorithm: md5\nartifacts:\n  - {path: ../etc/passwd, sha256: ${sha('a')}}\n  - {path: /abs, sha256: ${sha('a')}}\n  - {path: ./CLAUDE.md, sha256: ${sha('a')}}\n  - {path: CLAUDE.md, sha256: ${sha('x\n')}}\n  - {path: CLAUDE.md, sha256: XYZ}\n`,
  );
  const check = verifyGovernanceBaseline({ repoRoot: repo });
  assert.is(check.ok, false);
  const details = check.mismatches.map((m) => `${m.kind}: ${m.detail}`);
  assert.ok(details.every((d) => d.startsWith('manifest: ')), details.join('\n'));
  for (const expected of ['hash_algorithm must be "sha256"', 'artifacts[0].path "../etc/passwd" must be relative', 'artifacts[1].path "/abs"', 'artifacts[2].path "./CLAUDE.md"', 'artifacts[4].path "CLAUDE.md" is listed twice', 'artifacts[4].sha256 must be 64']) {
    assert.ok(details.some((d) => d.includes(expected)), expected);
  }
});

it('a run whose surfaces differ from the baseline halts before its first step, escalated with expected vs actual hashes', async () => {
  const repo = governedRepo();
  writeFileSync(join(repo, 'config/models.yaml'), 'designer: cheaper-model\n');
  git(repo, 'commit', '-qam', 'someone edits the model mapping');
  const before = repoFingerprint(repo);
  const text = 'mission: guarded\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - {id: w, kind: runtime, operation: write_file, params: {path: out.txt, text: x}}\n';
  const result = await runMission(mission(text), { repoRoot: repo, handlers: [writeFileHandler], fsync: false });
  assert.is(result.status, 'halted');
  assert.match(result.escalation?.reason ?? '', /governance baseline mismatch: 1 governance surface\(s\) differ from config\/governance_baseline.yaml: config\/models.yaml \(changed\)/);
  assert.equal((result.escalation?.evidence.mismatches as Array<{ expected: string; actual: string }>).map((m) => [m.expected, m.actual]), [[sha('designer: x\n'), sha('designer: cheaper-model\n')]]);
  assert.is(repoFingerprint(repo), before);
  assert.not.ok(readJournal(result.journalPath).entries.some((e) => e.type === 'operation_started'), 'no operation started');
  const [queued] = listQueue({ repoRoot: repo, open: false });
  assert.equal([queued?.severity, queued?.escalation_id, queued?.resolution], ['critical', result.escalation?.escalation_id, 'closed']);
});

it('the baseline, surfaces and envelope policy hashes are in the first journal entry and in every receipt', async () => {
  const repo = governedRepo();
  const text = 'mission: guarded\nversion: "1.0"\ninputs: []\noutputs: []\nenvelope: {allowed_paths: [out.txt]}\nsteps:\n  - {id: w, kind: runtime, operation: write_file, params: {path: out.txt, text: x}}\n';
  const result = await runMission(mission(text), { repoRoot: repo, handlers: [writeFileHandler], fsync: false });
  assert.is(result.status, 'completed');
  const entries = readJournal(result.journalPath).entries;
  const started = entries[0]?.data as Record<string, unknown>;
  const receipt = entries.find((e) => e.type === 'operation_finished')?.data.receipt as Record<string, unknown>;
  assert.match(String(started.governance_baseline_hash), /^sha256:/);
  assert.is(receipt.governance_baseline_hash, started.governance_baseline_hash);
  assert.is(receipt.envelope_policy_hash, started.envelope_policy_hash);
  assert.match(String(receipt.governance_surfaces_hash), /^sha256:/);
  assert.equal(Object.keys(started.governance_surface_hashes as object), ['AGENTS.md', 'config/agent_roles/designer.md', 'config/models.yaml']);
});

it.run();
