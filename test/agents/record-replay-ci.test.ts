// docs/agents.md "Record once, replay in CI", step by step as written, in a repository made by
// `lifeos-mission init`: the real CLI records the build cycle against a loopback model, the
// fixtures and the doc's own replay test are committed, and that test, run with node --test from
// inside the repository at the new commit, replays every call (as code_drift) with no request
// to the model and no key. --strict-replay then refuses the same fixtures, naming the step.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { initRepository } from '../../lib/runtime/init-repository.ts';
import { createHelloRepo, INPUTS } from '../../examples/hello-cycle/hello-repo.mjs';
import { startScriptedModel } from '../../examples/hello-cycle/scripted-model.mjs';
import { repoRoot } from '../helpers.ts';

const it = suite('record once, replay in CI (docs/agents.md)');
const doc = readFileSync(join(repoRoot, 'docs/agents.md'), 'utf8');
const section = doc.slice(doc.indexOf('### Record once, replay in CI'));
const CLI = join(repoRoot, 'dist/cli/lifeos-mission.cjs');

/** The doc's shell session, as commands (without the prompt and comments). */
function docCommands(): string[][] {
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .split('\n')
    .filter((line) => line.startsWith('$ '))
    .map((line) => line.slice(2).replace(/\s+#.*$/, ''))
    .map((line) => (line.match(/"[^"]*"|\S+/g) ?? []).map((word) => word.replace(/^"|"$/g, '')));
}

/** A child process, awaited without blocking this process's loopback model. */
function spawnAsync(command: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command[0] as string, command.slice(1), { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

it('the documented commands and test replay the cycle at the fixtures commit, with zero model requests', async () => {
  const repo = createHelloRepo(tempDir('lifeos-ci-replay-'), { initRepository, withFixtures: false });
  writeFileSync(join(repo, 'inputs.json'), `${JSON.stringify(parse(readFileSync(INPUTS, 'utf8')), null, 2)}\n`);
  const writeReplayTest = (): void => {
    mkdirSync(join(repo, 'ci'));
    writeFileSync(join(repo, 'ci/replay-cycle.mjs'), /```js\n([\s\S]*?)```/.exec(section)?.[1] ?? '');
  };
  // The package, installed as a project installs it (node_modules is ignored).
  mkdirSync(join(repo, 'node_modules'));
  symlinkSync(repoRoot, join(repo, 'node_modules/lifeos-mission'));

  const model = await startScriptedModel('happy');
  const { OPENROUTER_API_KEY: _key, LIFEOS_TEST_MODE: _mode, ...env } = process.env;
  let keyed = false;
  try {
    const commands = docCommands();
    assert.ok(commands.length >= 8, JSON.stringify(commands));
    let recordedCalls = 0;
    for (const argv of commands) {
      const [program, ...args] = argv as [string, ...string[]];
      if (program === 'export') {
        keyed = true;
        continue;
      }
      if (program === 'unset') {
        keyed = false;
        recordedCalls = model.calls.length;
        continue;
      }
      if (args.includes('ci/replay-cycle.mjs') && args[0] === 'add') writeReplayTest();
      const childEnv = keyed ? { ...env, OPENROUTER_API_KEY: 'sk-or-v1-scripted-0123456789' } : env;
      const command = program === 'npx' ? [process.execPath, CLI, ...args.slice(1), ...(args.includes('run') ? ['--llm-base-url', model.url] : [])] : [program, ...args];
      const run = await spawnAsync(command, repo, childEnv);
      assert.is(run.status, 0, `${argv.join(' ')}\n${run.stdout}\n${run.stderr}`);
      if (program === 'node') assert.match(run.stdout, /# pass 1/);
    }
    assert.is(recordedCalls, 14, 'the cycle was recorded against the model');
    assert.is(model.calls.length, recordedCalls, 'the replay made no request');

    // --strict-replay: the same fixtures, refused at the first call, and the repository rolled back.
    const strict = await spawnAsync([process.execPath, CLI, 'run', 'autonomous_build_cycle', '--inputs', 'inputs.json', '--mode', 'replay', '--strict-replay', '--llm-base-url', model.url], repo, env);
    assert.is(strict.status, 1, strict.stdout + strict.stderr);
    assert.match(strict.stdout, /replay miss at step design\/design: .* recorded at commit [0-9a-f]{12}, and this replay runs at [0-9a-f]{12}: --strict-replay takes exact matches only/);
    assert.is(model.calls.length, recordedCalls);
    const status = spawnSync('git', ['status', '--porcelain', '--', '.', ':!logs', ':!.lifeos'], { cwd: repo, encoding: 'utf8' }).stdout;
    assert.is(status.trim(), '');
  } finally {
    await model.close();
  }
});

it.run();
