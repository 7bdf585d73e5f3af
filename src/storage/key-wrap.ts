/**
 * Wrapping the per-file data key (docs/storage-format.md §3). A file's
 * payload is sealed under keys derived from a random 256-bit data key; the
 * user's key file (or a passphrase through scrypt) only wraps that data
 * key, so `rewrap` changes the wrapping without touching the payload.
 *
 *   payload key = HKDF-SHA256(data key, salt = "", info = "keysmith storage v1 payload")
 *   header key  = HKDF-SHA256(data key, salt = "", info = "keysmith storage v1 header")
 *   wrapped key = AES-256-GCM(KEK, wrap nonce, data key, aad = header bytes before the wrap nonce)
 *   header MAC  = HMAC-SHA256(header key, header bytes before the MAC)
 */
import { createHmac, hkdfSync, scrypt as scryptCb } from 'node:crypto';
import { SecretKey, constantTimeEqual, gcmOpen, gcmSeal, systemRandom, type RandomSource } from '../crypto/index.js';
import {
  encodeCore,
  encodeWrapPrefix,
  SCRYPT_SALT_LENGTH,
  WRAP_NONCE_LENGTH,
  type Core,
  type Header,
  type ScryptParams,
  type WrapType,
} from './header.js';
import { keyIdHex, keyIdOf, KEY_LENGTH } from './key-file.js';
import { headerError, storageError } from './errors.js';
import { generateIdentity, publicKeyOf, recipientKeyId, x25519, x25519Kek } from './x25519.js';

/** What unlocks a file: a key file's key, or a passphrase. */
export type Credential =
  | { type: 'key'; key: SecretKey; name?: string }
  | { type: 'passphrase'; passphrase: Uint8Array; /** log2 N for new files (default SCRYPT_DEFAULT.logN). */ logN?: number }
  /** Encrypt to an X25519 public key (age1…). */
  | { type: 'recipient'; publicKey: Buffer }
  /** Decrypt with X25519 identities (AGE-SECRET-KEY-1…). */
  | { type: 'identity'; secrets: SecretKey[]; name?: string };

/** scrypt for new files: N = 2^17, r = 8, p = 1 (128 MiB, about half a second here). */
export const SCRYPT_DEFAULT = { logN: 17, r: 8, p: 1 } as const;
/**
 * Bounds on scrypt parameters read from a header (a hostile header must not
 * make us allocate gigabytes or spin for hours): memory 128·r·N ≤ 256 MiB.
 */
export const SCRYPT_LIMITS = { minLogN: 10, maxLogN: 20, maxR: 32, maxP: 4, maxMemory: 256 * 1024 * 1024 } as const;

export interface FileKeys {
  /** AES-256 key of the payload chunks. */
  payloadKey: SecretKey;
  /** HMAC-SHA256 key of the header MAC. */
  headerKey: Buffer;
}

export function deriveFileKeys(dataKey: SecretKey): FileKeys {
  const d = (info: string) => Buffer.from(hkdfSync('sha256', dataKey.bytes, Buffer.alloc(0), info, 32));
  return { payloadKey: new SecretKey(d('keysmith storage v1 payload'), [32], 'payload key'), headerKey: d('keysmith storage v1 header') };
}

export function checkScryptParams(p: Pick<ScryptParams, 'logN' | 'r' | 'p'>): void {
  const L = SCRYPT_LIMITS;
  const memory = 128 * p.r * 2 ** p.logN;
  if (p.logN < L.minLogN || p.logN > L.maxLogN || p.r < 1 || p.r > L.maxR || p.p < 1 || p.p > L.maxP || memory > L.maxMemory) {
    throw storageError(
      'ERR_STORAGE_LIMIT',
      `scrypt parameters out of bounds (log2 N=${p.logN}, r=${p.r}, p=${p.p}; allowed log2 N ${L.minLogN}..${L.maxLogN}, r ≤ ${L.maxR}, p ≤ ${L.maxP}, memory ≤ 256 MiB)`,
      'the header asks for more work than keysmith allows; the file may be hostile',
    );
  }
}

export async function scryptKek(passphrase: Uint8Array, params: ScryptParams): Promise<SecretKey> {
  checkScryptParams(params);
  const N = 2 ** params.logN;
  const maxmem = 128 * params.r * (N + params.p + 2) + 1024 * 1024;
  const out = await new Promise<Buffer>((resolve, reject) =>
    scryptCb(passphrase, params.salt, KEY_LENGTH, { N, r: params.r, p: params.p, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
  return new SecretKey(out, [KEY_LENGTH], 'passphrase key');
}

/** The wrapping key and its header fields, ready to seal headers with. */
export interface WrapKey {
  type: WrapType;
  kek: SecretKey;
  keyId: Buffer;
  scrypt?: ScryptParams;
  ephemeral?: Buffer;
}

export async function wrapKeyFor(cred: Credential, random: RandomSource = systemRandom): Promise<WrapKey> {
  if (cred.type === 'key') return { type: 'key', kek: cred.key, keyId: keyIdOf(cred.key) };
  if (cred.type === 'identity') throw new TypeError('an identity decrypts; encrypt to its recipient');
  if (cred.type === 'recipient') {
    const eph = generateIdentity(random);
    const share = publicKeyOf(eph);
    const kek = x25519Kek(x25519(eph.bytes, cred.publicKey), share, cred.publicKey);
    eph.wipe();
    return { type: 'x25519', kek, keyId: recipientKeyId(cred.publicKey), ephemeral: share };
  }
  const scrypt: ScryptParams = { salt: random.bytes(SCRYPT_SALT_LENGTH), logN: cred.logN ?? SCRYPT_DEFAULT.logN, r: SCRYPT_DEFAULT.r, p: SCRYPT_DEFAULT.p };
  const kek = await scryptKek(cred.passphrase, scrypt);
  return { type: 'scrypt', kek, keyId: keyIdOf(kek), scrypt };
}

/** Build a complete header for `core` whose wrap holds `dataKey` under `wrap`. */
export function sealHeader(core: Core, dataKey: SecretKey, wrap: WrapKey, random: RandomSource = systemRandom): Buffer {
  const prefix = Buffer.concat([encodeCore(core), encodeWrapPrefix(wrap.type, wrap.keyId, wrap.scrypt, wrap.ephemeral)]);
  const nonce = random.bytes(WRAP_NONCE_LENGTH);
  const wrapped = gcmSeal(wrap.kek, nonce, dataKey.bytes, prefix);
  const macInput = Buffer.concat([prefix, nonce, wrapped]);
  const mac = createHmac('sha256', deriveFileKeys(dataKey).headerKey).update(macInput).digest();
  return Buffer.concat([macInput, mac]);
}

const WRAP_NAMES = { key: 'a key file', scrypt: 'a passphrase', x25519: 'an X25519 recipient' } as const;
const CRED_FLAGS = { key: '-k KEYFILE', passphrase: '--passphrase-file', recipient: '-i IDENTITY', identity: '-i IDENTITY' } as const;

function wrongKeyError(header: Header, cred: Credential, tried: Buffer): Error {
  const fileId = keyIdHex(header.wrap.keyId);
  const credWrap = cred.type === 'key' ? 'key' : cred.type === 'passphrase' ? 'scrypt' : 'x25519';
  if (header.wrap.type !== credWrap) {
    const want = header.wrap.type === 'key' ? CRED_FLAGS.key : header.wrap.type === 'scrypt' ? CRED_FLAGS.passphrase : CRED_FLAGS.identity;
    return storageError('ERR_STORAGE_WRONG_KEY', `this file was encrypted with ${WRAP_NAMES[header.wrap.type]} (key id ${fileId}), not ${WRAP_NAMES[credWrap]}`, `use ${want}`, { keyId: fileId });
  }
  if (header.wrap.type === 'x25519') {
    return storageError('ERR_STORAGE_WRONG_KEY', `this file was encrypted to recipient key id ${fileId}, which none of the identities matches`, 'use -i with the identity of that recipient', { keyId: fileId });
  }
  if (header.wrap.type === 'scrypt') {
    return storageError('ERR_STORAGE_WRONG_KEY', 'wrong passphrase', 'check the passphrase file (only its first line is used)', { keyId: fileId });
  }
  return storageError(
    'ERR_STORAGE_WRONG_KEY',
    `this file was encrypted with key id ${fileId}, not ${keyIdHex(tried)}${cred.type === 'key' && cred.name ? ` (${cred.name})` : ''}`,
    "use the key file with that id ('keysmith storage keygen' prints the id; key files show it on their '# key id' line)",
    { keyId: fileId },
  );
}

const scryptCache = new WeakMap<Credential, Map<string, Promise<SecretKey>>>();

/** Resolve the wrapping key a credential gives for this header (scrypt runs here). */
export async function kekFor(header: Header, cred: Credential): Promise<SecretKey> {
  if (header.wrap.type === 'key' && cred.type === 'key') return cred.key;
  if (header.wrap.type === 'scrypt' && cred.type === 'passphrase') {
    // Files of one batch share their scrypt salt: derive each KEK once per credential.
    const s = header.wrap.scrypt!;
    let cache = scryptCache.get(cred);
    if (!cache) scryptCache.set(cred, (cache = new Map()));
    const id = `${s.salt.toString('hex')}/${s.logN}/${s.r}/${s.p}`;
    let kek = cache.get(id);
    if (!kek) {
      kek = scryptKek(cred.passphrase, s);
      cache.set(id, kek);
      kek.catch(() => cache.delete(id));
    }
    return kek;
  }
  if (header.wrap.type === 'x25519' && cred.type === 'identity') {
    const recipientIdOf = (s: SecretKey) => recipientKeyId(publicKeyOf(s));
    const secret = cred.secrets.find((s) => constantTimeEqual(recipientIdOf(s), header.wrap.keyId));
    if (!secret) throw wrongKeyError(header, cred, Buffer.alloc(0));
    const recipient = publicKeyOf(secret);
    return x25519Kek(x25519(secret.bytes, header.wrap.ephemeral!), header.wrap.ephemeral!, recipient);
  }
  throw wrongKeyError(header, cred, Buffer.alloc(0));
}

/**
 * Unwrap and authenticate: checks the key id, unwraps the data key, then
 * verifies the header MAC. Returns the data key and the derived file keys.
 */
export async function openHeader(header: Header, cred: Credential): Promise<{ dataKey: SecretKey; keys: FileKeys }> {
  const kek = await kekFor(header, cred);
  const tried = header.wrap.type === 'x25519' ? Buffer.from(header.wrap.keyId) : keyIdOf(kek);
  if (!constantTimeEqual(tried, header.wrap.keyId)) throw wrongKeyError(header, cred, tried);
  const raw = gcmOpen(kek, header.wrap.wrapNonce, header.wrap.wrappedKey, header.wrapAad);
  if (!raw || raw.length !== KEY_LENGTH) throw headerError();
  const dataKey = new SecretKey(raw, [KEY_LENGTH], 'data key');
  raw.fill(0);
  const keys = deriveFileKeys(dataKey);
  const mac = createHmac('sha256', keys.headerKey).update(header.macInput).digest();
  if (!constantTimeEqual(mac, header.mac)) throw headerError();
  return { dataKey, keys };
}
