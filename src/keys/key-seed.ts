/**
 * PlayReady key seed → content key, Microsoft's published algorithm
 * ("PlayReady Key Seed", learn.microsoft.com/playready/specifications/playready-key-seed):
 *
 *   seed30 = first 30 bytes of the key seed (at least 30 are required)
 *   kidLE  = the KID as a .NET Guid.ToByteArray() (little-endian GUID)
 *   A = SHA-256(seed30 ‖ kidLE)
 *   B = SHA-256(seed30 ‖ kidLE ‖ seed30)
 *   C = SHA-256(seed30 ‖ kidLE ‖ seed30 ‖ kidLE)
 *   key[i] = A[i] ^ A[i+16] ^ B[i] ^ B[i+16] ^ C[i] ^ C[i+16], i = 0..15
 */
import { createHash } from 'node:crypto';
import { ContentKey, KeyId } from '../crypto/values.js';
import { fromBase64 } from '../crypto/bytes.js';
import { KeysmithError } from '../errors.js';

export const KEY_SEED_MIN_LENGTH = 30;

/** Parse a key seed written in base64 (the usual notation) or hex. */
export function parseKeySeed(text: string): Buffer {
  const t = text.trim();
  let bytes: Buffer;
  if (/^(?:[0-9a-fA-F]{2}){30,}$/.test(t)) bytes = Buffer.from(t, 'hex');
  else {
    try {
      bytes = fromBase64(t, 'key seed');
    } catch {
      throw new KeysmithError('ERR_USAGE', 'key seed: expected base64 (or hex) of at least 30 bytes', { exit: 2 });
    }
  }
  if (bytes.length < KEY_SEED_MIN_LENGTH) {
    throw new KeysmithError('ERR_USAGE', `key seed: expected at least ${KEY_SEED_MIN_LENGTH} bytes, got length=${bytes.length}`, { exit: 2 });
  }
  return bytes;
}

export function derivePlayReadyContentKey(seed: Uint8Array, kid: KeyId): ContentKey {
  if (seed.length < KEY_SEED_MIN_LENGTH) {
    throw new KeysmithError('ERR_USAGE', `key seed: expected at least ${KEY_SEED_MIN_LENGTH} bytes, got length=${seed.length}`, { exit: 2 });
  }
  const s = Buffer.from(seed.subarray(0, KEY_SEED_MIN_LENGTH));
  const k = kid.guidBytes;
  const a = createHash('sha256').update(s).update(k).digest();
  const b = createHash('sha256').update(s).update(k).update(s).digest();
  const c = createHash('sha256').update(s).update(k).update(s).update(k).digest();
  const key = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) key[i] = a[i]! ^ a[i + 16]! ^ b[i]! ^ b[i + 16]! ^ c[i]! ^ c[i + 16]!;
  const out = new ContentKey(key);
  key.fill(0);
  s.fill(0);
  for (const d of [a, b, c]) d.fill(0);
  return out;
}
