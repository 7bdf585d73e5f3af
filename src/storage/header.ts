/**
 * The keysmith storage header (docs/storage-format.md §2), v1:
 *
 *   core (20 bytes, bound into every payload chunk as AEAD associated data)
 *     0  8  magic "KSTORE\r\n"
 *     8  1  version = 1
 *     9  1  suite = 1 (AES-256-GCM STREAM chunks, HKDF-SHA256, HMAC-SHA256)
 *    10  4  chunk size: plaintext bytes per chunk, u32 big-endian
 *    14  6  nonce prefix (random per file)
 *   wrap (rewritten by rewrap; authenticated by the wrap AEAD and the MAC)
 *    20  2  header length in bytes, MAC included, u16 big-endian
 *    22  1  wrap type (1 key file, 2 scrypt passphrase, 3 X25519 recipient)
 *    23  1  reserved, 0
 *    24  8  key id: fingerprint of the wrapping key
 *    32  …  wrap parameters (scrypt: salt 16, log2 N, r, p; x25519: ephemeral share 32)
 *     …  12 wrap nonce
 *     …  48 wrapped data key: AES-256-GCM(KEK, nonce, data key, aad = header up to the nonce)
 *     …  32 header MAC: HMAC-SHA256(header key, every byte before it)
 *
 * Parsing is bounded: the header length is read from a fixed offset and
 * checked against the wrap type before anything else is trusted.
 */
import { storageError } from './errors.js';

export const MAGIC = Buffer.from('KSTORE\r\n', 'latin1');
export const VERSION_1 = 1;
export const SUITE_AES256GCM_STREAM = 1;
export const CORE_LENGTH = 20;
export const NONCE_PREFIX_LENGTH = 6;
export const KEY_ID_LENGTH = 8;
export const WRAP_NONCE_LENGTH = 12;
export const WRAPPED_KEY_LENGTH = 48;
export const HEADER_MAC_LENGTH = 32;
export const SCRYPT_SALT_LENGTH = 16;
/** No v1 header is longer; a reader never reads more than this before authenticating. */
export const MAX_HEADER_LENGTH = 512;

/** Chunk size bounds (plaintext bytes). The default is chosen by bench/storage.ts measurements. */
export const MIN_CHUNK_SIZE = 1024;
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = 256 * 1024;

export interface ScryptParams {
  salt: Buffer;
  /** log2 of the CPU/memory cost N. */
  logN: number;
  r: number;
  p: number;
}

/** One row per wrap type: its number, name and parameter length. */
export const WRAP_TYPES = {
  key: { id: 1, name: 'key', paramsLength: 0, describe: 'key file (AES-256-GCM key wrap)' },
  scrypt: { id: 2, name: 'scrypt', paramsLength: SCRYPT_SALT_LENGTH + 3, describe: 'passphrase (scrypt, AES-256-GCM key wrap)' },
  x25519: { id: 3, name: 'x25519', paramsLength: 32, describe: 'X25519 recipient (HKDF-SHA256, AES-256-GCM key wrap)' },
} as const;

export type WrapType = keyof typeof WRAP_TYPES;

export interface Core {
  version: number;
  suite: number;
  chunkSize: number;
  noncePrefix: Buffer;
}

export interface Wrap {
  type: WrapType;
  keyId: Buffer;
  scrypt?: ScryptParams;
  /** X25519: the ephemeral share. */
  ephemeral?: Buffer;
  wrapNonce: Buffer;
  wrappedKey: Buffer;
}

export interface Header {
  core: Core;
  wrap: Wrap;
  /** The core bytes (associated data of every chunk). */
  coreBytes: Buffer;
  /** Every header byte before the wrap nonce (associated data of the key wrap). */
  wrapAad: Buffer;
  /** Every header byte before the MAC. */
  macInput: Buffer;
  mac: Buffer;
  /** Total header length: the payload starts here. */
  length: number;
}

export function headerLength(type: WrapType): number {
  return CORE_LENGTH + 12 + WRAP_TYPES[type].paramsLength + WRAP_NONCE_LENGTH + WRAPPED_KEY_LENGTH + HEADER_MAC_LENGTH;
}

export function checkChunkSize(n: number): void {
  if (!Number.isInteger(n) || n < MIN_CHUNK_SIZE || n > MAX_CHUNK_SIZE) {
    throw new RangeError(`"chunk size" expected an integer in ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}, got ${n}`);
  }
}

export function encodeCore(core: Core): Buffer {
  checkChunkSize(core.chunkSize);
  if (core.noncePrefix.length !== NONCE_PREFIX_LENGTH) throw new TypeError(`"nonce prefix" expected length 6, got length=${core.noncePrefix.length}`);
  const b = Buffer.alloc(CORE_LENGTH);
  MAGIC.copy(b, 0);
  b[8] = core.version;
  b[9] = core.suite;
  b.writeUInt32BE(core.chunkSize, 10);
  core.noncePrefix.copy(b, 14);
  return b;
}

/** The wrap section up to (not including) the wrap nonce. */
export function encodeWrapPrefix(type: WrapType, keyId: Buffer, scrypt?: ScryptParams, ephemeral?: Buffer): Buffer {
  const row = WRAP_TYPES[type];
  if (keyId.length !== KEY_ID_LENGTH) throw new TypeError(`"key id" expected length 8, got length=${keyId.length}`);
  const b = Buffer.alloc(12 + row.paramsLength);
  b.writeUInt16BE(headerLength(type), 0);
  b[2] = row.id;
  b[3] = 0;
  keyId.copy(b, 4);
  if (type === 'scrypt') {
    if (!scrypt) throw new TypeError('scrypt wrap needs scrypt parameters');
    if (scrypt.salt.length !== SCRYPT_SALT_LENGTH) throw new TypeError(`"scrypt salt" expected length 16, got length=${scrypt.salt.length}`);
    scrypt.salt.copy(b, 12);
    b[28] = scrypt.logN;
    b[29] = scrypt.r;
    b[30] = scrypt.p;
  }
  if (type === 'x25519') {
    if (!ephemeral || ephemeral.length !== 32) throw new TypeError('x25519 wrap needs a 32-byte ephemeral share');
    ephemeral.copy(b, 12);
  }
  return b;
}

function notKeysmith(): Error {
  return storageError('ERR_STORAGE_NOT_KEYSMITH', 'not a keysmith storage file (bad magic)', "is this the encrypted file? 'keysmith storage inspect' reads only .ks files");
}

/**
 * How many bytes the header occupies, from its first 23 bytes (enough to
 * see magic, version and the length field). Throws on anything not v1.
 */
export function peekHeaderLength(prefix: Buffer): number {
  if (prefix.length < MAGIC.length || !prefix.subarray(0, MAGIC.length).equals(MAGIC)) throw notKeysmith();
  if (prefix.length < 23) throw storageError('ERR_STORAGE_TRUNCATED', 'the encrypted file is truncated (incomplete header)', 'restore the file from a good copy');
  if (prefix[8] !== VERSION_1) {
    throw storageError('ERR_STORAGE_VERSION', `unsupported storage format version ${prefix[8]}`, 'upgrade keysmith to read this file');
  }
  if (prefix[9] !== SUITE_AES256GCM_STREAM) throw storageError('ERR_STORAGE_HEADER', `unsupported cipher suite ${prefix[9]}`);
  const length = prefix.readUInt16BE(20);
  const row = Object.values(WRAP_TYPES).find((w) => w.id === prefix[22]);
  if (!row) throw storageError('ERR_STORAGE_HEADER', `unknown key wrapping ${prefix[22]}`, 'upgrade keysmith to read this file');
  if (length !== headerLength(row.name)) throw storageError('ERR_STORAGE_HEADER', 'invalid header length');
  return length;
}

/** Parse (not authenticate) a whole header. `bytes` may hold more than the header. */
export function parseHeader(bytes: Buffer): Header {
  const length = peekHeaderLength(bytes);
  if (bytes.length < length) throw storageError('ERR_STORAGE_TRUNCATED', 'the encrypted file is truncated (incomplete header)', 'restore the file from a good copy');
  const h = Buffer.from(bytes.subarray(0, length));
  const chunkSize = h.readUInt32BE(10);
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) throw storageError('ERR_STORAGE_HEADER', 'invalid chunk size in header');
  if (h[23] !== 0) throw storageError('ERR_STORAGE_HEADER', 'invalid header (reserved byte set)');
  const type = (Object.keys(WRAP_TYPES) as WrapType[]).find((k) => WRAP_TYPES[k].id === h[22])!;
  let off = 32;
  let scrypt: ScryptParams | undefined;
  if (type === 'scrypt') {
    scrypt = { salt: h.subarray(off, off + SCRYPT_SALT_LENGTH), logN: h[off + 16]!, r: h[off + 17]!, p: h[off + 18]! };
    off += WRAP_TYPES.scrypt.paramsLength;
  }
  let ephemeral: Buffer | undefined;
  if (type === 'x25519') {
    ephemeral = h.subarray(off, off + 32);
    off += WRAP_TYPES.x25519.paramsLength;
  }
  const wrapAad = h.subarray(0, off);
  const wrapNonce = h.subarray(off, off + WRAP_NONCE_LENGTH);
  off += WRAP_NONCE_LENGTH;
  const wrappedKey = h.subarray(off, off + WRAPPED_KEY_LENGTH);
  off += WRAPPED_KEY_LENGTH;
  return {
    core: { version: h[8]!, suite: h[9]!, chunkSize, noncePrefix: h.subarray(14, 20) },
    wrap: { type, keyId: h.subarray(24, 32), ...(scrypt ? { scrypt } : {}), ...(ephemeral ? { ephemeral } : {}), wrapNonce, wrappedKey },
    coreBytes: h.subarray(0, CORE_LENGTH),
    wrapAad,
    macInput: h.subarray(0, off),
    mac: h.subarray(off, off + HEADER_MAC_LENGTH),
    length,
  };
}
