#!/usr/bin/env node
// Bundles the CLI (lib/cli/bin.ts and everything it imports, yaml included; the handlebars
// parser is loaded lazily, only for unusual templates) into the one file dist/cli/bin.js.
// Loading one minified file instead of ~80 modules is most of what keeps `lifeos-mission
// validate` within 2x of a bare `node` start (npm run bench). The library entry
// (dist/index.js) stays tsc's unbundled output.
import { build } from 'esbuild';

await build({
  entryPoints: ['lib/cli/bin.ts'],
  outfile: 'dist/cli/bin.js',
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
