#!/usr/bin/env node
/**
 * The lifeos-mission executable (package.json "bin"). `validate`, the command CI runs on every
 * push, starts from one CommonJS script, dist/cli/validate.cjs, compiled from V8's code cache
 * that `npm run build` writes beside it: no module graph to resolve and nothing to compile, which
 * is about a third of its start (npm run bench). Every other command starts the ES module CLI.
 *
 * V8 rejects a cache made by another Node or V8 version, or with other flags; the script then
 * compiles as usual (correct, only slower). LIFEOS_CODE_CACHE=write (the build) writes the cache
 * when the command ends; LIFEOS_CODE_CACHE=report says on stderr whether it was used.
 */
import fs = require('node:fs');
import nodeModule = require('node:module');
import path = require('node:path');
import v8 = require('node:v8');
import vm = require('node:vm');

// V8 does not check a code cache's bytes unless asked (one flipped bit crashed the process), and
// matches it to its script by length only. So: V8 checks the checksum it writes into every cache
// (the flag is part of the cache's flag hash, so writer and reader both set it), and the cache
// file starts with the id of the build that made it, which validate.cjs carries in its first
// line (scripts/bundle-cli.mjs). A damaged cache or one of another build is not used.
const BUILD_ID = /^"use strict";\/\*build ([0-9a-f]{16})\*\//;
const MAGIC = 'CLM1';
const HEADER_BYTES = MAGIC.length + 16;

function runValidate(): void {
  const file = path.join(__dirname, 'validate.cjs');
  const cacheFile = `${file}.cache`;
  const text = fs.readFileSync(file, 'utf8');
  const buildId = BUILD_ID.exec(text)?.[1];
  v8.setFlagsFromString('--verify-snapshot-checksum');
  const cache = fs.existsSync(cacheFile) ? fs.readFileSync(cacheFile) : undefined;
  const cachedData = cache && buildId && cache.toString('latin1', 0, HEADER_BYTES) === MAGIC + buildId ? cache.subarray(HEADER_BYTES) : undefined;
  // The wrapper starts on the script's first line, so line numbers in stack traces stay right.
  // Code compiled from the cache cannot import(): the bundle imports through `__lifeos_import`
  // (core/import-module.ts), this module's own import().
  const source = `(function (exports, require, module, __filename, __dirname, __lifeos_import) {${text}\n})`;
  const script = new vm.Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const mode = process.env.LIFEOS_CODE_CACHE;
  if (mode === 'write' && buildId) process.once('beforeExit', () => writeAtomically(cacheFile, Buffer.concat([Buffer.from(MAGIC + buildId, 'latin1'), script.createCachedData()])));
  if (mode === 'report') {
    const status = cache === undefined ? 'none' : cachedData === undefined || script.cachedDataRejected ? 'rejected' : 'used';
    process.once('beforeExit', () => process.stderr.write(`code cache: ${status}\n`));
  }
  const module = { exports: {} };
  const importForBundle = (specifier: string): Promise<unknown> => import(specifier);
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, nodeModule.createRequire(file), module, file, __dirname, importForBundle);
}

function writeAtomically(file: string, data: Buffer): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, data);
  fs.renameSync(temporary, file);
}

if (process.argv[2] === 'validate') runValidate();
else void import('./bin.ts');
