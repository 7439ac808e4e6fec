/**
 * The yaml library, loaded on first use. Mission files in the common block style never need it
 * (yaml-block-reader.ts reads them), and not loading it is a good part of what keeps a cold
 * `validate` close to a bare `node` start (npm run bench).
 */
import { createRequire } from 'node:module';

type YamlLibrary = typeof import('yaml');

let library: YamlLibrary | undefined;

export function yamlLibrary(): YamlLibrary {
  library ??= createRequire(import.meta.url)('yaml') as YamlLibrary;
  return library;
}
