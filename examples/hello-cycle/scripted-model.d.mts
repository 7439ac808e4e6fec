// Types of scripted-model.mjs, for the TypeScript tests.
export const TASK: string;
export const SCENARIOS: Record<string, unknown>;
export const NEEDS_CEO: string;
export function startScriptedModel(scenario?: string, options?: { onCall?: (role: string, count: number) => void | Promise<void> }): Promise<{ url: string; calls: string[]; close: () => Promise<void> }>;
