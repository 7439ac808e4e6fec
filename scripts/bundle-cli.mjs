#!/usr/bin/env node
// Bundles the CLI (lib/cli/bin.ts and everything it imports, yaml included; the handlebars
// parser is loaded lazily, only for unusual templates) into dist/cli/bin.js, the run commands
// and the engine into chunks beside it.
// Loading one minified file instead of ~80 modules is most of what keeps `lifeos-mission
// validate` within 2x of a bare `node` start (npm run bench). The library entry
// (dist/index.js) stays tsc's unbundled output.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: clear the last build's so they do not pile up.
rmSync('dist/cli/chunks', { recursive: true, force: true });

await build({
  entryPoints: ['lib/cli/bin.ts'],
  outdir: 'dist/cli',
  // The run commands are imported dynamically (main.ts); splitting puts them and the engine in
  // chunks of their own, which `validate` never reads.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // yaml's ESM build can be tree-shaken; its Node entry is CommonJS.
  alias: { yaml: './node_modules/yaml/browser/index.js' },
  // CommonJS code in the bundle require()s node built-ins; handlebars is require()d lazily.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // ajv is only loaded when a run checks params or schemas; keep its compiler out of the bundle.
  external: ['ajv'],
  minify: true,
  logLevel: 'warning',
});
