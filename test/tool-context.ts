// The context a tool action receives, for calling tools directly in tests: the default run paths,
// no envelope unless given, the default sandbox (bubblewrap where it works), no extra environment.
import type { Envelope } from '../lib/core/types.ts';
import { DEFAULT_RUN_PATHS, engineFiles, excludePathspecs } from '../lib/runtime/run-paths.ts';
import { DEFAULT_SANDBOX } from '../lib/tools/sandbox.ts';
import type { ToolContext } from '../lib/tools/tool.ts';

export function toolContext(repo: string, envelopes: Envelope[] = [], extra: Partial<ToolContext> = {}): ToolContext {
  return {
    repo_root: repo,
    envelopes,
    protected_paths: [],
    exclude_pathspecs: excludePathspecs(DEFAULT_RUN_PATHS),
    engine_paths: engineFiles(DEFAULT_RUN_PATHS).map((file) => file.path),
    signal: new AbortController().signal,
    run_id: `sha256:${'0'.repeat(64)}`,
    mission_type: 'test',
    node_id: 'step',
    sandbox: DEFAULT_SANDBOX,
    child_env: {},
    ...extra,
  };
}
