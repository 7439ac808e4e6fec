// `lifeos-mission validate` alone, bundled into one CommonJS script (dist/cli/validate.cjs) that
// the launcher (lifeos-mission.cts) runs with V8's code cache. Same dispatch as every command:
// usage errors, --format json and exit codes behave as in bin.ts.
import { dispatch } from './dispatch.ts';
import { runAsProcess } from './process-io.ts';
import { command } from './validate-command.ts';

void runAsProcess((argv, io) => dispatch(argv, io, { commands: { validate: () => command }, usage: command.usage }));
