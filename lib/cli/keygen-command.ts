/**
 * `lifeos-mission keygen [--out FILE]`: create the Ed25519 key pair that signs the anchor log
 * (docs/journal-format.md, "Signing"). The private key must live outside every repository a run
 * writes: a key the repository's writers can read signs nothing they could not forge.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultKeyPath, generateSigningKey, SIGNING_KEY_ENV } from '../runtime/signing.ts';
import { EXIT, parseFormat, UsageError, type CliIO, type Command } from './io.ts';

export const KEYGEN_USAGE = `Usage: lifeos-mission keygen [options]

Creates an Ed25519 key pair for signing the anchor log: the private key (mode 0600) and,
beside it, its public key (<file>.pub). Runs sign their anchors when ${SIGNING_KEY_ENV} names
the private key (or with --signing-key); \`verify --public-key <file>.pub\` then refuses any
anchor the key did not sign. An existing key is never overwritten, and a key inside a git
repository is refused.

Options:
  --out FILE           where to write the private key (default: ${defaultKeyPath().replace(/^\/root|^\/home\/[^/]+/, '~')})
  --format text|json   output format (default: text)
  -h, --help           show this help

Exit codes: 0 written, 2 usage error (the key exists, or the path is inside a repository).
`;

export function keygenCommand(args: string[], io: CliIO): number {
  const { values } = parseArgs({ args, options: { out: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.stdout.write(KEYGEN_USAGE);
    return EXIT.ok;
  }
  const format = parseFormat(values.format, ['text', 'json']);
  const path = resolve(values.out ?? defaultKeyPath());
  const repository = enclosingRepository(dirname(path));
  if (repository) throw new UsageError(`${path} is inside the git repository ${repository}: anyone who can read the repository could sign with it; keep the key outside (the default is ${defaultKeyPath()})`);
  let written: ReturnType<typeof generateSigningKey>;
  try {
    written = generateSigningKey(path);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (format === 'json') {
    io.stdout.write(`${JSON.stringify({ private_key: path, public_key: written.publicPath, key_id: written.keyId }, null, 2)}\n`);
    return EXIT.ok;
  }
  io.stdout.write(
    [
      `wrote the private key ${path} (mode 0600) and its public key ${written.publicPath}`,
      `key id ${written.keyId}`,
      '',
      `sign every run's anchors:   export ${SIGNING_KEY_ENV}=${path}`,
      `verify against the key:     lifeos-mission verify logs/mission_journals --public-key ${written.publicPath}`,
      '',
      'Give the auditor the public key through a channel the repository\'s writers do not control.',
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}

/**
 * The nearest folder at or above `start` that holds `.git`, if any. The folder need not exist
 * yet; the part that does is resolved through its symlinks, so a link cannot hide a repository.
 */
function enclosingRepository(start: string): string | undefined {
  let existing = start;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  for (let folder = realpathSync(existing); ; folder = dirname(folder)) {
    if (existsSync(join(folder, '.git'))) return folder;
    if (dirname(folder) === folder) return undefined;
  }
}

/** Loaded lazily by main.ts. */
export const command: Command = { run: keygenCommand, usage: KEYGEN_USAGE };
