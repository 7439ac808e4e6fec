/**
 * Section 11: the README's first command (install, then the offline demo) on a clean clone of
 * this repository's HEAD, timed part by part. The command is read from the README itself, so the
 * figure is always the one a newcomer gets by following it. Packages come from npm's cache when
 * it holds them (the registry otherwise); skipped where the checkout is not a git repository.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchRow } from './scaling.ts';

/** The first line of the README's first code block, without its comment. */
export function readmeFirstCommand(readme: string): string {
  const block = /```bash\n([^\n]*)\n/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no ```bash block to take the first command from');
  return block.replace(/#.*$/, '').trim();
}

export function firstCommandSection(options: { root: string; scratch: (prefix: string) => string }): BenchRow[] {
  const command = readmeFirstCommand(readFileSync(join(options.root, 'README.md'), 'utf8'));
  if (!existsSync(join(options.root, '.git'))) return [{ name: `${command} on a clean clone (skipped: not a git checkout)`, value: '-', target: '', ok: true }];
  const clone = join(options.scratch('lifeos-bench-clone-'), 'repo');
  execFileSync('git', ['clone', '-q', options.root, clone]);
  const rows: BenchRow[] = [];
  let total = 0;
  for (const part of command.split('&&').map((text) => text.trim())) {
    const start = performance.now();
    const result = spawnSync('bash', ['-c', part], { cwd: clone, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    const seconds = (performance.now() - start) / 1000;
    total += seconds;
    if (result.status !== 0) throw new Error(`\`${part}\` failed on a clean clone (exit ${result.status}):\n${result.stderr.slice(-2000)}`);
    rows.push({ name: `  of which \`${part}\``, value: `${seconds.toFixed(1)} s`, target: '', ok: true });
  }
  return [{ name: `\`${command}\` on a clean clone`, value: `${total.toFixed(1)} s`, target: '', ok: true }, ...rows];
}
