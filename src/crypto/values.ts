/**
 * Typed cryptographic values. Each is parsed once at the edge (hex, UUID,
 * base64, base64url) and trusted inside.
 *
 * Secret values (ContentKey, SecretKey) never render themselves: String(),
 * JSON.stringify() and util.inspect() show "[redacted]". Code that must
 * export the secret asks for it by name (`.exportHex()` …).
 */
import { inspect } from 'node:util';
import { parseBytes, toBase64, toBase64Url, toHex, toUuid } from './bytes.js';
import { constantTimeEqual } from './ct.js';
import { KeysmithError } from '../errors.js';

function checkLength(name: string, bytes: Uint8Array, lengths: readonly number[]): void {
  if (!lengths.includes(bytes.length)) {
    throw new KeysmithError('ERR_INVALID_VALUE', `${name}: expected length ${lengths.join('/')}, got length=${bytes.length}`);
  }
}

/** A 128-bit key ID (KID). Rendered as a lowercase UUID; public, not secret. */
export class KeyId {
  readonly bytes: Buffer;

  constructor(bytes: Uint8Array) {
    checkLength('key id', bytes, [16]);
    this.bytes = Buffer.from(bytes);
  }

  /** Accepts 32 hex digits, a UUID (with or without braces), base64 or base64url. */
  static parse(text: string, name = 'key id'): KeyId {
    return new KeyId(parseBytes(text, name, 16).bytes);
  }

  get uuid(): string {
    return toUuid(this.bytes);
  }

  get hex(): string {
    return toHex(this.bytes);
  }

  get base64(): string {
    return toBase64(this.bytes);
  }

  get base64url(): string {
    return toBase64Url(this.bytes);
  }

  /**
   * The GUID byte order Microsoft uses (PlayReady, Smooth): the first three
   * fields little-endian (bytes 0-3, 4-5 and 6-7 reversed).
   */
  get guidBytes(): Buffer {
    return swapGuidBytes(this.bytes);
  }

  equals(other: KeyId): boolean {
    return this.bytes.equals(other.bytes);
  }

  toString(): string {
    return this.uuid;
  }

  toJSON(): string {
    return this.uuid;
  }
}

/** Swap between big-endian UUID order and Microsoft's little-endian GUID order (it is its own inverse). */
export function swapGuidBytes(bytes: Uint8Array): Buffer {
  checkLength('guid', bytes, [16]);
  const b = Buffer.from(bytes);
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}

const REDACTED = '[redacted]';

/** A secret of a fixed set of lengths. Never printed by accident. */
export class SecretKey {
  readonly #bytes: Buffer;

  constructor(bytes: Uint8Array, lengths: readonly number[] = [16, 24, 32], name = 'key') {
    checkLength(name, bytes, lengths);
    this.#bytes = Buffer.from(bytes);
  }

  get length(): number {
    return this.#bytes.length;
  }

  /** The raw bytes, for the cipher. Do not log them. */
  get bytes(): Buffer {
    return this.#bytes;
  }

  exportHex(): string {
    return toHex(this.#bytes);
  }

  exportBase64(): string {
    return toBase64(this.#bytes);
  }

  exportBase64Url(): string {
    return toBase64Url(this.#bytes);
  }

  equals(other: SecretKey): boolean {
    return constantTimeEqual(this.#bytes, other.#bytes);
  }

  /** Overwrite the key bytes with zeros once it is no longer needed. */
  wipe(): void {
    this.#bytes.fill(0);
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `${this.constructor.name} ${REDACTED}`;
  }
}

/** A 128-bit AES content key (CENC, HLS AES-128). */
export class ContentKey extends SecretKey {
  constructor(bytes: Uint8Array) {
    super(bytes, [16], 'content key');
  }

  /** Accepts 32 hex digits, base64 or base64url. */
  static parse(text: string, name = 'content key'): ContentKey {
    return new ContentKey(parseBytes(text, name, 16).bytes);
  }
}

/** An initialisation vector: 8 or 16 bytes. Public. */
export class Iv {
  readonly bytes: Buffer;

  constructor(bytes: Uint8Array, lengths: readonly number[] = [8, 16]) {
    checkLength('iv', bytes, lengths);
    this.bytes = Buffer.from(bytes);
  }

  static parse(text: string, lengths: readonly number[] = [8, 16]): Iv {
    const t = text.trim().replace(/^0x/i, '');
    for (const n of lengths) {
      if (t.length === n * 2) return new Iv(parseBytes(t, 'iv', n).bytes, lengths);
    }
    throw new KeysmithError('ERR_INVALID_VALUE', `iv: expected ${lengths.map((n) => n * 2).join(' or ')} hex digits`);
  }

  get hex(): string {
    return toHex(this.bytes);
  }

  toString(): string {
    return this.hex;
  }

  toJSON(): string {
    return this.hex;
  }
}
