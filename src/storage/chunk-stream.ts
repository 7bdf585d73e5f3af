/**
 * The payload: a STREAM-style sequence of AES-256-GCM chunks
 * (docs/storage-format.md §4; Hoang, Reyhanitabar, Rogaway, Vizár,
 * "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance",
 * 2015, as used by age v1 and Tink's streaming AEAD).
 *
 *   nonce(i) = nonce prefix (6) ‖ i as 40-bit big-endian (5) ‖ last flag (1: 0x01 on the final chunk, else 0x00)
 *   chunk(i) = AES-256-GCM(payload key, nonce(i), plaintext(i), aad = header core) = ciphertext ‖ 16-byte tag
 *
 * Every chunk holds exactly `chunkSize` plaintext bytes except the final
 * one, which holds 1..chunkSize (0 only when the whole plaintext is empty).
 * The flag makes truncation at a chunk boundary fail; the counter makes
 * reordering fail; the core as associated data binds chunks to the header
 * fields that rewrap never changes.
 */
import { createCipheriv, createDecipheriv, type KeyObject, createSecretKey } from 'node:crypto';
import type { SecretKey } from '../crypto/index.js';
import { GCM_TAG } from '../crypto/index.js';
import type { ByteSink, ByteSource } from './byte-io.js';
import { NONCE_PREFIX_LENGTH } from './header.js';
import { storageError, tamperedError, truncatedError } from './errors.js';

/** 2^40 chunks: 256 TiB at 256 KiB chunks. */
export const MAX_COUNTER = 2 ** 40 - 1;
/**
 * Bytes handed to one read or write (whole chunks, at least one). Kept near
 * the L2 size on purpose: the kernel's copy into the page cache is the
 * largest cost of a file-to-file run, and it is cheapest while the sealed
 * bytes are still cache-hot (bench/storage.ts; 4 MiB blocks cost more CPU).
 */
export const IO_BLOCK_TARGET = 1024 * 1024;

export interface ChunkKeys {
  key: SecretKey;
  noncePrefix: Buffer;
  /** Associated data of every chunk: the header core. */
  aad: Buffer;
}

export function chunkNonce(noncePrefix: Uint8Array, counter: number, last: boolean): Buffer {
  if (!Number.isInteger(counter) || counter < 0 || counter > MAX_COUNTER) {
    throw storageError('ERR_STORAGE_LIMIT', 'too many chunks for one file (chunk counter exhausted)', 'use a larger --chunk-size');
  }
  const n = Buffer.alloc(12);
  n.set(noncePrefix.subarray(0, NONCE_PREFIX_LENGTH), 0);
  n.writeUIntBE(counter, 6, 5);
  n[11] = last ? 1 : 0;
  return n;
}

/** A chunk sealer/opener with the key imported once. */
export class ChunkCipher {
  readonly #key: KeyObject;
  readonly #prefix: Buffer;
  readonly #aad: Buffer;
  readonly #offset: number;

  /** `counterOffset` is internal: tests simulate multi-TiB files by starting the counter high. */
  constructor(keys: ChunkKeys, counterOffset = 0) {
    this.#key = createSecretKey(keys.key.bytes);
    this.#prefix = Buffer.from(keys.noncePrefix);
    this.#aad = Buffer.from(keys.aad);
    this.#offset = counterOffset;
  }

  /** Returns [ciphertext, tag] (two buffers, written with writev). */
  seal(counter: number, last: boolean, plaintext: Uint8Array): [Buffer, Buffer] {
    const c = createCipheriv('aes-256-gcm', this.#key, chunkNonce(this.#prefix, this.#offset + counter, last), { authTagLength: GCM_TAG });
    c.setAAD(this.#aad);
    const ct = c.update(plaintext);
    c.final();
    return [ct, c.getAuthTag()];
  }

  /** Verify and decrypt one sealed chunk; null when authentication fails. */
  open(counter: number, last: boolean, sealed: Uint8Array): Buffer | null {
    if (sealed.length < GCM_TAG) return null;
    const d = createDecipheriv('aes-256-gcm', this.#key, chunkNonce(this.#prefix, this.#offset + counter, last), { authTagLength: GCM_TAG });
    d.setAAD(this.#aad);
    d.setAuthTag(sealed.subarray(sealed.length - GCM_TAG));
    const pt = d.update(sealed.subarray(0, sealed.length - GCM_TAG));
    try {
      d.final();
    } catch {
      pt.fill(0);
      return null;
    }
    return pt;
  }
}

function chunksPerBlock(unit: number): number {
  return Math.max(1, Math.floor(IO_BLOCK_TARGET / unit));
}

/** Keeps up to `sink.depth` writes in flight; `drain` waits for all and surfaces the first error. */
class WriteBehind {
  readonly #sink: ByteSink;
  readonly #depth: number;
  #inFlight: Promise<void>[] = [];

  constructor(sink: ByteSink) {
    this.#sink = sink;
    this.#depth = Math.max(1, sink.depth ?? 1);
  }

  async push(parts: Buffer[]): Promise<void> {
    while (this.#inFlight.length >= this.#depth) await this.#inFlight.shift();
    const p = this.#sink.write(parts);
    p.catch(() => undefined);
    this.#inFlight.push(p);
  }

  async drain(): Promise<void> {
    const all = this.#inFlight;
    this.#inFlight = [];
    await Promise.all(all);
  }

  /** Wait for writes in flight, ignoring their errors (an earlier failure wins). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.#inFlight);
    this.#inFlight = [];
  }
}

export interface StreamOptions {
  /** Called after each block with the plaintext bytes done so far. */
  onProgress?: (plaintextBytes: number) => void;
}

/**
 * Seal everything `source` yields into `sink` (payload only; the caller
 * writes the header first). Reads ahead one block while sealing the
 * current one, and writes a block while sealing the next.
 */
export async function encryptPayload(cipher: ChunkCipher, chunkSize: number, source: ByteSource, sink: ByteSink, options: StreamOptions = {}): Promise<number> {
  const block = chunkSize * chunksPerBlock(chunkSize);
  const bufs = [Buffer.allocUnsafe(block), Buffer.allocUnsafe(block)];
  let cur = 0;
  let n = await source.readFull(bufs[0]!);
  let counter = 0;
  let done = 0;
  const writer = new WriteBehind(sink);
  for (;;) {
    const buf = bufs[cur]!;
    const nextRead = n === block ? source.readFull(bufs[cur ^ 1]!) : Promise.resolve(0);
    const parts: Buffer[] = [];
    const chunks = Math.max(1, Math.ceil(n / chunkSize));
    for (let i = 0; i < chunks - 1; i++) parts.push(...cipher.seal(counter++, false, buf.subarray(i * chunkSize, (i + 1) * chunkSize)));
    const nNext = await nextRead;
    const final = nNext === 0;
    parts.push(...cipher.seal(counter++, final, buf.subarray((chunks - 1) * chunkSize, n)));
    await writer.push(parts);
    done += n;
    options.onProgress?.(done);
    if (final) break;
    cur ^= 1;
    n = nNext;
  }
  await writer.drain();
  return done;
}

/**
 * Open every chunk of the payload in `source` and write the plaintext to
 * `sink`. Each chunk is verified before any of it is written; a failure at
 * chunk N leaves chunks 0..N-1 written (the caller discards them for files).
 */
export async function decryptPayload(cipher: ChunkCipher, chunkSize: number, source: ByteSource, sink: ByteSink, options: StreamOptions = {}): Promise<number> {
  const sealedSize = chunkSize + GCM_TAG;
  const block = sealedSize * chunksPerBlock(sealedSize);
  const bufs = [Buffer.allocUnsafe(block), Buffer.allocUnsafe(block)];
  let cur = 0;
  let n = await source.readFull(bufs[0]!);
  if (n === 0) throw truncatedError();
  let counter = 0;
  let done = 0;
  const writer = new WriteBehind(sink);
  let first = true;
  for (;;) {
    const buf = bufs[cur]!;
    const nextRead = n === block ? source.readFull(bufs[cur ^ 1]!) : Promise.resolve(0);
    const parts: Buffer[] = [];
    const chunks = Math.ceil(n / sealedSize);
    for (let i = 0; i < chunks - 1; i++) {
      const pt = cipher.open(counter++, false, buf.subarray(i * sealedSize, (i + 1) * sealedSize));
      if (!pt) {
        await writer.settle();
        throw tamperedError();
      }
      parts.push(pt);
    }
    const nNext = await nextRead;
    const final = nNext === 0;
    const sealed = buf.subarray((chunks - 1) * sealedSize, n);
    // Only the very first chunk of a file may be empty (empty plaintext).
    const emptyFinal = sealed.length === GCM_TAG && !(first && chunks === 1);
    const pt = emptyFinal ? null : cipher.open(counter, final, sealed);
    if (!pt) {
      await writer.settle();
      // A full final chunk that opens as a middle chunk: the file was cut at a chunk boundary.
      if (final && sealed.length === sealedSize && cipher.open(counter, false, sealed)) throw truncatedError();
      throw tamperedError();
    }
    counter++;
    parts.push(pt);
    await writer.push(parts);
    done += parts.reduce((s, p) => s + p.length, 0);
    options.onProgress?.(done);
    first = false;
    if (final) break;
    cur ^= 1;
    n = nNext;
  }
  await writer.drain();
  return done;
}
