/**
 * AES block-cipher modes over node:crypto (NIST SP 800-38A).
 * These know nothing of media or files; callers bring keys, IVs and bytes.
 */
import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import type { SecretKey } from './values.js';

export const AES_BLOCK = 16;

type Mode = 'ctr' | 'cbc' | 'ecb' | 'gcm';

function cipherName(keyLength: number, mode: Mode): string {
  switch (keyLength) {
    case 16:
      return `aes-128-${mode}`;
    case 24:
      return `aes-192-${mode}`;
    case 32:
      return `aes-256-${mode}`;
    default:
      throw new TypeError(`"aes key" expected length 16/24/32, got length=${keyLength}`);
  }
}

function keyBytes(key: SecretKey | Uint8Array): Uint8Array {
  return key instanceof Uint8Array ? key : key.bytes;
}

function checkIv(iv: Uint8Array, what: string): void {
  if (iv.length !== AES_BLOCK) throw new TypeError(`"${what}" expected length 16, got length=${iv.length}`);
}

/**
 * A running AES-CTR keystream (SP 800-38A §6.5). Bytes fed through
 * `update` continue the keystream exactly where the previous call stopped,
 * including inside a partial block — what CENC needs across subsamples.
 * The full 128-bit counter block increments (node:crypto semantics).
 */
export interface CtrStream {
  update(data: Uint8Array): Buffer;
}

export function createCtrStream(key: SecretKey | Uint8Array, counterBlock: Uint8Array): CtrStream {
  checkIv(counterBlock, 'ctr counter block');
  const k = keyBytes(key);
  const cipher = createCipheriv(cipherName(k.length, 'ctr'), k, counterBlock);
  return { update: (data) => cipher.update(data) };
}

/** One-shot AES-CTR (encryption and decryption are the same operation). */
export function aesCtr(key: SecretKey | Uint8Array, counterBlock: Uint8Array, data: Uint8Array): Buffer {
  return createCtrStream(key, counterBlock).update(data);
}

export interface CbcOptions {
  /** PKCS#7 padding (RFC 5652 §6.3). Without it the data must be whole blocks. */
  padding: boolean;
}

function runCbc(c: Cipher | Decipher, data: Uint8Array, padding: boolean, what: string): Buffer {
  c.setAutoPadding(padding);
  if (!padding && data.length % AES_BLOCK !== 0) {
    throw new TypeError(`"${what}" expected a multiple of 16 bytes without padding, got length=${data.length}`);
  }
  return Buffer.concat([c.update(data), c.final()]);
}

/** AES-CBC encryption (SP 800-38A §6.2). */
export function aesCbcEncrypt(key: SecretKey | Uint8Array, iv: Uint8Array, data: Uint8Array, options: CbcOptions): Buffer {
  checkIv(iv, 'cbc iv');
  const k = keyBytes(key);
  return runCbc(createCipheriv(cipherName(k.length, 'cbc'), k, iv), data, options.padding, 'cbc plaintext');
}

/**
 * AES-CBC decryption. With padding, a wrong key or corrupt data usually
 * surfaces as a padding error, which is thrown as a plain Error; callers
 * turn it into their own domain error without detail.
 */
export function aesCbcDecrypt(key: SecretKey | Uint8Array, iv: Uint8Array, data: Uint8Array, options: CbcOptions): Buffer {
  checkIv(iv, 'cbc iv');
  const k = keyBytes(key);
  if (data.length % AES_BLOCK !== 0) {
    throw new TypeError(`"cbc ciphertext" expected a multiple of 16 bytes, got length=${data.length}`);
  }
  return runCbc(createDecipheriv(cipherName(k.length, 'cbc'), k, iv), data, options.padding, 'cbc ciphertext');
}

/** A CBC encryptor without padding that keeps chaining across calls (whole blocks only). */
export function createCbcStream(key: SecretKey | Uint8Array, iv: Uint8Array, direction: 'encrypt' | 'decrypt'): CtrStream {
  checkIv(iv, 'cbc iv');
  const k = keyBytes(key);
  const name = cipherName(k.length, 'cbc');
  const c = direction === 'encrypt' ? createCipheriv(name, k, iv) : createDecipheriv(name, k, iv);
  c.setAutoPadding(false);
  return {
    update(data) {
      if (data.length % AES_BLOCK !== 0) {
        throw new TypeError(`"cbc data" expected a multiple of 16 bytes, got length=${data.length}`);
      }
      return c.update(data);
    },
  };
}

/** Encrypt one 16-byte block with AES-ECB (used for checksums, e.g. PlayReady's KID checksum). */
export function aesEcbEncryptBlock(key: SecretKey | Uint8Array, block: Uint8Array): Buffer {
  if (block.length !== AES_BLOCK) throw new TypeError(`"ecb block" expected length 16, got length=${block.length}`);
  const k = keyBytes(key);
  const c = createCipheriv(cipherName(k.length, 'ecb'), k, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

export { cipherName as aesCipherName };
