// The layers of docs/architecture.md, checked on every import in lib/: each folder may import
// only itself and the folders below it, so the arrows never point up.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { suite } from './temp.ts';
import * as assert from 'uvu/assert';
import { repoRoot } from './helpers.ts';

const test = suite();

// Lowest first; '.' is lib/index.ts and lib/testing.ts.
const LAYERS = ['core', 'governance', 'agents', 'council', 'tools', 'operations', 'runtime', '.', 'cli'];
const lib = join(repoRoot, 'lib');

function layerOf(file: string): number {
  const path = relative(lib, file);
  return LAYERS.indexOf(path.includes('/') ? (path.split('/')[0] as string) : '.');
}

function sources(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('every import in lib/ points to its own layer or one below (docs/architecture.md)', () => {
  const upward: string[] = [];
  for (const file of sources(lib)) {
    assert.ok(layerOf(file) >= 0, `${relative(repoRoot, file)} is in no layer of docs/architecture.md`);
    for (const [, target] of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const imported = resolve(dirname(file), target as string);
      if (layerOf(imported) > layerOf(file)) upward.push(`${relative(repoRoot, file)} imports ${relative(repoRoot, imported)}`);
    }
  }
  assert.equal(upward, []);
});

test.run();
