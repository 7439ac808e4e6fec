/**
 * Canonical JSON, SHA-256 helpers and the deterministic identifiers of spec §5.1.3 / Appendix B.
 *
 * The bytes must equal CPython's
 *   json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False)
 * because run ids and call ids computed here are compared with ids computed elsewhere. Three
 * places where JSON.stringify differs and which this file handles: key order (Python sorts by
 * code point, JS by UTF-16 unit), number text (Python's float repr), and values JSON cannot hold
 * (JSON.stringify drops or nulls them; we refuse them, naming where they are).
 */
import { createRequire } from 'node:module';

type Crypto = typeof import('node:crypto');
let crypto: Crypto | undefined;
/** node:crypto, loaded on the first hash: `validate` never hashes, and loading it is a measurable part of a cold start. */
function nodeCrypto(): Crypto {
  crypto ??= createRequire(import.meta.url)('node:crypto') as Crypto;
  return crypto;
}

/** Thrown when a value has no canonical JSON form; `path` says where (`$.steps[2].params`). */
export class CanonicalJsonError extends TypeError {
  readonly path: string;
  constructor(reason: string, path: string) {
    super(`canonical JSON: ${reason} at ${path}`);
    this.name = 'CanonicalJsonError';
    this.path = path;
  }
}

/** A `sha256:<64 lowercase hex>` digest string (Appendix B). */
export type Sha256 = `sha256:${string}`;

const SHA256_PATTERN = /^sha256:[0-9a-f]{64}$/;
const MAX_EXACT_INTEGER = 2 ** 53;
const HAS_HIGH_UNIT = /[\ud800-\uffff]/;
const NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * Serialise `value` as canonical JSON (Appendix B).
 * Accepts null, booleans, finite numbers, bigints, well-formed strings, arrays and plain objects.
 * Throws CanonicalJsonError for NaN, Infinity, undefined, functions, symbols, lone surrogates,
 * cycles, sparse arrays and non-plain objects (Date, Map, class instances ...).
 */
export function canonicalJson(value: unknown): string {
  const writer = new CanonicalWriter();
  writer.write(value);
  return writer.finish();
}

/**
 * One serialisation. Pieces are appended to `parts`, which is joined into a chunk every few
 * thousand pieces, so the many small strings die young instead of surviving (and being copied
 * by) every young-generation collection until the end. The path to the current value is kept
 * as a stack and only turned into text for an error message.
 */
class CanonicalWriter {
  private parts: string[] = [];
  private readonly chunks: string[] = [];
  private readonly path: Array<string | number> = [];
  private readonly ancestors = new Set<object>();
  // Mapping keys repeat across a document; each is quoted once.
  private readonly quotedKeys = new Map<string, string>();

  write(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this.push(this.quote(value));
        return;
      case 'number':
        this.push(Number.isFinite(value) ? formatNumber(value) : this.fail(`${value} is not allowed`));
        return;
      case 'bigint':
        this.push(value.toString());
        return;
      case 'boolean':
        this.push(value ? 'true' : 'false');
        return;
      case 'object':
        if (value === null) this.push('null');
        else this.container(value);
        return;
      default:
        this.fail(`${typeof value} has no JSON form`);
    }
  }

  private container(value: object): void {
    if (this.ancestors.has(value)) this.fail('cycle');
    this.ancestors.add(value);
    if (Array.isArray(value)) this.array(value);
    else this.object(value);
    this.ancestors.delete(value);
  }

  private array(items: readonly unknown[]): void {
    this.push('[');
    for (let i = 0; i < items.length; i++) {
      this.path.push(i);
      if (!(i in items)) this.fail('sparse array (hole)');
      if (i > 0) this.push(',');
      this.write(items[i]);
      this.path.pop();
    }
    this.push(']');
  }

  private object(value: object): void {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      this.fail(`non-plain object (${(value as { constructor?: { name?: string } }).constructor?.name ?? 'object'})`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) this.fail('symbol-keyed property');
    const record = value as Record<string, unknown>;
    const keys = sortKeysByCodePoint(Object.keys(record));
    this.push('{');
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      this.path.push(key);
      let quoted = this.quotedKeys.get(key);
      if (quoted === undefined) this.quotedKeys.set(key, (quoted = this.quote(key)));
      this.push(i > 0 ? `,${quoted}:` : `${quoted}:`);
      this.write(record[key]);
      this.path.pop();
    }
    this.push('}');
  }

  // For well-formed strings JSON.stringify escapes exactly what Python's json module does:
  // quote, backslash and U+0000-U+001F (short forms, else lowercase \u00xx), nothing else.
  // Text with none of those and no surrogate at all (the common case) needs neither.
  private quote(text: string): string {
    if (!NEEDS_CARE.test(text)) return `"${text}"`;
    if (!text.isWellFormed()) this.fail('lone surrogate in string');
    return JSON.stringify(text);
  }

  finish(): string {
    this.chunks.push(this.parts.join(''));
    return this.chunks.join('');
  }

  private push(text: string): void {
    if (this.parts.push(text) === 4096) {
      this.chunks.push(this.parts.join(''));
      this.parts = [];
    }
  }

  private fail(reason: string): never {
    throw new CanonicalJsonError(reason, this.path.reduce<string>((at, step) => (typeof step === 'number' ? `${at}[${step}]` : `${at}.${step}`), '$'));
  }
}

/** Sort strings by Unicode code point, as Python does (UTF-16 order differs above U+D7FF). */
function sortKeysByCodePoint(keys: string[]): string[] {
  return keys.some((key) => HAS_HIGH_UNIT.test(key)) ? keys.sort(compareCodePoints) : keys.sort();
}

function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Both at or above the surrogate range: surrogates encode astral code points, which sort
    // after every BMP code point, so lift them above U+E000..U+FFFF.
    if (x >= 0xd800 && y >= 0xd800) return liftSurrogate(x) - liftSurrogate(y);
    return x - y;
  }
  return a.length - b.length;
}

function liftSurrogate(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * Number text as CPython prints it: integral values up to 2^53 as integers (JS cannot tell
 * `1` from `1.0`), everything else as Python's float repr (`0.1`, `1e-07`, `1e+16`, `2e+53`
 * written out as `9007199254740994.0` below 1e16).
 */
function formatNumber(value: number): string {
  if (!Number.isFinite(value)) throw new CanonicalJsonError(`${value} is not allowed`, '$');
  if (Number.isInteger(value) && Math.abs(value) <= MAX_EXACT_INTEGER) {
    return Object.is(value, -0) ? '0' : String(value);
  }
  return pythonFloatRepr(value);
}

function pythonFloatRepr(value: number): string {
  const { negative, digits, pointPosition } = shortestDigits(value);
  const sign = negative ? '-' : '';
  // CPython (pystrtod.c, repr mode) switches to exponent form when the decimal point would sit
  // more than 4 places left of, or 16 places right of, the first digit.
  if (pointPosition > -4 && pointPosition <= 16) {
    if (pointPosition <= 0) return `${sign}0.${'0'.repeat(-pointPosition)}${digits}`;
    if (pointPosition >= digits.length) return `${sign}${digits}${'0'.repeat(pointPosition - digits.length)}.0`;
    return `${sign}${digits.slice(0, pointPosition)}.${digits.slice(pointPosition)}`;
  }
  const exponent = pointPosition - 1;
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const exponentText = String(Math.abs(exponent)).padStart(2, '0');
  return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${exponentText}`;
}

/**
 * The shortest digits that round-trip `value` (ECMAScript's Number::toString picks the closest
 * of the shortest, as CPython's repr does) and where the decimal point goes: value =
 * 0.DIGITS x 10^pointPosition.
 */
function shortestDigits(value: number): { negative: boolean; digits: string; pointPosition: number } {
  const text = String(Math.abs(value));
  const [mantissa = '', exponentText] = text.split('e');
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  const dot = mantissa.indexOf('.');
  const intPart = dot === -1 ? mantissa : mantissa.slice(0, dot);
  const fracPart = dot === -1 ? '' : mantissa.slice(dot + 1);
  let digits = intPart + fracPart;
  let pointPosition = intPart.length + exponent;
  const leadingZeros = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(leadingZeros).replace(/0+$/, '');
  pointPosition -= leadingZeros;
  return { negative: value < 0, digits, pointPosition };
}

/** `sha256:<hex>` of a string (as UTF-8) or of bytes. Rejects strings with lone surrogates. */
export function sha256(data: string | Uint8Array): Sha256 {
  if (typeof data === 'string' && !data.isWellFormed()) {
    throw new CanonicalJsonError('lone surrogate in string to hash', '$');
  }
  return `sha256:${nodeCrypto().createHash('sha256').update(data).digest('hex')}`;
}

/** sha256 of the canonical JSON of `value`. */
export function hashCanonical(value: unknown): Sha256 {
  return sha256(canonicalJson(value));
}

/** True for a well-formed `sha256:<64 lowercase hex>` string. */
export function isSha256(value: unknown): value is Sha256 {
  return typeof value === 'string' && SHA256_PATTERN.test(value);
}

/** Inputs of the deterministic run id (spec §5.1.3 `compute_run_id_deterministic`). */
export interface RunIdInputs {
  /** The mission definition as loaded (a plain object). */
  missionSpec: unknown;
  /** `hashCanonical(inputs)`. */
  inputsHash: Sha256;
  /** Repository-relative path -> `sha256:` hash of each governance surface. */
  governanceSurfaceHashes: Readonly<Record<string, string>>;
  /** The code version, normally the git commit hash. */
  codeVersionId: string;
}

/**
 * run_id = sha256(canonical_json(mission_spec) + inputs_hash
 *                 + canonical_json(sorted(governance_surface_hashes.items())) + code_version_id)
 */
export function computeRunId(inputs: RunIdInputs): Sha256 {
  requireSha256(inputs.inputsHash, 'inputsHash');
  requireText(inputs.codeVersionId, 'codeVersionId');
  const surfaces = inputs.governanceSurfaceHashes;
  const sortedItems = sortKeysByCodePoint(Object.keys(surfaces)).map((path) => [path, surfaces[path]]);
  return sha256(
    canonicalJson(inputs.missionSpec) + inputs.inputsHash + canonicalJson(sortedItems) + inputs.codeVersionId,
  );
}

/** Inputs of the deterministic call id (spec §5.1.3 `compute_call_id_deterministic`). */
export interface CallIdInputs {
  runId: Sha256;
  role: string;
  promptHash: Sha256;
  packetHash: Sha256;
}

/** call_id = sha256(run_id + role + prompt_hash + packet_hash) */
export function computeCallId(inputs: CallIdInputs): Sha256 {
  requireSha256(inputs.runId, 'runId');
  requireText(inputs.role, 'role');
  requireSha256(inputs.promptHash, 'promptHash');
  requireSha256(inputs.packetHash, 'packetHash');
  return sha256(inputs.runId + inputs.role + inputs.promptHash + inputs.packetHash);
}

function requireSha256(value: unknown, name: string): void {
  if (!isSha256(value)) {
    throw new TypeError(`${name} must be a "sha256:<64 hex>" string, got ${JSON.stringify(value)}`);
  }
}

function requireText(value: unknown, name: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
}
