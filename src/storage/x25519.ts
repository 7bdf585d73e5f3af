/**
 * X25519 recipients (wrap type 3, docs/storage-format.md §3.3), with keys in
 * age's encoding so existing age keys work: recipients are Bech32
 * (BIP 173) strings with HRP "age", identities "AGE-SECRET-KEY-1…" (upper
 * case), as `age-keygen` writes them. Only the key encoding is shared with
 * age; the wrapping is keysmith's own:
 *
 *   shared = X25519(ephemeral secret, recipient)            (RFC 7748 §6.1)
 *   KEK    = HKDF-SHA256(shared, salt = ephemeral share ‖ recipient, info = "keysmith storage v1 x25519")
 *   key id = SHA-256("keysmith storage key id v1 x25519" ‖ recipient)[0..8]
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, hkdfSync } from 'node:crypto';
import { SecretKey, systemRandom, type RandomSource } from '../crypto/index.js';
import { storageError } from './errors.js';

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
export const RECIPIENT_HRP = 'age';
export const IDENTITY_HRP = 'age-secret-key-';

function polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i]!;
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (const c of hrp) out.push(c.charCodeAt(0) >> 5);
  out.push(0);
  for (const c of hrp) out.push(c.charCodeAt(0) & 31);
  return out;
}

function convertBits(data: Uint8Array | number[], from: number, to: number, pad: boolean): number[] | undefined {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const max = (1 << to) - 1;
  for (const v of data) {
    acc = (acc << from) | v;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & max);
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & max);
  } else if (bits >= from || ((acc << (to - bits)) & max) !== 0) return undefined;
  return out;
}

/** Bech32 (BIP 173) without the 90-character limit, as age uses it. */
export function bech32Encode(hrp: string, data: Uint8Array): string {
  const words = convertBits(data, 8, 5, true)!;
  const values = [...hrpExpand(hrp), ...words, 0, 0, 0, 0, 0, 0];
  const mod = polymod(values) ^ 1;
  const checksum = Array.from({ length: 6 }, (_, i) => (mod >>> (5 * (5 - i))) & 31);
  return `${hrp}1${[...words, ...checksum].map((w) => CHARSET[w]).join('')}`;
}

export function bech32Decode(text: string): { hrp: string; data: Buffer } | undefined {
  if (text.length > 200 || (text !== text.toLowerCase() && text !== text.toUpperCase())) return undefined;
  const s = text.toLowerCase();
  const sep = s.lastIndexOf('1');
  if (sep < 1 || sep + 7 > s.length) return undefined;
  const hrp = s.slice(0, sep);
  const words: number[] = [];
  for (const c of s.slice(sep + 1)) {
    const w = CHARSET.indexOf(c);
    if (w < 0) return undefined;
    words.push(w);
  }
  if (polymod([...hrpExpand(hrp), ...words]) !== 1) return undefined;
  const bytes = convertBits(words.slice(0, -6), 5, 8, false);
  return bytes ? { hrp, data: Buffer.from(bytes) } : undefined;
}

export function parseRecipient(text: string): Buffer {
  const d = bech32Decode(text.trim());
  if (!d || d.hrp !== RECIPIENT_HRP || d.data.length !== 32) {
    throw storageError('ERR_STORAGE_KEY_FILE', 'not an X25519 recipient (expected age1…)', "create one with 'keysmith storage keygen --x25519' or 'age-keygen'");
  }
  return d.data;
}

export function formatRecipient(publicKey: Uint8Array): string {
  return bech32Encode(RECIPIENT_HRP, publicKey);
}

export function formatIdentity(secret: SecretKey): string {
  return bech32Encode(IDENTITY_HRP, secret.bytes).toUpperCase();
}

/** Every AGE-SECRET-KEY-1… line of an identity file (comments and blanks ignored). */
export function parseIdentityFile(bytes: Uint8Array, source = 'identity file'): SecretKey[] {
  const keys: SecretKey[] = [];
  for (const raw of Buffer.from(bytes).toString('latin1').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const d = bech32Decode(line);
    if (!d || d.hrp !== IDENTITY_HRP || d.data.length !== 32) {
      throw storageError('ERR_STORAGE_KEY_FILE', `${source}: not an X25519 identity file`, "create one with 'keysmith storage keygen --x25519' or 'age-keygen'");
    }
    keys.push(new SecretKey(d.data, [32], 'x25519 identity'));
  }
  if (keys.length === 0) throw storageError('ERR_STORAGE_KEY_FILE', `${source}: no identity in the file`);
  return keys;
}

function privateKeyObject(secret: Uint8Array) {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' });
}

export function publicKeyOf(secret: SecretKey): Buffer {
  return Buffer.from((createPublicKey(privateKeyObject(secret.bytes)).export({ format: 'der', type: 'spki' }) as Buffer).subarray(SPKI_PREFIX.length));
}

export function generateIdentity(random: RandomSource = systemRandom): SecretKey {
  return new SecretKey(random.bytes(32), [32], 'x25519 identity');
}

/** X25519(secret, public), refusing the all-zero result of low-order points (RFC 7748 §6.1). */
export function x25519(secret: Uint8Array, publicKey: Uint8Array): Buffer {
  let shared: Buffer;
  try {
    shared = diffieHellman({
      privateKey: privateKeyObject(secret),
      publicKey: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' }),
    });
  } catch {
    throw storageError('ERR_STORAGE_HEADER', 'invalid X25519 share in header');
  }
  if (shared.every((b) => b === 0)) throw storageError('ERR_STORAGE_HEADER', 'invalid X25519 share in header');
  return shared;
}

export function x25519Kek(shared: Uint8Array, ephemeralShare: Uint8Array, recipient: Uint8Array): SecretKey {
  const salt = Buffer.concat([ephemeralShare, recipient]);
  return new SecretKey(Buffer.from(hkdfSync('sha256', shared, salt, 'keysmith storage v1 x25519', 32)), [32], 'x25519 kek');
}

export function recipientKeyId(recipient: Uint8Array): Buffer {
  return createHash('sha256').update('keysmith storage key id v1 x25519').update(recipient).digest().subarray(0, 8);
}
