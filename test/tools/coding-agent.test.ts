// Issue 13, finding 4: the coding agent's tree is a boundary. Real shell-script agents, real
// git, real symlinks, hard links, FIFOs and background processes; the sandbox where bwrap works.
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { EnvelopeViolation } from '../../lib/core/governance-errors.ts';
import { AGENT_INSTRUCTION, executeBuild } from '../../lib/tools/coding-agent.ts';
import { sandboxAvailability, type SandboxSettings } from '../../lib/tools/sandbox.ts';
import type { ToolContext } from '../../lib/tools/tool.ts';
import { makeRepo, repoFingerprint } from '../git-repo.ts';
import { rejects } from '../helpers.ts';
import { toolContext } from '../tool-context.ts';

const OFF: SandboxSettings = { mode: 'off' };
const sandbox = sandboxAvailability();

const context = (repo: string, extra: Partial<ToolContext> = {}): ToolContext => toolContext(repo, [{ allowed_paths: ['src/**', 'docs/**'] }], { node_id: 'build', ...extra });

/** A repository and an agent script (its body in sh) in a scratch folder, both removed after `body`. */
async function withAgent(script: string, body: (repo: string, agent: string, scratch: string) => Promise<void>): Promise<void> {
  const scratch = tempDir('lifeos-agent-test-');
  const repo = makeRepo({ 'src/app.txt': 'v1\n', 'README.md': 'hello\n' });
  try {
    const agent = join(scratch, 'agent.sh');
    writeFileSync(agent, `#!/bin/sh\nset -e\n${script}\n`);
    chmodSync(agent, 0o755);
    await body(repo, agent, scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  }
}

const refused = (pattern: RegExp) => (error: unknown) => error instanceof EnvelopeViolation && pattern.test(error.message);

const it = suite('coding_agent boundary (issue 13, finding 4)');

it('works in its own tree: cwd and PWD are the tree, the live repository is untouched until the change is checked and applied', async () => {
  await withAgent('[ "$PWD" = "$(pwd -P)" ] || [ "$(cd "$PWD" && pwd -P)" = "$(pwd -P)" ]\necho "$PWD" > src/pwd.txt\necho v2 > src/app.txt', async (repo, agent) => {
    const out = await executeBuild({ command: [agent] }, context(repo));
    assert.equal(out.changed, [{ path: 'src/app.txt', deleted: false }, { path: 'src/pwd.txt', deleted: false }]);
    const pwd = readFileSync(join(repo, 'src/pwd.txt'), 'utf8').trim();
    assert.ok(pwd.endsWith('/worktree') && !pwd.startsWith(repo), `PWD was ${pwd}`);
    assert.is(readFileSync(join(repo, 'src/app.txt'), 'utf8'), 'v2\n');
  });
});

for (const [name, script] of [
  ['a symlink to /etc/hostname', 'ln -s /etc/hostname src/host.txt'],
  // Beside the agent's tree: inside the scratch folder that is removed after the step.
  ['a symlink to a file outside the tree', 'echo secret > ../outside.txt; ln -s "$(cd .. && pwd)/outside.txt" src/copy.txt'],
  ['a symlink to a FIFO', 'mkfifo ../fifo; ln -s "$(cd .. && pwd)/fifo" src/fifo.txt'],
] as const) {
  it(`refuses ${name}: nothing is applied, nothing is read through it`, async () => {
    await withAgent(`echo v2 > src/app.txt\n${script}`, async (repo, agent) => {
      const before = repoFingerprint(repo);
      await rejects(() => executeBuild({ command: [agent] }, context(repo)), refused(/as a symlink \(links are refused, never followed\); nothing was applied/));
      assert.is(repoFingerprint(repo), before);
    });
  });
}

it('refuses a hard link to a file outside the tree and a FIFO, without opening either (sandbox off: the check itself)', async () => {
  await withAgent('ln "$SECRET" src/copy.txt', async (repo, agent, scratch) => {
    const secret = join(scratch, 'secret.txt');
    writeFileSync(secret, 'outside content\n');
    const before = repoFingerprint(repo);
    await rejects(() => executeBuild({ command: [agent] }, context(repo, { sandbox: OFF, child_env: { set: { SECRET: secret } } })), refused(/src\/copy\.txt, a hard link \(2 links\)/));
    assert.is(repoFingerprint(repo), before);
  });
  await withAgent('mkfifo src/pipe', async (repo, agent) => {
    const before = repoFingerprint(repo);
    await rejects(() => executeBuild({ command: [agent] }, context(repo, { sandbox: OFF })), refused(/src\/pipe, a FIFO, socket or device/));
    assert.is(repoFingerprint(repo), before);
  });
});

it("kills the agent's background processes when it exits: a delayed write to the repository never happens", async () => {
  await withAgent('(sleep 1; echo hacked > "$TARGET/config/models.yaml"; echo late > "$TARGET/late.txt") &\nexit 0', async (repo, agent) => {
    const before = repoFingerprint(repo);
    await rejects(() => executeBuild({ command: [agent] }, context(repo, { sandbox: OFF, child_env: { set: { TARGET: repo } } })), /exited 0 but changed no files/);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.is(repoFingerprint(repo), before);
    assert.not.ok(existsSync(join(repo, 'late.txt')));
  });
});

it('counts work the agent committed itself in its tree', async () => {
  await withAgent('echo done > src/committed.txt\ngit add -A\ngit -c user.name=a -c user.email=a@b commit -qm "agent commit"', async (repo, agent) => {
    const out = await executeBuild({ command: [agent] }, context(repo));
    assert.equal(out.changed, [{ path: 'src/committed.txt', deleted: false }]);
    assert.is(readFileSync(join(repo, 'src/committed.txt'), 'utf8'), 'done\n');
  });
});

it('passes no model key or token to the agent unless the host names it', async () => {
  await withAgent('env > src/env.txt', async (repo, agent) => {
    process.env.OPENROUTER_API_KEY = 'sk-or-v1-issue13-not-for-children';
    process.env.GITHUB_TOKEN = 'ghp_issue13_not_for_children';
    try {
      await executeBuild({ command: [agent] }, context(repo, { child_env: { allow: ['MY_TOOL_SETTING'] } }));
    } finally {
      delete process.env.OPENROUTER_API_KEY;
      delete process.env.GITHUB_TOKEN;
    }
    const seen = readFileSync(join(repo, 'src/env.txt'), 'utf8');
    assert.not.match(seen, 'sk-or-v1-issue13');
    assert.not.match(seen, 'ghp_issue13');
    assert.match(seen, /^PATH=/m);
  });
});

it('delivers the packet byte-exact on stdin and in a file (no argv limit, no substitution inside it); argv carries a short instruction', async () => {
  await withAgent('cp "$1" src/packet.json\ncat > src/stdin.json\nprintf "%s" "$2" > src/instruction.txt', async (repo, agent) => {
    const instruction = { summary: 'literal {worktree} and {packet_file} stay as they are', payload: { blob: 'x'.repeat(200 * 1024), quote: '"\\' } };
    await executeBuild({ command: [agent, '{packet_file}', '{instruction}'], instruction }, context(repo));
    const exact = `${JSON.stringify(instruction, null, 2)}\n`;
    assert.is(readFileSync(join(repo, 'src/packet.json'), 'utf8'), exact);
    assert.is(readFileSync(join(repo, 'src/stdin.json'), 'utf8'), exact);
    assert.is(readFileSync(join(repo, 'src/instruction.txt'), 'utf8'), AGENT_INSTRUCTION);
  });
});

it('an agent that exits 0 without changing anything fails the step with its output, colours stripped', async () => {
  await withAgent("printf '\\033[31mpermission requested: edit (auto-rejecting)\\033[0m\\n'", async (repo, agent) => {
    await rejects(() => executeBuild({ command: [agent] }, context(repo)), (error) => {
      const message = (error as Error).message;
      return /exited 0 but changed no files.*permission requested: edit \(auto-rejecting\)/s.test(message) && !message.includes('\u001b');
    });
  });
});

(sandbox.ok ? it : it.skip)(`in the sandbox, the agent cannot write outside its tree: $HOME and the live repository stay untouched${sandbox.ok ? '' : ` (skipped: ${sandbox.reason})`}`, async () => {
  const escape = join(homedir(), 'lifeos-agent-escape.txt');
  rmSync(escape, { force: true });
  await withAgent('echo x > "$HOME/lifeos-agent-escape.txt" || true\necho x > "$TARGET/src/direct.txt" || true\necho v2 > src/app.txt', async (repo, agent) => {
    const out = await executeBuild({ command: [agent] }, context(repo, { child_env: { set: { TARGET: repo } } }));
    assert.is(out.sandboxed, true);
    assert.equal(out.changed, [{ path: 'src/app.txt', deleted: false }]);
    assert.not.ok(existsSync(escape));
    assert.not.ok(existsSync(join(repo, 'src/direct.txt')), 'the live repository is read-only to the agent');
  });
});

it.run();
