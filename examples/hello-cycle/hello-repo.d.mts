// Types of hello-repo.mjs, for the TypeScript tests and the bench.
export const FIXTURES: string;
export const INPUTS: string;
export function createHelloRepo(target: string, options: { initRepository: (options: { repoRoot: string; approvedBy: string; councilRulingRef?: string; now?: () => Date }) => unknown; withFixtures?: boolean }): string;
