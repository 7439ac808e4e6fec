/**
 * Embedding lifeos-mission in your own tool: register a host operation, validate a mission that
 * uses it, and expand it into its execution plan.
 *
 *   npm run build && node --import tsx examples/embed-validate-plan.ts
 */
import { readFileSync } from 'node:fs';
import { createRegistry, defaultRegistry, formatDiagnostic, loadMission, planMission, type PlanNode } from 'lifeos-mission';

// 1. A registry: the built-in operations and missions, plus the host's own operation.
const registry = createRegistry({
  extend: defaultRegistry(),
  operations: [{ type: 'spell_check', description: 'spell-check one document', writes: false, compensation: 'none', idempotent: true }],
});

// 2. Load and validate: every problem at once, with file:line:col.
const filename = new URL('./embed/docs_review.yaml', import.meta.url);
const loaded = loadMission(readFileSync(filename, 'utf8'), { filename: 'examples/embed/docs_review.yaml', registry });
if (!loaded.ok) {
  for (const d of loaded.diagnostics) console.error(formatDiagnostic(d));
  process.exit(1);
}

// 3. Plan: fan-out expanded, the nested review mission inlined, step outputs left as references.
const plan = planMission(loaded.mission, { inputs: { documents: ['README.md', 'docs/cli.md'] }, registry });
const walk = (nodes: PlanNode[], depth = 0): void => {
  for (const node of nodes) {
    console.log(`${'  '.repeat(depth)}${node.id} (${node.type}${node.type === 'operation' ? `: ${node.operation}` : ''})`);
    if (node.type === 'mission') walk(node.steps, depth + 1);
    if (node.type === 'fan_out') walk(node.instances, depth + 1);
  }
};
console.log(`${plan.mission} v${plan.mission_version}: ${plan.counts.operations} operations, inputs ${JSON.stringify(plan.inputs)}`);
walk(plan.steps);
