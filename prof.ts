import { canonicalJson } from './lib/core/canonical.ts';
import { analyseMission } from './lib/core/load.ts';
import { planMission } from './lib/core/plan.ts';
import { createRegistry } from './lib/core/registry.ts';
const registry = createRegistry();
const loaded = analyseMission(`mission: b
version: "1.0"
inputs: [{name: items, type: list}]
outputs: []
steps:
  - {id: prepare, kind: runtime, operation: noop}
  - id: each
    kind: runtime
    operation: llm_call
    for_each: {item: "{{items}}"}
    params: {role: "worker_{{item}}", input_packet: {item: "{{item}}", context: "{{steps.prepare.output}}", note: "item {{item}} of the batch"}}
`, { registry }) as any;
if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
const items = Array.from({ length: 10_000 }, (_, i) => `item${i}`);
let plan: any;
for (let i = 0; i < 8; i++) { const t = performance.now(); plan = planMission(loaded.mission, { inputs: { items }, registry }); console.log('plan', (performance.now() - t).toFixed(1)); }
const v = JSON.parse(JSON.stringify(plan));
for (let i = 0; i < 8; i++) { const t = performance.now(); canonicalJson(v); console.log('canon', (performance.now() - t).toFixed(1)); }
