/**
 * The execution plan as a readable tree: one line per node with what it does, whether it
 * writes and how it is undone, fan-out instances and nested missions indented beneath.
 */
import { knownSkipped } from '../core/known-values.ts';
import { planNodes, type ExecutionPlan, type PlanNode, type PlanValue } from '../core/plan-model.ts';

export function renderPlanTree(plan: ExecutionPlan): string {
  const { counts } = plan;
  const lines = [
    `plan ${plan.mission} v${plan.mission_version}  ${plan.mission_hash.slice(0, 19)}…`,
    `inputs: ${Object.entries(plan.inputs).map(([name, value]) => `${name}=${short(value)}`).join(', ') || '(none)'}`,
    `${counts.operations} operations (${counts.writing} writing${skippedText(plan.steps)}), ${counts.human} human, ${counts.nested_missions} nested missions, ${counts.fan_out_instances} fan-out instances; timeout ${plan.timeout_seconds}s`,
    '',
  ];
  if (plan.preconditions.length > 0) lines.push(`preconditions: ${plan.preconditions.map((p) => sourceText(p.$condition.source)).join('; ')}`);
  renderNodes(plan.steps, '', lines);
  lines.push('', 'outputs:');
  for (const [name, value] of Object.entries(plan.outputs)) lines.push(`  ${name} <- ${describeValue(value)}`);
  return `${lines.join('\n')}\n`;
}

/** `, 12 skipped by their when` when the inputs already decide that some will not run. */
function skippedText(nodes: readonly PlanNode[]): string {
  const skipped = [...planNodes(nodes)].filter((node) => node.type === 'operation' && knownSkipped(node)).length;
  return skipped === 0 ? '' : `, ${skipped} skipped by their when`;
}

function renderNodes(nodes: readonly PlanNode[], indent: string, lines: string[]): void {
  nodes.forEach((node, index) => {
    const last = index === nodes.length - 1;
    const label = node.bindings ? node.id.slice(node.id.lastIndexOf('[')) : node.step_id;
    const connector = indent === '' ? '' : last ? '└─ ' : '├─ ';
    const skipped = knownSkipped(node);
    lines.push(`${indent}${connector}${label.padEnd(Math.max(1, 28 - indent.length - connector.length))} ${summary(node)}${skipped ? '  (skipped: its when is false)' : ''}`);
    const childIndent = indent === '' ? '  ' : `${indent}${last ? '   ' : '│  '}`;
    if (node.type === 'mission') renderNodes(node.steps, childIndent, lines);
    if (node.type === 'fan_out' && !skipped) renderNodes(node.instances, childIndent, lines);
  });
}

function summary(node: PlanNode): string {
  switch (node.type) {
    case 'mission':
      return `mission ${node.mission} v${node.mission_version}`;
    case 'fan_out':
      return `fan-out x${node.instances.length} over ${node.variables.join(', ')}`;
    case 'human':
      return 'human approval';
    case 'operation': {
      const detail = operationDetail(node.operation, node.params);
      const effect = node.writes ? `writes; undo: ${node.compensation.command}` : 'read-only';
      return `${node.operation}${detail ? ` ${detail}` : ''}  [${effect}]`;
    }
  }
}

function operationDetail(operation: string, params: Record<string, PlanValue>): string {
  if (operation === 'llm_call') return `role=${describeValue(params.role ?? null)}`;
  if (operation === 'tool_invoke') return `${describeValue(params.tool ?? null)}.${describeValue(params.action ?? null)}`;
  if (operation === 'packet_route') return `transform=${describeValue(params.transform ?? null)}`;
  if (operation === 'gate_check') {
    const condition = params.condition;
    if (condition && typeof condition === 'object' && '$condition' in condition) return `if ${describeValue(condition)}`;
    if (params.schema !== undefined) return `schema=${describeValue(params.schema)}`;
    if (params.check !== undefined) return `check=${describeValue(params.check)}`;
  }
  return '';
}

function sourceText(source: unknown): string {
  return typeof source === 'string' ? source : JSON.stringify(source);
}

/** A plan value in a few characters: literals shortened, references as `<node>.path`. */
function describeValue(value: PlanValue | undefined): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    if ('$ref' in value) return `${String(value.$ref)}${(value.path as string[]).map((p) => `.${p}`).join('')}`;
    if ('$template' in value) return `"${(value.$template as PlanValue[]).map((part) => (typeof part === 'string' ? part : `{${describeValue(part)}}`)).join('')}"`;
    if ('$condition' in value) return sourceText((value.$condition as { source: unknown }).source);
  }
  return typeof value === 'string' ? value : short(value);
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
