/**
 * `tool_invoke` (spec §5.2): call a tool's action inside the envelope. The built-in tools are
 * `filesystem`, `git`, `test`, and `coding_agent` (alias `opencode`); hosts add or replace tools
 * with runMission({ tools }). Whatever a tool does, the engine's diff gate checks every changed
 * path after it (writing actions); the tools check their paths before acting as well.
 * Params: `tool`, `action`, the action's own params, and optional `when` / `otherwise` and
 * `scope` (a BUILD_PACKET's scope, which narrows the envelope for this call: governance/write-policy.ts).
 */
import { executeBuild } from '../tools/coding-agent.ts';
import { readFiles, updateState, writeFiles } from '../tools/filesystem.ts';
import { add, branch, checkout, commit, diffStat, status } from '../tools/git.ts';
import { runTests } from '../tools/test-runner.ts';
import type { Tool } from '../tools/tool.ts';
import { skippedOutput } from './conditional.ts';
import { toolPreflight } from './tool-preflight.ts';
import { builtinDefinition, defineOperation, type OperationHandler } from './handler.ts';

const codingAgent: Tool = { name: 'coding_agent', actions: { execute_build: executeBuild } };

export const BUILTIN_TOOLS: readonly Tool[] = [
  { name: 'filesystem', actions: { read_files: readFiles, write_files: writeFiles, update_state: updateState } },
  { name: 'git', actions: { diff_stat: diffStat, status, branch, checkout, add, commit } },
  { name: 'test', actions: { run: runTests } },
  codingAgent,
  { ...codingAgent, name: 'opencode' },
];

export function toolInvokeHandler(extra: Iterable<Tool> = []): OperationHandler {
  const tools = new Map([...BUILTIN_TOOLS, ...extra].map((tool) => [tool.name, tool]));
  return defineOperation({
    ...builtinDefinition('tool_invoke'),
    preflight: (known, context) => toolPreflight(known, context, tools),
    execute: async (params, context) => {
      const skipped = skippedOutput(params);
      if (skipped.skip) return skipped.output;
      const tool = tools.get(params.tool as string);
      if (!tool) throw new Error(`unknown tool "${String(params.tool)}" (known: ${[...tools.keys()].sort().join(', ')}); register it with runMission({ tools })`);
      const action = tool.actions[params.action as string];
      if (!action) throw new Error(`tool ${tool.name} has no action "${String(params.action)}" (it has: ${Object.keys(tool.actions).sort().join(', ')})`);
      const { tool: _tool, action: _action, when: _when, otherwise: _otherwise, ...rest } = params;
      // The engine has added the step's scope and the repository's builder policy to context.envelopes.
      return action(rest, context);
    },
  });
}
