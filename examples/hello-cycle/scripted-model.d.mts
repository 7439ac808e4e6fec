// Types of scripted-model.mjs, for the TypeScript tests.
export const TASK: string;
export const SCENARIOS: Record<string, unknown>;
export function startScriptedModel(scenario?: string): Promise<{ url: string; calls: string[]; close: () => Promise<void> }>;
