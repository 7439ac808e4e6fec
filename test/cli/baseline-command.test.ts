// `lifeos-mission baseline --write | --check`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { makeRepo } from '../git-repo.ts';
import { cli } from '../helpers.ts';

const test = suite();

test('--write records the surfaces with who approved them; --check passes, then fails naming a changed file', async () => {
  const repo = makeRepo({ 'config/models.yaml': 'a: 1\n', 'CLAUDE.md': 'rules\n' });
  const refused = await cli('baseline', '--write', '--repo', repo);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /--write needs --approved-by NAME and --ruling REF/);
  const written = await cli('baseline', '--write', '--approved-by', 'CEO', '--ruling', 'Council_Ruling_7', '--repo', repo);
  assert.is(written.code, 0, written.stderr);
  assert.match(written.stdout, /^wrote \S+governance_baseline\.yaml: 2 governance surfaces, sha256:[0-9a-f]{64}\n$/);
  const ok = await cli('baseline', '--check', '--repo', repo);
  assert.equal([ok.code, ok.stdout], [0, 'ok: 2 governance surfaces match config/governance_baseline.yaml\n']);
  writeFileSync(join(repo, 'config/models.yaml'), 'a: 2\n');
  const bad = await cli('baseline', '--repo', repo);
  assert.is(bad.code, 1);
  assert.match(bad.stdout, /^config\/models\.yaml: changed: content differs from the approved baseline \(expected [0-9a-f]{64}, actual [0-9a-f]{64}\)\n1 mismatch\(es\)/);
  const json = JSON.parse((await cli('baseline', '--check', '--format', 'json', '--repo', repo)).stdout) as { ok: boolean; mismatches: unknown[] };
  assert.equal([json.ok, json.mismatches.length], [false, 1]);
  writeFileSync(join(repo, 'config/models.yaml'), 'a: 1\n');
  writeFileSync(join(repo, 'policy.rego'), 'allow = false\n');
  assert.is((await cli('baseline', '--check', '--repo', repo)).code, 0);
  const extra = await cli('baseline', '--check', '--surface', '*.rego', '--repo', repo);
  assert.is(extra.code, 1, 'a host-added surface pattern counts');
  assert.match(extra.stdout, /^policy\.rego: unlisted/);
});

test.run();
