// Types of changelog.mjs for TypeScript importers (embed-run.ts).
import type { OperationHandler } from 'lifeos-mission';

export declare const appendChangelog: OperationHandler;
export declare const handlers: OperationHandler[];
