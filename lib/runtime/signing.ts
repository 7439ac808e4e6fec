/**
 * Ed25519 signing of the anchor log (docs/journal-format.md, "Threat model"): a key kept outside
 * the repository signs every anchor, so someone who can write the repository but not read the
 * key cannot produce a history that verifies against the key's public half. node:crypto only.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { sha256, type Sha256 } from '../core/canonical.ts';

/** The environment variable naming the private key a run signs its anchors with. */
export const SIGNING_KEY_ENV = 'LIFEOS_SIGNING_KEY';

export interface PublicKey {
  publicKey: KeyObject;
  /** sha256 of the public key (SPKI DER): which key signed. */
  keyId: Sha256;
}

/** A private key, with its public half (so the engine can check what it signed itself). */
export interface SigningKey extends PublicKey {
  privateKey: KeyObject;
}

/** A signature as it is stored beside what it signs (anchors, the run lock, decisions). */
export interface Signature {
  key_id: Sha256;
  /** Base64 Ed25519 signature of the UTF-8 bytes of the payload. */
  value: string;
}

/** Thrown when a key file is missing or is not an Ed25519 key; says which file and what to do. */
export class SigningKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningKeyError';
  }
}

/** `$XDG_CONFIG_HOME/lifeos-mission/signing-key.pem`, else `~/.config/...`. */
export function defaultKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'lifeos-mission', 'signing-key.pem');
}

/** Create a key pair: the private key at `path` (mode 0600), the public key at `<path>.pub`. Never overwrites. */
export function generateSigningKey(path: string): { keyId: Sha256; publicPath: string } {
  const publicPath = `${path}.pub`;
  for (const file of [path, publicPath]) {
    if (existsSync(file)) throw new SigningKeyError(`${file} exists already; a key is never overwritten (move it away first, or pass another --out)`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  writeFileSync(publicPath, publicKey.export({ format: 'pem', type: 'spki' }), { mode: 0o644, flag: 'wx' });
  return { keyId: keyIdOf(publicKey), publicPath };
}

export function loadSigningKey(path: string): SigningKey {
  const privateKey = readKey(path, (pem) => createPrivateKey(pem), 'private');
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

/** A public key file (or a private one, whose public half is taken). */
export function loadPublicKey(path: string): PublicKey {
  const publicKey = readKey(path, (pem) => createPublicKey(pem), 'public');
  return { publicKey, keyId: keyIdOf(publicKey) };
}

export function keyIdOf(publicKey: KeyObject): Sha256 {
  return sha256(publicKey.export({ format: 'der', type: 'spki' }));
}

export function signWith(key: SigningKey, payload: string): Signature {
  return { key_id: key.keyId, value: sign(null, Buffer.from(payload), key.privateKey).toString('base64') };
}

/** Whether `signature` (as stored, of any shape) is `key`'s signature of `payload`. */
export function signedBy(signature: unknown, key: PublicKey, payload: string): boolean {
  const { key_id: keyId, value } = (signature ?? {}) as { key_id?: unknown; value?: unknown };
  if (keyId !== key.keyId || typeof value !== 'string') return false;
  try {
    return verify(null, Buffer.from(payload), key.publicKey, Buffer.from(value, 'base64'));
  } catch {
    return false;
  }
}

function readKey(path: string, parse: (pem: string) => KeyObject, kind: string): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SigningKeyError(`cannot read the ${kind} key ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (create one with \`lifeos-mission keygen\`)`);
  }
  let key: KeyObject;
  try {
    key = parse(pem);
  } catch (error) {
    throw new SigningKeyError(`${path} is not a PEM key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new SigningKeyError(`${path} is a ${String(key.asymmetricKeyType)} key; anchors are signed with Ed25519 keys (\`lifeos-mission keygen\`)`);
  return key;
}
