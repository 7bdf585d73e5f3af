/**
 * Storage key files (docs/storage-format.md §1): one 256-bit wrapping key,
 * written 0600, and its public key id, a fingerprint that names the key
 * without revealing it.
 *
 *   # keysmith storage key (AES-256) — keep it secret …
 *   # key id: 5f0c1e0d9a4b27c3
 *   KEYSMITH-STORAGE-KEY-V1:<64 lowercase hex digits>
 *
 * Readers also accept what openssl users already have: a file whose only
 * line is 64 hex digits (`openssl rand -hex 32`) or exactly 32 raw bytes
 * that are not all printable text (`openssl rand 32`).
 */
import { createHmac } from 'node:crypto';
import { SecretKey, systemRandom, toHex, type RandomSource } from '../crypto/index.js';
import { KEY_ID_LENGTH } from './header.js';
import { storageError } from './errors.js';

export const KEY_FILE_PREFIX = 'KEYSMITH-STORAGE-KEY-V1:';
export const KEY_LENGTH = 32;
const KEY_ID_LABEL = 'keysmith storage key id v1';

/** The public fingerprint of a wrapping key: HMAC-SHA256(key, label)[0..8]. */
export function keyIdOf(key: SecretKey): Buffer {
  return createHmac('sha256', key.bytes).update(KEY_ID_LABEL).digest().subarray(0, KEY_ID_LENGTH);
}

export function keyIdHex(keyId: Uint8Array): string {
  return toHex(keyId);
}

export function generateStorageKey(random: RandomSource = systemRandom): SecretKey {
  return new SecretKey(random.bytes(KEY_LENGTH), [KEY_LENGTH], 'storage key');
}

export function formatKeyFile(key: SecretKey, created?: Date): string {
  return [
    '# keysmith storage key (AES-256). Keep it secret: it decrypts every file it wrapped.',
    `# key id: ${keyIdHex(keyIdOf(key))}`,
    ...(created ? [`# created: ${created.toISOString()}`] : []),
    `${KEY_FILE_PREFIX}${key.exportHex()}`,
    '',
  ].join('\n');
}

function isPrintable(bytes: Uint8Array): boolean {
  return bytes.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d);
}

function badKeyFile(source: string): Error {
  return storageError(
    'ERR_STORAGE_KEY_FILE',
    `${source}: not a storage key file`,
    "create one with 'keysmith storage keygen -o FILE' (or 'openssl rand -hex 32 > FILE')",
  );
}

/** Parse the bytes of a key file. Never echoes any of its content. */
export function parseKeyFile(bytes: Uint8Array, source = 'key file'): SecretKey {
  if (bytes.length === KEY_LENGTH && !isPrintable(bytes)) return new SecretKey(bytes, [KEY_LENGTH], 'storage key');
  if (!isPrintable(bytes)) throw badKeyFile(source);
  const lines = Buffer.from(bytes)
    .toString('latin1')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
  if (lines.length !== 1) throw badKeyFile(source);
  const line = lines[0]!;
  const hex = line.startsWith(KEY_FILE_PREFIX) ? line.slice(KEY_FILE_PREFIX.length) : line;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw badKeyFile(source);
  return new SecretKey(Buffer.from(hex, 'hex'), [KEY_LENGTH], 'storage key');
}
