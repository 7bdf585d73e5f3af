/**
 * The AES primitives of Common Encryption (ISO/IEC 23001-7 3rd ed. §9–10),
 * over one protected range at a time. They know nothing of codecs or boxes:
 * callers pass byte views to transform in place.
 *
 * - CTR ('cenc', 'cens'): one keystream per sample. The counter block is
 *   the 8-byte IV ‖ 64-bit block counter (or the 16-byte IV); only its low
 *   64 bits count, wrapping without carry (§9.3). The keystream runs on across
 *   the protected ranges of a sample, a partial block carrying over (§9.5.2).
 * - CBC ('cbcs', 'cbc1'): 'cbcs' restarts from the IV at each protected range;
 *   'cbc1' chains on across the ranges of a sample. Only whole blocks are
 *   encrypted; a trailing partial block stays clear (§10.2, §10.4.2).
 * - Patterns ('cens', 'cbcs', §9.6): in each protected range, encrypt `crypt`
 *   blocks, leave `skip` blocks, repeat; fewer than `crypt` whole blocks at the
 *   end are all encrypted, a partial block is clear. 0:0 (and N:0) mean every
 *   whole block. For CTR, skipped blocks do not advance the counter; for CBC,
 *   the chain runs across the encrypted blocks only.
 */
import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import { KeysmithError } from '../errors.js';
import { aesCipherName, AES_BLOCK } from './aes.js';
import type { SecretKey } from './values.js';

export interface CryptPattern {
  crypt: number;
  skip: number;
}

export type CryptDirection = 'encrypt' | 'decrypt';

type KeyInput = SecretKey | Uint8Array;
const keyBytes = (k: KeyInput): Uint8Array => (k instanceof Uint8Array ? k : k.bytes);

function patternError(message: string): KeysmithError {
  return new KeysmithError('ERR_CENC_PATTERN', message);
}

export function checkPattern(p: CryptPattern | undefined): void {
  if (!p) return;
  if (!Number.isInteger(p.crypt) || !Number.isInteger(p.skip) || p.crypt < 0 || p.skip < 0 || p.crypt > 15 || p.skip > 15) {
    throw patternError(`pattern ${p.crypt}:${p.skip}: crypt and skip must be 0..15 (4-bit tenc fields)`);
  }
  if (p.crypt === 0 && p.skip > 0) throw patternError(`pattern 0:${p.skip} would encrypt nothing`);
}

/**
 * The byte runs [start, end) of a `length`-byte protected range that the
 * pattern encrypts: whole blocks only. Without a pattern (or 0:0, N:0), one
 * run over all whole blocks.
 */
export function patternRuns(length: number, pattern?: CryptPattern): Array<[number, number]> {
  const blocks = Math.floor(length / AES_BLOCK);
  if (blocks === 0) return [];
  if (!pattern || pattern.skip === 0 || pattern.crypt === 0) return [[0, blocks * AES_BLOCK]];
  const period = pattern.crypt + pattern.skip;
  const runs: Array<[number, number]> = [];
  for (let b = 0; b < blocks; b += period) runs.push([b * AES_BLOCK, Math.min(b + pattern.crypt, blocks) * AES_BLOCK]);
  return runs;
}

/** Whole blocks of a range and the pattern over them, without per-run allocations. */
interface Plan {
  blocks: number;
  /** Blocks encrypted per period (= period when every block is). */
  crypt: number;
  period: number;
}

function plan(length: number, pattern?: CryptPattern): Plan {
  const blocks = Math.floor(length / AES_BLOCK);
  if (!pattern || pattern.skip === 0 || pattern.crypt === 0) return { blocks, crypt: blocks, period: blocks };
  return { blocks, crypt: pattern.crypt, period: pattern.crypt + pattern.skip };
}

function encryptedBytes(p: Plan): number {
  if (p.blocks === 0) return 0;
  const full = Math.floor(p.blocks / p.period);
  return (full * p.crypt + Math.min(p.crypt, p.blocks - full * p.period)) * AES_BLOCK;
}

/**
 * Copy the pattern's blocks out into one contiguous buffer (or return the
 * view itself when they are contiguous). Runs are whole 16-byte blocks, so
 * they move as 32-bit words through DataViews: a 1:9 pattern has one
 * 16-byte run per 160 bytes, where Buffer.copy's per-call cost would
 * dominate and a byte loop is 2–3x slower. `scratch`, when large enough,
 * receives the blocks (no allocation per range).
 */
function gather(view: Buffer, p: Plan, scratch?: Buffer): Buffer {
  if (p.crypt === p.period) return view.subarray(0, p.blocks * AES_BLOCK);
  const n = encryptedBytes(p);
  const out = scratch && scratch.length >= n ? scratch.subarray(0, n) : Buffer.allocUnsafe(n);
  const src = new DataView(view.buffer, view.byteOffset, view.length);
  const dst = new DataView(out.buffer, out.byteOffset, out.length);
  const step = p.period * AES_BLOCK;
  const run = p.crypt * AES_BLOCK;
  const end = p.blocks * AES_BLOCK;
  let o = 0;
  for (let s = 0; s < end; s += step) {
    const e = Math.min(s + run, end);
    for (let i = s; i < e; i += 4) {
      dst.setUint32(o, src.getUint32(i));
      o += 4;
    }
  }
  return out;
}

function scatter(view: Buffer, p: Plan, data: Buffer): void {
  if (p.crypt === p.period) return;
  const dst = new DataView(view.buffer, view.byteOffset, view.length);
  const src = new DataView(data.buffer, data.byteOffset, data.length);
  const step = p.period * AES_BLOCK;
  const run = p.crypt * AES_BLOCK;
  const end = p.blocks * AES_BLOCK;
  let o = 0;
  for (let s = 0; s < end; s += step) {
    const e = Math.min(s + run, end);
    for (let i = s; i < e; i += 4) {
      dst.setUint32(i, src.getUint32(o));
      o += 4;
    }
  }
}

/** Add `n` (< 2^53) to the big-endian 64-bit integer at b[off..off+8), wrapping at 2^64. */
function add64(b: Buffer, off: number, n: number): void {
  const lo = b.readUInt32BE(off + 4) + (n % 0x100000000);
  const hi = b.readUInt32BE(off) + Math.floor(n / 0x100000000) + Math.floor(lo / 0x100000000);
  b.writeUInt32BE(lo % 0x100000000, off + 4);
  b.writeUInt32BE(hi % 0x100000000, off);
}

/** The next sample's IV: 8-byte IVs + 1; 16-byte IVs + blocks used (low 64 bits, wrapping). §9.3 */
export function nextIv(iv: Uint8Array, blocksUsed: number): Buffer {
  const out = Buffer.from(iv);
  if (iv.length === 8) add64(out, 0, 1);
  else if (iv.length === 16) add64(out, 8, blocksUsed);
  else throw new KeysmithError('ERR_CENC_IV', `iv: expected 8 or 16 bytes, got ${iv.length}`);
  return out;
}

/**
 * One sample's AES-CTR keystream (§9.5.2). `apply` transforms views in
 * place, continuing the keystream (partial blocks carry over). The counter's
 * low 64 bits wrap to zero without carrying into the IV half.
 */
export class CencCtr {
  readonly #key: Uint8Array;
  readonly #high: Buffer;
  #cipher: Cipher;
  /** Keystream bytes used since the last (re)start. */
  #pos = 0;
  /** Keystream bytes left before the low 64 bits wrap (Infinity if beyond 2^53). */
  #untilWrap: number;
  #total = 0;

  constructor(key: KeyInput, iv: Uint8Array) {
    if (iv.length !== 8 && iv.length !== 16) throw new KeysmithError('ERR_CENC_IV', `iv: expected 8 or 16 bytes, got ${iv.length}`);
    this.#key = keyBytes(key);
    const block = Buffer.alloc(16);
    Buffer.from(iv).copy(block);
    this.#high = block.subarray(0, 8);
    // Blocks before the low 64 bits wrap: only near the top is it within reach (< 2^32 blocks).
    const hi = block.readUInt32BE(8);
    this.#untilWrap = hi === 0xffffffff ? (0x100000000 - block.readUInt32BE(12)) * AES_BLOCK : Infinity;
    this.#cipher = createCipheriv(aesCipherName(this.#key.length, 'ctr'), this.#key, block);
  }

  apply(view: Buffer): void {
    let off = 0;
    while (off < view.length) {
      const room = this.#untilWrap - this.#pos;
      const n = Math.min(view.length - off, room);
      const part = view.subarray(off, off + n);
      this.#cipher.update(part).copy(part);
      this.#pos += n;
      this.#total += n;
      off += n;
      if (this.#pos === this.#untilWrap) {
        // low 64 bits wrapped: restart at high ‖ 0 (no carry, §9.3)
        const block = Buffer.alloc(16);
        this.#high.copy(block);
        this.#cipher = createCipheriv(aesCipherName(this.#key.length, 'ctr'), this.#key, block);
        this.#pos = 0;
        this.#untilWrap = Infinity;
      }
    }
  }

  /** Apply the pattern's whole blocks of one protected range (cens). */
  applyPattern(view: Buffer, pattern: CryptPattern): void {
    const p = plan(view.length, pattern);
    if (p.blocks === 0) return;
    const data = gather(view, p);
    this.apply(data);
    scatter(view, p, data);
  }

  /** Blocks of keystream used so far (a started partial block counts). */
  get blocksUsed(): number {
    return Math.ceil(this.#total / AES_BLOCK);
  }
}

/**
 * Many short CTR keystreams at once (§9.5.2, one keystream per sample):
 * the counter blocks of every queued sample go through ONE AES-ECB call
 * (E(counter) is the CTR keystream, SP 800-38A §6.5) and are XORed into
 * the sample's protected views at `flush`. For samples of a few hundred
 * bytes (AAC, AC-3) a node:crypto cipher per sample costs far more than
 * the AES. Counters follow §9.3 exactly: the low 64 bits count from the
 * IV (8-byte IVs: from 0) and wrap without carrying into the high half.
 */
export class CtrBatch {
  readonly #ecb: Cipher;
  #counters = Buffer.alloc(0);
  #blocks = 0;
  readonly #jobs: { views: Buffer[]; at: number }[] = [];

  constructor(key: KeyInput) {
    const k = keyBytes(key);
    this.#ecb = createCipheriv(aesCipherName(k.length, 'ecb'), k, null);
    this.#ecb.setAutoPadding(false);
  }

  /** Queue one sample's protected views (the keystream runs on across them); returns the blocks it uses. */
  add(iv: Uint8Array, views: Buffer[]): number {
    if (iv.length !== 8 && iv.length !== 16) throw new KeysmithError('ERR_CENC_IV', `iv: expected 8 or 16 bytes, got ${iv.length}`);
    let total = 0;
    for (const v of views) total += v.length;
    const n = Math.ceil(total / AES_BLOCK);
    if (n === 0) return 0;
    const need = (this.#blocks + n) * AES_BLOCK;
    if (this.#counters.length < need) {
      const next = Buffer.allocUnsafe(Math.max(need, 2 * this.#counters.length, 4096));
      this.#counters.copy(next, 0, 0, this.#blocks * AES_BLOCK);
      this.#counters = next;
    }
    const ivv = new DataView(iv.buffer, iv.byteOffset, iv.length);
    const h0 = ivv.getUint32(0);
    const h1 = ivv.getUint32(4);
    const l0 = iv.length === 16 ? ivv.getUint32(8) : 0;
    const l1 = iv.length === 16 ? ivv.getUint32(12) : 0;
    const c = new DataView(this.#counters.buffer, this.#counters.byteOffset, need);
    let at = this.#blocks * AES_BLOCK;
    this.#jobs.push({ views, at });
    for (let j = 0; j < n; j++, at += AES_BLOCK) {
      const lo = l1 + j; // < 2^53
      c.setUint32(at, h0);
      c.setUint32(at + 4, h1);
      c.setUint32(at + 8, (l0 + Math.floor(lo / 0x100000000)) % 0x100000000);
      c.setUint32(at + 12, lo % 0x100000000);
    }
    this.#blocks += n;
    return n;
  }

  /** Encrypt (= decrypt) every queued view in place. */
  flush(): void {
    if (this.#blocks === 0) return;
    const ks = this.#ecb.update(this.#counters.subarray(0, this.#blocks * AES_BLOCK));
    const kv = new DataView(ks.buffer, ks.byteOffset, ks.length);
    for (const job of this.#jobs) {
      let k = job.at;
      for (const v of job.views) {
        // 32-bit words (unaligned DataView access), then the tail bytes.
        const dv = new DataView(v.buffer, v.byteOffset, v.length);
        const words = v.length & ~3;
        let i = 0;
        for (; i < words; i += 4, k += 4) dv.setUint32(i, dv.getUint32(i) ^ kv.getUint32(k));
        for (; i < v.length; i++) v[i] = v[i]! ^ ks[k++]!;
      }
    }
    this.#jobs.length = 0;
    this.#blocks = 0;
  }
}

function cbcCipher(key: Uint8Array, iv: Uint8Array, direction: CryptDirection): Cipher | Decipher {
  if (iv.length !== 16) throw new KeysmithError('ERR_CENC_IV', `cbc iv: expected 16 bytes, got ${iv.length}`);
  const name = aesCipherName(key.length, 'cbc');
  const c = direction === 'encrypt' ? createCipheriv(name, key, iv) : createDecipheriv(name, key, iv);
  c.setAutoPadding(false);
  return c;
}

/** Pad an 8-byte IV with zeros to a 16-byte CBC IV (§9.2: bytes 8–15 zero). */
export function cbcIv(iv: Uint8Array): Buffer {
  if (iv.length === 16) return Buffer.from(iv);
  if (iv.length === 8) return Buffer.concat([Buffer.from(iv), Buffer.alloc(8)]);
  throw new KeysmithError('ERR_CENC_IV', `iv: expected 8 or 16 bytes, got ${iv.length}`);
}

/**
 * 'cbcs' for a whole track: CBC restarting from an IV at every protected
 * range (§10.4.2), the pattern's whole blocks only, in place.
 *
 * One node:crypto cipher serves every range: to restart from IV′ where the
 * chain holds C, the first block is fed as P ⊕ IV′ ⊕ C when encrypting
 * (E(P ⊕ IV′) comes out), and when decrypting the first output block is
 * XORed with C ⊕ IV′ (D(X) ⊕ C becomes D(X) ⊕ IV′). That saves a cipher
 * creation per slice, which costs more than the AES of a 1:9 pattern.
 */
export class CbcsCipher {
  readonly #cipher: Cipher | Decipher;
  readonly #direction: CryptDirection;
  /** The chain value the cipher holds: the last ciphertext block it saw or produced. */
  readonly #chain = Buffer.alloc(16);
  /** Reused for the gathered blocks of patterned ranges. */
  #scratch = Buffer.alloc(0);

  constructor(key: KeyInput, direction: CryptDirection) {
    this.#direction = direction;
    this.#cipher = cbcCipher(keyBytes(key), this.#chain, direction);
  }

  range(iv: Uint8Array, view: Buffer, pattern: CryptPattern | undefined): void {
    if (iv.length !== 16) throw new KeysmithError('ERR_CENC_IV', `cbc iv: expected 16 bytes, got ${iv.length}`);
    const p = plan(view.length, pattern);
    if (p.blocks === 0) return;
    if (p.crypt !== p.period && this.#scratch.length < encryptedBytes(p)) this.#scratch = Buffer.allocUnsafe(Math.max(encryptedBytes(p), 2 * this.#scratch.length, 4096));
    const data = gather(view, p, this.#scratch);
    const chain = this.#chain;
    const last = data.length - AES_BLOCK;
    let out: Buffer;
    if (this.#direction === 'encrypt') {
      for (let i = 0; i < AES_BLOCK; i++) data[i] = data[i]! ^ iv[i]! ^ chain[i]!;
      out = this.#cipher.update(data);
      out.copy(chain, 0, last);
    } else {
      const fix = Buffer.allocUnsafe(AES_BLOCK);
      for (let i = 0; i < AES_BLOCK; i++) fix[i] = chain[i]! ^ iv[i]!;
      data.copy(chain, 0, last); // the ciphertext's last block, before it is overwritten
      out = this.#cipher.update(data);
      for (let i = 0; i < AES_BLOCK; i++) out[i] = out[i]! ^ fix[i]!;
    }
    // Patterned: the blocks go straight back to their places; else `data` is the view itself.
    if (p.crypt !== p.period) scatter(view, p, out);
    else out.copy(data);
  }
}

/** 'cbcs' over one protected range (a one-off CbcsCipher). */
export function cbcsRange(key: KeyInput, iv: Uint8Array, view: Buffer, pattern: CryptPattern | undefined, direction: CryptDirection): void {
  new CbcsCipher(key, direction).range(iv, view, pattern);
}

/**
 * 'cbc1' for one sample: one CBC chain across all its protected ranges
 * (whole blocks of each range; a partial block at a range end stays clear).
 */
export class CbcChain {
  readonly #cipher: Cipher | Decipher;

  constructor(key: KeyInput, iv: Uint8Array, direction: CryptDirection) {
    this.#cipher = cbcCipher(keyBytes(key), cbcIv(iv), direction);
  }

  apply(view: Buffer): void {
    const whole = view.length - (view.length % AES_BLOCK);
    if (whole === 0) return;
    const part = view.subarray(0, whole);
    this.#cipher.update(part).copy(part);
  }
}
