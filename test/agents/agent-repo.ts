// A repository set up for llm_call: a designer prompt, a model mapping (a primary and a
// fallback) and its approved baseline, and a one-call mission that asks the designer for a plan.
import { writeGovernanceBaseline } from '../../lib/governance/baseline.ts';
import { git, makeRepo } from '../git-repo.ts';

export const KEY = 'sk-or-v1-TEST-SECRET-0123456789abcdef';
export const PLAN_SCHEMA = { type: 'object', required: ['plan'], properties: { plan: { type: 'string' } } };

export const MISSION = `mission: ask_designer
version: "1.0"
inputs: [{name: task, type: str, default: "add a README section"}]
outputs: [{name: plan, type: any, value: "{{steps.design.output.packet.plan}}"}]
steps:
  - id: design
    kind: runtime
    operation: llm_call
    params:
      role: designer
      input_packet: {task: "{{task}}"}
      output_schema: PLAN
`;

/** A repository with a designer prompt, a model mapping (a primary and a fallback) and its approved baseline. */
export const MODELS = 'roles:\n  designer:\n    models: [vendor/model-a, vendor/model-b]\nprices:\n  vendor/model-a: {input: 1.0, output: 2.0}\nmax_tokens: 500\ntimeout_seconds: 1\n';

export function agentRepo(prompt = 'You are the designer. Answer with {"plan": "..."}.\n', models = MODELS): string {
  const repo = makeRepo({
    'README.md': 'hello\n',
    'config/agent_roles/designer.md': prompt,
    'config/models.yaml': models,
  });
  writeGovernanceBaseline({ repoRoot: repo, approvedBy: 'CEO', councilRulingRef: 'R1', now: () => new Date('2026-01-01T00:00:00Z') });
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'agents');
  return repo;
}

