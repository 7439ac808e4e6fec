// Host operation handlers, in plain JavaScript so the CLI can load them without a build step:
//
//   npx lifeos-mission run examples/missions/changelog.yaml --handlers examples/handlers/changelog.mjs \
//     --input version=1.2.0 --input 'entries=["Faster plans","Fix: resume by run id prefix"]'
//
// embed-run.ts imports the same module to run the mission from TypeScript.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `append_changelog`: appends a release section to CHANGELOG.md. It writes, so the engine
 * snapshots the repository before it runs and, if the run cannot complete, restores every file
 * it touched (`fs_restore`); the handler itself needs no undo code.
 *
 * @type {import('lifeos-mission').OperationHandler}
 */
export const appendChangelog = {
  type: 'append_changelog',
  description: 'append a release section to CHANGELOG.md',
  writes: true,
  compensation: 'fs_restore',
  idempotent: false,
  // Checked before the handler runs; a mismatch fails the step with the field and the reason.
  paramsSchema: {
    type: 'object',
    required: ['version', 'entries'],
    additionalProperties: false,
    properties: { version: { type: 'string', minLength: 1 }, entries: { type: 'array', minItems: 1, items: { type: 'string' } } },
  },
  execute(params, context) {
    const section = `\n## ${params.version}\n\n${params.entries.map((entry) => `- ${entry}\n`).join('')}`;
    appendFileSync(join(context.repo_root, 'CHANGELOG.md'), section);
    return { file: 'CHANGELOG.md', entries: params.entries.length };
  },
};

export const handlers = [appendChangelog];
