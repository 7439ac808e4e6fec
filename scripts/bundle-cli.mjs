#!/usr/bin/env node
// Bundles the CLI for its executable, dist/cli/lifeos-mission.cjs (tsc's output of
// lib/cli/lifeos-mission.cts), which starts one of two bundles:
//   - dist/cli/bin.js: lib/cli/bin.ts, every command, as ES modules; the run commands and the
//     engine in chunks of their own, loaded when used;
//   - dist/cli/validate.cjs: `validate` alone in one CommonJS script, run with V8's code cache,
//     which this script writes by validating the built-in missions once (validate.cjs.cache).
// The yaml library and the handlebars parser are loaded lazily from node_modules, only for YAML
// the block reader declines and unusual templates. The library entry (dist/index.js) stays
// tsc's unbundled output. npm run bench measures validate's start against a bare `node`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: clear the last build's so they do not pile up.
rmSync('dist/cli/chunks', { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // ajv is only loaded when a run checks params or schemas; keep its compiler out of the bundles.
  external: ['ajv'],
  minify: true,
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: ['lib/cli/bin.ts'],
  outdir: 'dist/cli',
  // The run commands are imported dynamically (main.ts); splitting puts them and the engine in
  // chunks of their own.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  // CommonJS code in the bundle require()s node built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});

const validate = await build({
  ...common,
  entryPoints: ['lib/cli/validate-cli.ts'],
  outfile: 'dist/cli/validate.cjs',
  format: 'cjs',
  write: false,
  // The library finds its package root and its lazy modules from import.meta.url.
  define: { 'import.meta.url': '__import_meta_url' },
  banner: { js: 'const __import_meta_url=require("node:url").pathToFileURL(__filename).href;' },
});
// The first line names the build (a hash of the bundle), and the code cache is matched to it.
const bundled = validate.outputFiles[0].text;
const buildId = createHash('sha256').update(bundled).digest('hex').slice(0, 16);
writeFileSync('dist/cli/validate.cjs', `"use strict";/*build ${buildId}*/\n${bundled}`);

rmSync('dist/cli/validate.cjs.cache', { force: true });
execFileSync(process.execPath, ['dist/cli/lifeos-mission.cjs', 'validate', 'missions/'], { env: { ...process.env, LIFEOS_CODE_CACHE: 'write' }, stdio: 'ignore' });
