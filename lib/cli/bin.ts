#!/usr/bin/env node
// The CLI as an ES module, every command (the launcher, lifeos-mission.cts, starts it for all but
// `validate`; tests and `node dist/cli/bin.js` use it directly).
import { main } from './main.ts';
import { runAsProcess } from './process-io.ts';

await runAsProcess(main);
