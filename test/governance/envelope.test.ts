// Path envelopes and protected paths against a real folder with symlinks, loops and look-alikes:
// a corpus of cases with the verdict and the deciding check each must get. None may throw.
import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import type { Envelope } from '../../lib/core/types.ts';
import { isProtectedPath, resolveRepoRoot, validatePathAccess, type AccessOperation } from '../../lib/governance/envelope.ts';

function fixtureRepo(): string {
  const root = tempDir('lifeos-paths-');
  const files = ['docs/a.md', 'docs/sub/x.md', 'docs/secret/key.md', 'docs-old/y.md', 'config/models.yaml', 'config/agent_roles/designer.md', 'src/app.ts', 'src/lib/deep.ts', 'src/generated/out.ts', 'notes/todo.txt', 'README.md', 'AGENTS.md', '.git/config', 'docs/caf\u00e9.md'];
  for (const file of files) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), file);
  }
  symlinkSync('config', join(root, 'link_to_config'));
  symlinkSync('/etc', join(root, 'docs/link_out'));
  symlinkSync('loop_b', join(root, 'loop_a'));
  symlinkSync('loop_a', join(root, 'loop_b'));
  symlinkSync('nowhere', join(root, 'docs/dangling.md'));
  symlinkSync('../src/app.ts', join(root, 'docs/file_link.md'));
  symlinkSync('../config/models.yaml', join(root, 'docs/models_link.yaml'));
  symlinkSync('chain_2', join(root, 'chain_1'));
  symlinkSync('docs', join(root, 'chain_2'));
  return root;
}

const ENVELOPE: Envelope = { allowed_paths: ['docs/**', 'src/*.ts', 'notes', 'README.md', 'config/**', '**/CHANGELOG.md'], denied_paths: ['docs/secret', 'src/generated/**', 'CONFIG/models.yaml'] };
const STRICT: Envelope = { ...ENVELOPE, reject_symlinks: true };

type Case = [path: string, operation: AccessOperation, envelope: Envelope | null, allowed: boolean, decidedBy: string];
const CASES: Case[] = [
  // plain allows and the allow list's semantics
  ['docs/a.md', 'write', ENVELOPE, true, 'ok'],
  ['docs/sub/x.md', 'write', ENVELOPE, true, 'ok'],
  ['docs/new/deeper/file.md', 'create', ENVELOPE, true, 'ok'],
  ['src/app.ts', 'write', ENVELOPE, true, 'ok'],
  ['src/lib/deep.ts', 'write', ENVELOPE, false, 'allow'], // `*` stays within a segment
  ['src/app.tsx', 'write', ENVELOPE, false, 'allow'],
  ['notes/todo.txt', 'write', ENVELOPE, true, 'ok'], // a bare folder name covers its contents
  ['notes', 'read', ENVELOPE, true, 'ok'],
  ['notesX/a.txt', 'write', ENVELOPE, false, 'allow'], // sibling prefix is not the folder
  ['docs-old/y.md', 'write', ENVELOPE, false, 'allow'], // sibling prefix of docs/
  ['CHANGELOG.md', 'create', ENVELOPE, true, 'ok'], // `**/` matches zero folders
  ['a/b/CHANGELOG.md', 'create', ENVELOPE, true, 'ok'],
  ['README.md', 'write', ENVELOPE, true, 'ok'],
  ['readme.md', 'write', ENVELOPE, false, 'allow'], // allow is case-sensitive
  ['Docs/a.md', 'write', ENVELOPE, false, 'allow'],
  ['docs/a.md', 'write', { allowed_paths: [] }, false, 'allow'], // empty allow list allows nothing
  ['docs/a.md', 'write', {}, false, 'allow'],
  ['docs/a.md', 'write', null, false, 'allow'],
  ['docs/a.md', 'read', { allowed_paths: ['docs/'] }, true, 'ok'], // trailing slash in a pattern
  ['docs/a.md', 'read', { allowed_paths: ['./docs'] }, true, 'ok'],
  ['docs/a.md', 'read', { allowed_paths: ['docs/?.md'] }, true, 'ok'],
  ['docs/ab.md', 'read', { allowed_paths: ['docs/?.md'] }, false, 'allow'],
  ['docs/sub/x.md', 'read', { allowed_paths: ['docs/*/x.md'] }, true, 'ok'],
  ['docs/sub/deep/x.md', 'read', { allowed_paths: ['docs/*/x.md'] }, false, 'allow'],
  ['docs/sub/deep/x.md', 'read', { allowed_paths: ['docs/**/x.md'] }, true, 'ok'],
  ['docs/x.md', 'read', { allowed_paths: ['docs/**/x.md'] }, true, 'ok'],
  // deny before allow, folders deny their contents, case-insensitive
  ['docs/secret/key.md', 'read', ENVELOPE, false, 'deny'],
  ['docs/secret', 'read', ENVELOPE, false, 'deny'],
  ['docs/SECRET/key.md', 'read', ENVELOPE, false, 'deny'],
  ['src/generated/out.ts', 'write', ENVELOPE, false, 'deny'],
  ['config/models.yaml', 'read', ENVELOPE, false, 'deny'], // deny pattern CONFIG/models.yaml
  ['docs/a.md', 'read', { allowed_paths: ['docs'], denied_paths: ['docs'] }, false, 'deny'],
  ['docs/sub/x.md', 'read', { allowed_paths: ['**'], denied_paths: ['docs/*'] }, false, 'deny'], // a denied folder denies its contents
  // traversal, absolute paths, normalisation
  ['docs/../config/models.yaml', 'write', ENVELOPE, false, 'protected'],
  ['docs/./a.md', 'write', ENVELOPE, true, 'ok'],
  ['docs//a.md', 'write', ENVELOPE, true, 'ok'],
  ['./docs/a.md', 'write', ENVELOPE, true, 'ok'],
  ['../outside.md', 'write', ENVELOPE, false, 'normalise'],
  ['docs/../../outside.md', 'read', ENVELOPE, false, 'normalise'],
  ['/etc/passwd', 'read', ENVELOPE, false, 'normalise'],
  ['docs\\..\\..\\etc\\passwd', 'read', ENVELOPE, false, 'normalise'],
  ['docs/a.md\0.txt', 'read', ENVELOPE, false, 'normalise'],
  ['', 'write', ENVELOPE, false, 'write_target'],
  ['.', 'write', ENVELOPE, false, 'write_target'],
  ['docs/..', 'write', ENVELOPE, false, 'write_target'],
  ['docs/a.md/', 'write', ENVELOPE, false, 'write_target'], // trailing slash on a file
  ['docs/sub', 'write', ENVELOPE, false, 'write_target'], // a folder is not a file to write
  // Unicode: the decomposed form names the same file as the composed one
  ['docs/cafe\u0301.md', 'write', ENVELOPE, true, 'ok'],
  ['docs/caf\u00e9.md', 'write', ENVELOPE, true, 'ok'],
  // protected paths: writes only, case-insensitive, folders and contents, .git
  ['config/agent_roles/designer.md', 'write', ENVELOPE, false, 'protected'],
  ['config/agent_roles', 'delete', ENVELOPE, false, 'protected'],
  ['config/agent_roles/new.md', 'create', ENVELOPE, false, 'protected'],
  ['CONFIG/MODELS.YAML', 'write', { allowed_paths: ['**'] }, false, 'protected'],
  ['config/agent_roles/designer.md', 'read', { allowed_paths: ['config/**'] }, true, 'ok'], // reading a role prompt is fine
  ['.git/config', 'write', { allowed_paths: ['**'] }, false, 'protected'],
  ['.git/hooks/pre-commit', 'create', { allowed_paths: ['**'] }, false, 'protected'],
  ['.GIT/config', 'write', { allowed_paths: ['**'] }, false, 'protected'],
  ['AGENTS.md', 'write', { allowed_paths: ['**'] }, false, 'protected'],
  ['STOP_AUTONOMY', 'delete', { allowed_paths: ['**'] }, false, 'protected'],
  ['.lifeos_run_lock', 'delete', { allowed_paths: ['**'] }, false, 'protected'],
  ['logs/mission_journals/x/journal.jsonl', 'write', { allowed_paths: ['**'] }, false, 'protected'],
  ['.lifeos/state.json', 'write', { allowed_paths: ['**'] }, false, 'protected'],
  ['docs/03_runtime/LifeOS_Autonomous_Build_Loop_Architecture_v0.2.md', 'write', { allowed_paths: ['**'] }, false, 'protected'],
  ['docs/00_foundations/x.md', 'create', { allowed_paths: ['**'] }, false, 'protected'],
  // symlinks: aliases resolve to what they name, escapes and loops are denied, strict rejects any
  ['link_to_config/models.yaml', 'write', { allowed_paths: ['**'] }, false, 'protected'],
  ['link_to_config/agent_roles/designer.md', 'write', { allowed_paths: ['link_to_config/**'] }, false, 'protected'],
  ['docs/models_link.yaml', 'write', ENVELOPE, false, 'protected'], // a symlinked file to a protected one
  ['docs/file_link.md', 'write', ENVELOPE, true, 'ok'], // resolves to src/app.ts, which is allowed too
  ['docs/file_link.md', 'write', { allowed_paths: ['docs/**'] }, false, 'allow'], // resolved form is not allowed
  ['docs/file_link.md', 'write', STRICT, false, 'symlink'],
  ['docs/link_out/passwd', 'read', ENVELOPE, false, 'containment'],
  ['docs/link_out', 'read', ENVELOPE, false, 'containment'],
  ['loop_a/x', 'read', { allowed_paths: ['**'] }, false, 'containment'],
  ['loop_a', 'read', { allowed_paths: ['**'] }, false, 'containment'],
  ['docs/dangling.md', 'write', ENVELOPE, false, 'containment'],
  ['chain_1/a.md', 'read', { allowed_paths: ['docs/**', 'chain_1/**'] }, true, 'ok'], // chain of links into docs
  ['chain_1/a.md', 'read', { allowed_paths: ['chain_1/**'] }, false, 'allow'],
  ['chain_1/a.md', 'read', { ...STRICT, allowed_paths: ['docs/**', 'chain_1/**'] }, false, 'symlink'],
  ['docs/a.md', 'write', STRICT, true, 'ok'],
];

const it = suite('validatePathAccess');
const repo = fixtureRepo();

it(`a corpus of ${CASES.length} path cases: each gets its verdict and deciding check, and none throws`, () => {
  const wrong: string[] = [];
  for (const [path, operation, envelope, allowed, decidedBy] of CASES) {
    const result = validatePathAccess(path, operation, envelope, { repoRoot: repo });
    if (result.allowed !== allowed || result.evidence.decided_by !== decidedBy) {
      wrong.push(`${JSON.stringify(path)} ${operation}: expected ${allowed ? 'allowed' : 'denied'} by ${decidedBy}, got ${result.allowed ? 'allowed' : 'denied'} by ${result.evidence.decided_by} (${result.reason})`);
    }
  }
  assert.equal(wrong, []);
  assert.ok(CASES.length >= 60);
});

it('every evidence field is present, whatever decided', () => {
  const keys = ['requested', 'operation', 'repo_root', 'normalized', 'resolved', 'symlinks', 'exists', 'is_directory', 'matched_allow', 'matched_deny', 'matched_protected', 'decided_by', 'checked_at'];
  for (const [path, operation, envelope] of CASES) {
    const { evidence, reason } = validatePathAccess(path, operation, envelope, { repoRoot: repo });
    assert.equal(Object.keys(evidence).sort(), [...keys].sort(), path);
    assert.ok(reason.length > 0);
  }
  const denied = validatePathAccess('link_to_config/models.yaml', 'write', { allowed_paths: ['**'] }, { repoRoot: repo }).evidence;
  assert.equal([denied.normalized, denied.resolved, denied.symlinks, denied.matched_protected], ['link_to_config/models.yaml', 'config/models.yaml', ['link_to_config'], 'config/models.yaml']);
});

it('hosts extend the protected list; the built-in list stays', () => {
  assert.is(isProtectedPath('src/app.ts', { repoRoot: repo }), false);
  assert.is(isProtectedPath('src/app.ts', { repoRoot: repo, protectedPaths: ['src/app.ts'] }), true);
  assert.is(isProtectedPath('config/models.yaml', { repoRoot: repo, protectedPaths: ['src/app.ts'] }), true);
  assert.is(isProtectedPath('/etc/passwd', { repoRoot: repo }), true, 'outside the repository counts as protected');
  assert.is(isProtectedPath('docs\\x', { repoRoot: repo }), true, 'unparseable counts as protected');
});

it('issue 18: with the root resolved once (resolveRepoRoot), every case gets the same result, evidence and reason as when each call resolves it', () => {
  const link = join(tempDir('lifeos-link-'), 'repo');
  symlinkSync(repo, link);
  for (const repoRoot of [repo, link]) {
    const root = resolveRepoRoot(repoRoot);
    for (const [path, operation, envelope] of CASES) {
      const now = (): Date => new Date(0);
      assert.equal(validatePathAccess(path, operation, envelope, { repoRoot, root, now }), validatePathAccess(path, operation, envelope, { repoRoot, now }), `${repoRoot}: ${path}`);
    }
  }
});

it('issue 18: a root resolved from another repoRoot is not used; one resolved before the root was re-pointed keeps to the folder it led to', () => {
  const elsewhere = tempDir('lifeos-elsewhere-');
  mkdirSync(join(elsewhere, 'docs'));
  symlinkSync('/etc', join(elsewhere, 'docs/a.md'));
  const foreign = resolveRepoRoot(elsewhere);
  const own = validatePathAccess('docs/a.md', 'write', ENVELOPE, { repoRoot: repo, root: foreign });
  assert.equal([own.allowed, own.evidence.repo_root], [true, realpathSync(repo)]);
  const link = join(tempDir('lifeos-link-'), 'repo');
  symlinkSync(repo, link);
  const before = resolveRepoRoot(link);
  rmSync(link);
  symlinkSync(elsewhere, link);
  const stale = validatePathAccess('docs/a.md', 'write', ENVELOPE, { repoRoot: link, root: before });
  assert.equal([stale.allowed, stale.evidence.repo_root], [true, realpathSync(repo)], 'checked in the folder the link led to when it was resolved');
  const fresh = validatePathAccess('docs/a.md', 'write', ENVELOPE, { repoRoot: link });
  assert.equal([fresh.allowed, fresh.evidence.decided_by, fresh.evidence.repo_root], [false, 'containment', realpathSync(elsewhere)]);
});

it.run();
