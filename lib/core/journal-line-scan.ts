/**
 * A byte scan that recognises a journal line written exactly in the writer's form (spec §5.8,
 * `sealEntry` in journal-chain.ts): the canonical JSON of the entry without `entry_hash`, then
 * `,"entry_hash":"sha256:<hex>"}`. It lets the checker (journal-check.ts) verify a line with one
 * pass and one sha256 instead of parse + re-serialise + compare.
 *
 * It is an accelerator, so it must be sound, not complete: it accepts a line only if
 * `entryLine(JSON.parse(line)) === line` holds, and refuses valid lines that use anything
 * unusual (floats, integers of more than 15 digits, `\u` escapes, keys with bytes outside
 * printable ASCII or with escapes); the caller then takes the exact path. Each rule is one the
 * canonical writer would otherwise print differently:
 *   - no whitespace, literals `true` `false` `null`, arrays `[a,b]`;
 *   - integers `-?(0|[1-9][0-9]*)` of at most 15 digits, not `-0` (so String(n) prints them back);
 *   - string bytes >= 0x20 except `"` and `\`, and only the short escapes JSON.stringify writes
 *     (`\" \\ \b \f \n \r \t`): it escapes every control character and never `/`;
 *   - object keys in strictly increasing byte order, which is code-point order for the
 *     printable ASCII keys accepted here, so no duplicates either (JSON.parse keeps the last);
 *   - `entry_hash` exactly once, as the last top-level key; the other four fields the checker
 *     reads present with the shapes it needs.
 */

/** The fields of a line the scan accepted. The hashed body is bytes[start, bodyEnd) followed by `}`. */
export interface ScannedLine {
  seq: number;
  type: string;
  runId: string;
  prevHash: string;
  entryHash: string;
  /** Index in `bytes` where `,"entry_hash":"` begins. */
  bodyEnd: number;
}

/**
 * The scanner with everything it uses inside one function, so that its source text
 * (`createLineScanner.toString()`) is complete on its own: runtime/line-hasher.ts runs it on a
 * second thread from that text.
 */
export function createLineScanner(): (bytes: Uint8Array, start: number, end: number) => ScannedLine | undefined {
  const QUOTE = 0x22;
  const BACKSLASH = 0x5c;
  const COMMA = 0x2c;
  const COLON = 0x3a;
  const MINUS = 0x2d;
  const DIGIT_0 = 0x30;
  const DIGIT_1 = 0x31;
  const DIGIT_9 = 0x39;
  const OPEN_OBJECT = 0x7b;
  const CLOSE_OBJECT = 0x7d;
  const OPEN_ARRAY = 0x5b;
  const CLOSE_ARRAY = 0x5d;
  const LOWER_A = 0x61;
  const LOWER_B = 0x62;
  const LOWER_E = 0x65;
  const LOWER_F = 0x66;
  const LOWER_L = 0x6c;
  const LOWER_N = 0x6e;
  const LOWER_R = 0x72;
  const LOWER_S = 0x73;
  const LOWER_T = 0x74;
  const LOWER_U = 0x75;
  const SPACE = 0x20;
  const DEL = 0x7f;

  /** Returned by the scanners below instead of an index when the bytes are not in the fast form. */
  const REFUSED = -1;
  /** Deeper nesting is refused: the canonical writer recurses, and so does this scan. */
  const MAX_DEPTH = 500;
  /** 15 digits stay below 2^53, so the number is exact and prints back as written. */
  const MAX_DIGITS = 15;
  /** `"sha256:` + 64 hex + `"`. */
  const HASH_VALUE_LENGTH = 73;
  /** Above this many bytes from prev_entry_hash to entry_hash (other keys between), the fields are decoded one by one. */
  const SHARED_DECODE_LIMIT = 2048;

  const ENTRY_HASH = bytesOf('entry_hash');
  const PREV_ENTRY_HASH = bytesOf('prev_entry_hash');
  const RUN_ID = bytesOf('run_id');
  const SEQ = bytesOf('seq');
  const TYPE = bytesOf('type');
  const SHA256_PREFIX = bytesOf('"sha256:');

  // A table lookup per byte measured faster here than two range tests.
  const IS_HEX = new Uint8Array(256);
  for (const c of '0123456789abcdef') IS_HEX[c.charCodeAt(0)] = 1;

  // The decoder is only given bytes the caller has checked are UTF-8.
  // ignoreBOM: a leading U+FEFF is part of the value, as JSON.parse keeps it (the default decoder drops it).
  const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

  function bytesOf(text: string): Uint8Array {
    return new TextEncoder().encode(text);
  }

  /**
   * bytes[start, end) is one line without its LF, already known to be valid UTF-8.
   * Returns the line's fields if the line is EXACTLY in the canonical journal form, else undefined.
   */
  function scanJournalLine(bytes: Uint8Array, start: number, end: number): ScannedLine | undefined {
    if (!(start >= 0 && end <= bytes.length && end - start >= 2) || bytes[start] !== OPEN_OBJECT) return undefined;
    let i = start + 1;
    let previousKeyStart = REFUSED;
    let previousKeyEnd = REFUSED;
    let seq = NaN;
    let seqAt = REFUSED;
    let typeAt = REFUSED;
    let typeEnd = REFUSED;
    let runIdAt = REFUSED;
    let prevHashAt = REFUSED;
    for (;;) {
      if (i >= end || bytes[i] !== QUOTE) return undefined;
      const keyStart = i + 1;
      const keyEnd = keyEndOf(bytes, keyStart, end);
      if (keyEnd === REFUSED || keyEnd + 1 >= end || bytes[keyEnd + 1] !== COLON) return undefined;
      const valueAt = keyEnd + 2;
      if (sameBytes(bytes, keyStart, keyEnd, ENTRY_HASH)) {
        // The last key: its value, then the closing brace as the line's last byte. The required
        // keys come before it, so a comma precedes its quote.
        if (valueAt + HASH_VALUE_LENGTH + 1 !== end || bytes[end - 1] !== CLOSE_OBJECT || !isHashValue(bytes, valueAt, end)) return undefined;
        if (seqAt === REFUSED || typeAt === REFUSED || runIdAt === REFUSED || prevHashAt === REFUSED) return undefined;
        return scannedLine(bytes, seq, prevHashAt, runIdAt, typeAt, typeEnd, valueAt, keyStart - 2);
      }
      if (previousKeyStart !== REFUSED && compareBytes(bytes, previousKeyStart, previousKeyEnd, keyStart, keyEnd) >= 0) return undefined;
      previousKeyStart = keyStart;
      previousKeyEnd = keyEnd;
      // Keys are strictly increasing, so each of these is met at most once.
      let next: number;
      if (sameBytes(bytes, keyStart, keyEnd, PREV_ENTRY_HASH)) {
        prevHashAt = valueAt;
        next = isHashValue(bytes, valueAt, end) ? valueAt + HASH_VALUE_LENGTH : REFUSED;
      } else if (sameBytes(bytes, keyStart, keyEnd, RUN_ID)) {
        runIdAt = valueAt;
        next = isHashValue(bytes, valueAt, end) ? valueAt + HASH_VALUE_LENGTH : REFUSED;
      } else if (sameBytes(bytes, keyStart, keyEnd, SEQ)) {
        seqAt = valueAt;
        next = numberEndOf(bytes, valueAt, end);
        if (next !== REFUSED) seq = integerValue(bytes, valueAt, next);
      } else if (sameBytes(bytes, keyStart, keyEnd, TYPE)) {
        // The type is returned as text, so it may hold no escape to decode.
        typeAt = valueAt + 1;
        typeEnd = valueAt < end && bytes[valueAt] === QUOTE ? plainStringEndOf(bytes, typeAt, end) : REFUSED;
        next = typeEnd === REFUSED ? REFUSED : typeEnd + 1;
      } else {
        next = valueEndOf(bytes, valueAt, end, 1);
      }
      // entry_hash is still to come, so a comma must follow.
      if (next === REFUSED || next >= end || bytes[next] !== COMMA) return undefined;
      i = next + 1;
    }
  }

  /** Index after the value at `i`, or REFUSED. */
  function valueEndOf(bytes: Uint8Array, i: number, end: number, depth: number): number {
    if (i >= end) return REFUSED;
    const c = bytes[i]!;
    if (c === QUOTE) return stringEndOf(bytes, i + 1, end);
    if (c === OPEN_OBJECT) return objectEndOf(bytes, i, end, depth);
    if (c === OPEN_ARRAY) return arrayEndOf(bytes, i, end, depth);
    if (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9)) return numberEndOf(bytes, i, end);
    if (c === LOWER_T) {
      return i + 4 <= end && bytes[i + 1] === LOWER_R && bytes[i + 2] === LOWER_U && bytes[i + 3] === LOWER_E ? i + 4 : REFUSED;
    }
    if (c === LOWER_F) {
      return i + 5 <= end && bytes[i + 1] === LOWER_A && bytes[i + 2] === LOWER_L && bytes[i + 3] === LOWER_S && bytes[i + 4] === LOWER_E
        ? i + 5
        : REFUSED;
    }
    if (c === LOWER_N) {
      return i + 4 <= end && bytes[i + 1] === LOWER_U && bytes[i + 2] === LOWER_L && bytes[i + 3] === LOWER_L ? i + 4 : REFUSED;
    }
    return REFUSED;
  }

  /** `{` at `i`: index after the matching `}`, or REFUSED. */
  function objectEndOf(bytes: Uint8Array, i: number, end: number, depth: number): number {
    if (depth > MAX_DEPTH) return REFUSED;
    i++;
    if (i < end && bytes[i] === CLOSE_OBJECT) return i + 1;
    let previousKeyStart = REFUSED;
    let previousKeyEnd = REFUSED;
    for (;;) {
      if (i >= end || bytes[i] !== QUOTE) return REFUSED;
      const keyStart = i + 1;
      const keyEnd = keyEndOf(bytes, keyStart, end);
      if (keyEnd === REFUSED || keyEnd + 1 >= end || bytes[keyEnd + 1] !== COLON) return REFUSED;
      if (previousKeyStart !== REFUSED && compareBytes(bytes, previousKeyStart, previousKeyEnd, keyStart, keyEnd) >= 0) return REFUSED;
      previousKeyStart = keyStart;
      previousKeyEnd = keyEnd;
      i = valueEndOf(bytes, keyEnd + 2, end, depth + 1);
      if (i === REFUSED || i >= end) return REFUSED;
      const c = bytes[i];
      if (c === CLOSE_OBJECT) return i + 1;
      if (c !== COMMA) return REFUSED;
      i++;
    }
  }

  /** `[` at `i`: index after the matching `]`, or REFUSED. */
  function arrayEndOf(bytes: Uint8Array, i: number, end: number, depth: number): number {
    if (depth > MAX_DEPTH) return REFUSED;
    i++;
    if (i < end && bytes[i] === CLOSE_ARRAY) return i + 1;
    for (;;) {
      i = valueEndOf(bytes, i, end, depth + 1);
      if (i === REFUSED || i >= end) return REFUSED;
      const c = bytes[i];
      if (c === CLOSE_ARRAY) return i + 1;
      if (c !== COMMA) return REFUSED;
      i++;
    }
  }

  /** String content from `i`: index after the closing quote, or REFUSED. Only the escapes JSON.stringify writes. */
  function stringEndOf(bytes: Uint8Array, i: number, end: number): number {
    while (i < end) {
      const c = bytes[i]!;
      if (c === QUOTE) return i + 1;
      if (c === BACKSLASH) {
        if (i + 1 >= end) return REFUSED;
        const e = bytes[i + 1];
        if (e !== QUOTE && e !== BACKSLASH && e !== LOWER_N && e !== LOWER_T && e !== LOWER_R && e !== LOWER_B && e !== LOWER_F) return REFUSED;
        i += 2;
      } else if (c < SPACE) {
        return REFUSED;
      } else {
        i++;
      }
    }
    return REFUSED;
  }

  /** String content from `i` without escapes: index of the closing quote, or REFUSED. */
  function plainStringEndOf(bytes: Uint8Array, i: number, end: number): number {
    for (; i < end; i++) {
      const c = bytes[i]!;
      if (c === QUOTE) return i;
      if (c === BACKSLASH || c < SPACE) return REFUSED;
    }
    return REFUSED;
  }

  /** Key content from `i`: index of the closing quote, or REFUSED. Printable ASCII only, so byte order is code-point order. */
  function keyEndOf(bytes: Uint8Array, i: number, end: number): number {
    for (; i < end; i++) {
      const c = bytes[i]!;
      if (c === QUOTE) return i;
      if (c === BACKSLASH || c < SPACE || c > DEL) return REFUSED;
    }
    return REFUSED;
  }

  /** Integer from `i`: index after it, or REFUSED for anything the writer would print differently. */
  function numberEndOf(bytes: Uint8Array, i: number, end: number): number {
    const negative = i < end && bytes[i] === MINUS;
    const first = negative ? i + 1 : i;
    if (first >= end) return REFUSED;
    const lead = bytes[first]!;
    if (lead === DIGIT_0) {
      // `0` alone: `-0` prints as `0`, and `01` is not JSON.
      if (negative) return REFUSED;
      const after = first + 1;
      return after < end && isDigit(bytes[after]!) ? REFUSED : after;
    }
    if (lead < DIGIT_1 || lead > DIGIT_9) return REFUSED;
    let j = first + 1;
    while (j < end && isDigit(bytes[j]!)) j++;
    return j - first > MAX_DIGITS ? REFUSED : j;
  }

  /** The value of an integer numberEndOf accepted: at most 15 digits, so exact in a double. */
  function integerValue(bytes: Uint8Array, i: number, end: number): number {
    const negative = bytes[i] === MINUS;
    let value = 0;
    for (let j = negative ? i + 1 : i; j < end; j++) value = value * 10 + (bytes[j]! - DIGIT_0);
    return negative ? -value : value;
  }

  function isDigit(c: number): boolean {
    return c >= DIGIT_0 && c <= DIGIT_9;
  }

  /** A `"sha256:<64 lowercase hex>"` string starts at `i` and ends by `end`. */
  function isHashValue(bytes: Uint8Array, i: number, end: number): boolean {
    if (i + HASH_VALUE_LENGTH > end) return false;
    for (let k = 0; k < SHA256_PREFIX.length; k++) if (bytes[i + k] !== SHA256_PREFIX[k]) return false;
    const hexEnd = i + HASH_VALUE_LENGTH - 1;
    let notHex = 0;
    // 64 hex digits, four per step.
    for (let j = i + SHA256_PREFIX.length; j < hexEnd; j += 4) {
      notHex |= (IS_HEX[bytes[j]!]! & IS_HEX[bytes[j + 1]!]! & IS_HEX[bytes[j + 2]!]! & IS_HEX[bytes[j + 3]!]!) ^ 1;
    }
    return notHex === 0 && bytes[hexEnd] === QUOTE;
  }

  function sameBytes(bytes: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
    if (end - start !== expected.length) return false;
    for (let k = 0; k < expected.length; k++) if (bytes[start + k] !== expected[k]) return false;
    return true;
  }

  /** Lexicographic byte comparison of bytes[a, aEnd) and bytes[b, bEnd); a prefix sorts first. */
  function compareBytes(bytes: Uint8Array, a: number, aEnd: number, b: number, bEnd: number): number {
    const n = Math.min(aEnd - a, bEnd - b);
    for (let k = 0; k < n; k++) {
      const d = bytes[a + k]! - bytes[b + k]!;
      if (d !== 0) return d;
    }
    return aEnd - a - (bEnd - b);
  }

  /**
   * The result. The four strings sit close together near the line's end (the keys are sorted),
   * so one decode and four slices cost a fraction of four decodes. Slicing by byte offset is
   * exact only if the decoded text is ASCII (one UTF-16 unit per byte); otherwise each is decoded.
   */
  function scannedLine(
    bytes: Uint8Array,
    seq: number,
    prevHashAt: number,
    runIdAt: number,
    typeAt: number,
    typeEnd: number,
    entryHashAt: number,
    bodyEnd: number,
  ): ScannedLine {
    const from = prevHashAt + 1;
    const to = entryHashAt + HASH_VALUE_LENGTH - 1;
    const text = to - from <= SHARED_DECODE_LIMIT ? utf8.decode(bytes.subarray(from, to)) : '';
    if (text.length === to - from) {
      return {
        seq,
        type: text.slice(typeAt - from, typeEnd - from),
        runId: text.slice(runIdAt + 1 - from, runIdAt + HASH_VALUE_LENGTH - 1 - from),
        prevHash: text.slice(0, HASH_VALUE_LENGTH - 2),
        entryHash: text.slice(entryHashAt + 1 - from),
        bodyEnd,
      };
    }
    const hashAt = (at: number): string => utf8.decode(bytes.subarray(at + 1, at + HASH_VALUE_LENGTH - 1));
    return { seq, type: utf8.decode(bytes.subarray(typeAt, typeEnd)), runId: hashAt(runIdAt), prevHash: hashAt(prevHashAt), entryHash: hashAt(entryHashAt), bodyEnd };
  }

  return scanJournalLine;
}

/** bytes[start, end) is one line without its LF; its fields if it is exactly in the writer's form, else undefined. */
export const scanJournalLine = createLineScanner();
