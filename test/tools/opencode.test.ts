// Issue 13: the real OpenCode CLI (npm opencode-ai, pinned in .ci/run) as the coding agent,
// against a scripted streaming model on 127.0.0.1, offline, in the sandbox where bubblewrap
// works. It writes files (applied), a protected file and a file outside the design's scope
// (refused, nothing applied), tries to write the live repository from its bash tool (read-only
// in the sandbox), and builds the hello task end to end through the whole cycle.
// Needs LIFEOS_OPENCODE_BIN (the opencode binary); README "Development" says how to get it.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { createHelloRepo, INPUTS } from '../../examples/hello-cycle/hello-repo.mjs';
import { startScriptedModel } from '../../examples/hello-cycle/scripted-model.mjs';
import { EnvelopeViolation } from '../../lib/core/governance-errors.ts';
import { initRepository } from '../../lib/runtime/init-repository.ts';
import { runMission } from '../../lib/runtime/runner.ts';
import type { ChildEnvPolicy } from '../../lib/tools/child-env.ts';
import { executeBuild } from '../../lib/tools/coding-agent.ts';
import { sandboxAvailability, type SandboxSettings } from '../../lib/tools/sandbox.ts';
import type { ToolContext } from '../../lib/tools/tool.ts';
import { git, makeRepo, repoFingerprint } from '../git-repo.ts';
import { rejects } from '../helpers.ts';
import { toolContext } from '../tool-context.ts';
import { startOpenCodeModel, type ModelStep } from '../opencode-model.ts';

const VERSION = '1.18.33';
const bin = process.env.LIFEOS_OPENCODE_BIN;
const skip = !bin ? 'LIFEOS_OPENCODE_BIN is not set (see README, Development)' : !existsSync(bin) ? `LIFEOS_OPENCODE_BIN=${bin} does not exist` : undefined;
const sandbox = sandboxAvailability();
const COMMAND = [bin ?? 'opencode', 'run', '--dir', '{worktree}', '--title', 'lifeos build', '{instruction}'];

interface OpenCodeSetup {
  childEnv: ChildEnvPolicy;
  sandbox: SandboxSettings;
}

/**
 * A private HOME for OpenCode under `dir`, its config pointing at `modelUrl`, and what the
 * coding agent needs to run it offline: the variables (set by value, since the host's own
 * environment does not reach the agent) and the one folder it must write (its database).
 */
function openCodeHome(dir: string, modelUrl: string, permission: Record<string, string> = { edit: 'allow', bash: 'allow', external_directory: 'deny' }): OpenCodeSetup {
  const home = join(dir, 'home');
  const data = join(home, '.local/share/opencode');
  for (const folder of [join(data, 'log'), join(data, 'repos'), join(home, '.local/state/opencode'), join(home, '.cache/opencode/bin'), join(home, '.config/opencode/node_modules')]) mkdirSync(folder, { recursive: true });
  // Present already, so OpenCode neither writes them (its config folder stays read-only in the
  // sandbox) nor starts its background `npm install` of its plugin package.
  writeFileSync(join(home, '.config/opencode/.gitignore'), 'node_modules\npackage.json\npackage-lock.json\n');
  writeFileSync(join(home, '.config/opencode/package.json'), JSON.stringify({ dependencies: { '@opencode-ai/plugin': VERSION } }));
  writeFileSync(join(home, '.config/opencode/package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: { '': { dependencies: { '@opencode-ai/plugin': VERSION } } } }));
  const config = join(dir, 'opencode.json');
  writeFileSync(
    config,
    JSON.stringify({
      autoupdate: false,
      share: 'disabled',
      snapshot: false,
      model: 'loopback/loopback-model',
      small_model: 'loopback/loopback-model',
      provider: { loopback: { npm: '@ai-sdk/openai-compatible', name: 'Loopback', options: { baseURL: modelUrl, apiKey: 'loopback' }, models: { 'loopback-model': { name: 'Loopback', tool_call: true } } } },
      permission,
    }),
  );
  return {
    childEnv: {
      set: {
        HOME: home,
        XDG_DATA_HOME: join(home, '.local/share'),
        XDG_CONFIG_HOME: join(home, '.config'),
        XDG_CACHE_HOME: join(home, '.cache'),
        XDG_STATE_HOME: join(home, '.local/state'),
        OPENCODE_CONFIG: config,
        OPENCODE_DISABLE_MODELS_FETCH: '1',
        OPENCODE_DISABLE_AUTOUPDATE: '1',
        OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
        OPENCODE_DISABLE_SHARE: '1',
        OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
        OPENCODE_DISABLE_CLAUDE_CODE: '1',
      },
    },
    // The private /tmp would hide this HOME and the config: they are exposed read-only, the database folder writable.
    sandbox: { mode: 'auto', readable: [home, config], writable: [data, join(home, '.local/state/opencode')] },
  };
}

function context(repo: string, setup: OpenCodeSetup): ToolContext {
  return toolContext(repo, [{ allowed_paths: ['src/**'] }], { node_id: 'build/invoke_coding_agent', sandbox: setup.sandbox, child_env: setup.childEnv });
}

const PACKET = { type: 'BUILD_PACKET', mission_name: 'opencode-test', summary: 'write the files', payload: { goal: 'a {worktree} literal stays', scope: { allowed_paths: ['src/**'] } } };

/** OpenCode, the scripted model and a repository in one scratch folder, all removed after `body`. */
async function withOpenCode(
  steps: (repo: string) => readonly ModelStep[],
  body: (repo: string, setup: OpenCodeSetup, requests: Awaited<ReturnType<typeof startOpenCodeModel>>['requests']) => Promise<void>,
  permission?: Record<string, string>,
): Promise<void> {
  const scratch = tempDir('lifeos-opencode-');
  const repo = makeRepo({ 'src/app.mjs': 'export const app = 1;\n', 'README.md': 'hello\n' });
  const model = await startOpenCodeModel(steps(repo));
  try {
    await body(repo, openCodeHome(scratch, model.url, permission), model.requests);
  } finally {
    await model.close();
    rmSync(scratch, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  }
}

const suiteOf = suite(`real OpenCode ${VERSION} as the builder${skip ? ` (skipped: ${skip})` : ''}`);
const it = skip ? suiteOf.skip : suiteOf;
const inSandbox = skip || !sandbox.ok ? suiteOf.skip : suiteOf;

it('writes files with its write and bash tools; the change is applied and the packet reached the model byte-exact', async () => {
  const steps: ModelStep[] = [
    { tool: 'write', filePath: 'src/hello.mjs', content: 'export const hello = () => "hi";\n' },
    { tool: 'bash', command: "printf 'export const two = 2;\\n' > src/two.mjs" },
  ];
  await withOpenCode(() => steps, async (repo, setup, requests) => {
    const out = await executeBuild({ command: COMMAND, instruction: PACKET, timeout_seconds: 120 }, context(repo, setup));
    assert.equal(out.changed, [{ path: 'src/hello.mjs', deleted: false }, { path: 'src/two.mjs', deleted: false }], out.output_tail);
    assert.is(out.sandboxed, sandbox.ok);
    assert.is(readFileSync(join(repo, 'src/hello.mjs'), 'utf8'), 'export const hello = () => "hi";\n');
    assert.is(readFileSync(join(repo, 'src/two.mjs'), 'utf8'), 'export const two = 2;\n');
    const first = JSON.stringify(requests.find((r) => r.tools?.length)?.messages);
    assert.ok(first.includes(JSON.stringify(JSON.stringify(PACKET, null, 2)).slice(1, -1)), 'the packet arrived byte-exact in the user message');
  });
});

for (const [what, path, pattern] of [
  ['a protected file (config/models.yaml)', 'config/models.yaml', /config\/models\.yaml is protected from modification/],
  ["a file outside the design's scope (docs/notes.md)", 'docs/notes.md', /docs\/notes\.md matches none of the allowed patterns/],
] as const) {
  it(`refuses ${what}: nothing is applied, the repository is byte-identical`, async () => {
      const steps: ModelStep[] = [{ tool: 'write', filePath: 'src/fine.mjs', content: 'export {};\n' }, { tool: 'write', filePath: path, content: 'roles: {}\n' }];
    await withOpenCode(() => steps, async (repo, setup) => {
      const before = repoFingerprint(repo);
      await rejects(() => executeBuild({ command: COMMAND, instruction: PACKET, timeout_seconds: 120 }, context(repo, setup)), (error) => error instanceof EnvelopeViolation && pattern.test(error.message));
      assert.is(repoFingerprint(repo), before);
    });
  });
}

inSandbox(`its bash tool cannot write the live repository from inside the sandbox${sandbox.ok ? '' : ` (skipped: ${sandbox.reason})`}`, async () => {
  const steps = (repo: string): ModelStep[] => [{ tool: 'bash', command: `echo hacked > ${repo}/src/direct.mjs; echo hacked > ${repo}/config/models.yaml; true` }, { tool: 'write', filePath: 'src/ok.mjs', content: 'export {};\n' }];
  await withOpenCode(steps, async (repo, setup) => {
    const out = await executeBuild({ command: COMMAND, instruction: PACKET, timeout_seconds: 120 }, context(repo, setup));
    assert.equal(out.changed, [{ path: 'src/ok.mjs', deleted: false }]);
    assert.not.ok(existsSync(join(repo, 'src/direct.mjs')));
    assert.not.ok(existsSync(join(repo, 'config/models.yaml')));
  });
});

it('a write OpenCode auto-rejects (permission "ask" in `opencode run`) exits 0 but fails the step with its output', async () => {
  await withOpenCode(
    () => [{ tool: 'write', filePath: 'src/hello.mjs', content: 'export {};\n' }],
    async (repo, setup) => {
      const before = repoFingerprint(repo);
      await rejects(() => executeBuild({ command: COMMAND, instruction: PACKET, timeout_seconds: 120 }, context(repo, setup)), /exited 0 but changed no files.*permission/is);
      assert.is(repoFingerprint(repo), before);
    },
    { edit: 'ask', bash: 'ask' },
  );
});

it('builds the hello task through the whole cycle (builder: coding_agent): committed on lifeos/add-greet, tests passing', async () => {
  const greet = 'export function greet(name) {\n  return `Hello, ${name || \'world\'}!`;\n}\n';
  const greetTest = "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { greet } from '../src/greet.mjs';\n\ntest('greet', () => assert.equal(greet('Ada'), 'Hello, Ada!'));\n";
  const steps: ModelStep[] = [{ tool: 'write', filePath: 'src/greet.mjs', content: greet }, { tool: 'write', filePath: 'test/greet.test.mjs', content: greetTest }];
  const scratch = tempDir('lifeos-opencode-cycle-');
  const builderModel = await startOpenCodeModel(steps);
  const council = await startScriptedModel('happy');
  try {
    const repo = createHelloRepo(join(scratch, 'repo'), { initRepository, withFixtures: false });
    const setup = openCodeHome(scratch, builderModel.url);
    const inputs = { ...(parse(readFileSync(INPUTS, 'utf8')) as Record<string, unknown>), builder: 'coding_agent', agent_command: COMMAND };
    const result = await runMission('autonomous_build_cycle', { repoRoot: repo, mode: 'record', inputs, fsync: false, store: false, agent: { baseURL: council.url, apiKey: 'scripted' }, childEnv: setup.childEnv, sandbox: setup.sandbox });
    assert.is(result.status, 'completed', JSON.stringify(result.error ?? result.escalation));
    assert.is(git(repo, 'symbolic-ref', '--short', 'HEAD').trim(), 'lifeos/add-greet');
    assert.equal(git(repo, 'diff-tree', '--no-commit-id', '--name-only', '-r', 'HEAD').trim().split('\n'), ['BACKLOG.md', 'LIFEOS_STATE.md', 'src/greet.mjs', 'test/greet.test.mjs']);
    assert.is(readFileSync(join(repo, 'src/greet.mjs'), 'utf8'), greet);
  } finally {
    await builderModel.close();
    await council.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});

suiteOf.run();
