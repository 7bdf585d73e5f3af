/**
 * Byte notations used across keysmith: hex, base64, base64url and UUIDs.
 * Parsers are strict: they refuse anything that is not exactly the notation.
 */
import { KeysmithError } from '../errors.js';

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;
const UUID_RE = /^\{?([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})\}?$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;

export type ByteNotation = 'hex' | 'uuid' | 'base64' | 'base64url';

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** RFC 4648 §5, without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Lowercase hyphenated 8-4-4-4-12 form of 16 bytes taken in big-endian (network) order. */
export function toUuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new TypeError(`uuid expected 16 bytes, got length=${bytes.length}`);
  const h = toHex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function invalid(name: string, expected: string): KeysmithError {
  return new KeysmithError('ERR_INVALID_VALUE', `${name}: expected ${expected}`);
}

export function fromHex(text: string, name = 'value'): Buffer {
  const t = text.trim();
  if (!HEX_RE.test(t)) throw invalid(name, 'hex digits (an even number of 0-9a-f)');
  return Buffer.from(t, 'hex');
}

export function fromUuid(text: string, name = 'value'): Buffer {
  const m = UUID_RE.exec(text.trim());
  if (!m) throw invalid(name, 'a UUID like 01234567-89ab-cdef-0123-456789abcdef');
  return Buffer.from(m.slice(1).join(''), 'hex');
}

export function fromBase64(text: string, name = 'value'): Buffer {
  const t = text.trim();
  if (!BASE64_RE.test(t)) throw invalid(name, 'base64');
  return Buffer.from(t, 'base64');
}

export function fromBase64Url(text: string, name = 'value'): Buffer {
  const t = text.trim().replace(/=+$/, '');
  if (!BASE64URL_RE.test(t) || t.length % 4 === 1) throw invalid(name, 'base64url');
  return Buffer.from(t, 'base64url');
}

export function isUuid(text: string): boolean {
  return UUID_RE.test(text.trim());
}

/**
 * Parse bytes written in any notation keysmith accepts, when the expected
 * length tells them apart: a UUID (16 bytes), hex of exactly `length` bytes,
 * then base64 or base64url decoding to exactly `length` bytes.
 * Without a length, only hex and UUID are accepted (they cannot be confused).
 */
export function parseBytes(text: string, name: string, length?: number): { bytes: Buffer; notation: ByteNotation } {
  const t = text.trim();
  const want = length === undefined ? '' : ` of ${length} bytes`;
  if (UUID_RE.test(t)) {
    const bytes = fromUuid(t, name);
    if (length === undefined || length === 16) return { bytes, notation: 'uuid' };
  }
  const plain = t.startsWith('0x') || t.startsWith('0X') ? t.slice(2) : t;
  if (HEX_RE.test(plain) && plain.length > 0 && (length === undefined || plain.length === length * 2)) {
    return { bytes: Buffer.from(plain, 'hex'), notation: 'hex' };
  }
  if (length !== undefined) {
    if (BASE64_RE.test(t) && t.length % 4 !== 1) {
      const bytes = Buffer.from(t, 'base64');
      if (bytes.length === length) return { bytes, notation: 'base64' };
    }
    if (BASE64URL_RE.test(t.replace(/=+$/, '')) && t.length % 4 !== 1) {
      const bytes = Buffer.from(t, 'base64url');
      if (bytes.length === length) return { bytes, notation: 'base64url' };
    }
  }
  throw invalid(name, `hex, a UUID, base64 or base64url${want}`);
}
