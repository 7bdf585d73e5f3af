/**
 * AES-GCM (NIST SP 800-38D) sealing and opening of one message, the unit of
 * keysmith's streaming AEAD: a stream is a sequence of sealed chunks whose
 * nonces and associated data bind each chunk to its place (see
 * src/storage for the construction).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { aesCipherName } from './aes.js';
import type { SecretKey } from './values.js';

export const GCM_NONCE = 12;
export const GCM_TAG = 16;

function keyBytes(key: SecretKey | Uint8Array): Uint8Array {
  return key instanceof Uint8Array ? key : key.bytes;
}

function checkNonce(nonce: Uint8Array): void {
  if (nonce.length !== GCM_NONCE) throw new TypeError(`"gcm nonce" expected length 12, got length=${nonce.length}`);
}

/** Encrypt and authenticate: returns ciphertext ‖ 16-byte tag. */
export function gcmSeal(key: SecretKey | Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Buffer {
  checkNonce(nonce);
  const k = keyBytes(key);
  const c = createCipheriv(aesCipherName(k.length, 'gcm') as 'aes-256-gcm', k, nonce, { authTagLength: GCM_TAG });
  if (aad && aad.length > 0) c.setAAD(aad);
  const head = c.update(plaintext);
  const tail = c.final();
  return Buffer.concat([head, tail, c.getAuthTag()], head.length + tail.length + GCM_TAG);
}

/**
 * Verify and decrypt ciphertext ‖ tag. Returns null when authentication
 * fails (wrong key, modified bytes, wrong nonce or AAD): callers raise their
 * own error and must not use or reveal anything of the input.
 */
export function gcmOpen(key: SecretKey | Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Buffer | null {
  checkNonce(nonce);
  if (sealed.length < GCM_TAG) return null;
  const k = keyBytes(key);
  const d = createDecipheriv(aesCipherName(k.length, 'gcm') as 'aes-256-gcm', k, nonce, { authTagLength: GCM_TAG });
  d.setAuthTag(sealed.subarray(sealed.length - GCM_TAG));
  if (aad && aad.length > 0) d.setAAD(aad);
  const head = d.update(sealed.subarray(0, sealed.length - GCM_TAG));
  try {
    const tail = d.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    head.fill(0);
    return null;
  }
}
