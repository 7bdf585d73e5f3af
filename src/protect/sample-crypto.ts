/**
 * Per-sample Common Encryption (ISO/IEC 23001-7 3rd ed.): the one table of
 * protection schemes, the sample encryptor (subsample layout from the codec
 * + AES from src/crypto/pattern) and the sample decryptor, which accepts
 * any valid subsample map, ours or another packager's.
 *
 * Knows nothing of boxes: the caller writes tenc/senc/saiz/saio from
 * TrackCrypto and the returned SampleEncryption.
 */
import { KeysmithError } from '../errors.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import type { ContentKey } from '../crypto/values.js';
import { CbcChain, CbcsCipher, CencCtr, CtrBatch, cbcIv, checkPattern, nextIv, type CryptDirection, type CryptPattern } from '../crypto/pattern.js';
import { createParameterSetState, videoSubsampleLayout, type CodecConfig, type Subsample } from '../media/codecs/index.js';

export type { Subsample } from '../media/codecs/index.js';
export type SchemeName = 'cenc' | 'cbcs' | 'cens' | 'cbc1';

/** Everything about one protection scheme (DESIGN: one table row per variant). */
export interface SchemeRow {
  name: SchemeName;
  /** AES mode. */
  cipher: 'ctr' | 'cbc';
  /** Per_Sample_IV_Size written by default (0 = constant IV in tenc). */
  defaultIvSize: 0 | 8 | 16;
  /** IV sizes the scheme permits (0 = constant IV). */
  ivSizes: readonly (0 | 8 | 16)[];
  /** Uses a constant IV (tenc default_constant_IV) by default. */
  constantIv: boolean;
  /** Pattern for video tracks (tenc v1 crypt:skip), if any. */
  videoPattern: CryptPattern | undefined;
  /** Pattern for other tracks (0:0 = every whole block), if any. */
  audioPattern: CryptPattern | undefined;
  /** Slice headers stay clear: protection starts at slice data. */
  sliceHeaderClear: boolean;
  /** Each protected range is trimmed to whole 16-byte blocks. */
  protectedMultipleOf16: boolean;
  /** CBC only: the chain runs on across a sample's subsamples (cbc1) or restarts from the IV (cbcs). */
  cbcChainAcrossSubsamples: boolean;
  /** tenc version the scheme needs (1 carries the pattern). */
  tencVersion: 0 | 1;
  /** Where the scheme is defined. */
  clause: string;
}

export const SCHEMES: Record<SchemeName, SchemeRow> = {
  cenc: {
    name: 'cenc',
    cipher: 'ctr',
    defaultIvSize: 8,
    ivSizes: [8, 16],
    constantIv: false,
    videoPattern: undefined,
    audioPattern: undefined,
    // Not required for cenc, but CMAF-friendly and what Shaka Packager does.
    sliceHeaderClear: true,
    protectedMultipleOf16: true, // CMAF (ISO/IEC 23000-19) §8.2.3.2
    cbcChainAcrossSubsamples: false,
    tencVersion: 0,
    clause: 'ISO/IEC 23001-7 §10.1',
  },
  cbc1: {
    name: 'cbc1',
    cipher: 'cbc',
    defaultIvSize: 16,
    ivSizes: [8, 16],
    constantIv: false,
    videoPattern: undefined,
    audioPattern: undefined,
    sliceHeaderClear: true,
    protectedMultipleOf16: true, // §10.2: BytesOfProtectedData a multiple of 16
    cbcChainAcrossSubsamples: true,
    tencVersion: 0,
    clause: 'ISO/IEC 23001-7 §10.2',
  },
  cens: {
    name: 'cens',
    cipher: 'ctr',
    defaultIvSize: 8,
    ivSizes: [8, 16],
    constantIv: false,
    videoPattern: { crypt: 1, skip: 9 },
    audioPattern: undefined,
    sliceHeaderClear: true,
    protectedMultipleOf16: true, // §10.3
    cbcChainAcrossSubsamples: false,
    tencVersion: 1,
    clause: 'ISO/IEC 23001-7 §10.3',
  },
  cbcs: {
    name: 'cbcs',
    cipher: 'cbc',
    defaultIvSize: 0,
    ivSizes: [0, 8, 16],
    constantIv: true,
    videoPattern: { crypt: 1, skip: 9 }, // §10.4.2
    audioPattern: { crypt: 0, skip: 0 }, // every whole block (as Shaka Packager writes it)
    sliceHeaderClear: true, // §10.4.2: protection starts after the slice header
    protectedMultipleOf16: false,
    cbcChainAcrossSubsamples: false,
    tencVersion: 1,
    clause: 'ISO/IEC 23001-7 §10.4',
  },
};

export interface TrackCrypto {
  scheme: SchemeName;
  codec: CodecConfig;
  key: ContentKey;
  /** Per_Sample_IV_Size; 0 = constant IV. */
  ivSize: 0 | 8 | 16;
  /** 16 bytes, with ivSize 0. */
  constantIv?: Buffer;
  /** tenc v1 crypt:skip; undefined = no pattern. */
  pattern?: { crypt: number; skip: number };
  /** First per-sample IV (ivSize 8/16); random when absent. */
  firstIv?: Buffer;
}

export interface SampleEncryption {
  /** Per-sample IV; empty with a constant IV. */
  iv: Buffer;
  /** Empty = the whole sample is protected. */
  subsamples: Subsample[];
}

function cencError(code: 'IV' | 'SUBSAMPLES' | 'SCHEME', message: string): KeysmithError {
  return new KeysmithError(`ERR_CENC_${code}`, message);
}

export function schemeRow(scheme: string): SchemeRow {
  const row = (SCHEMES as Record<string, SchemeRow | undefined>)[scheme];
  if (!row) throw cencError('SCHEME', `scheme "${scheme.slice(0, 16)}": expected cenc, cbcs, cens or cbc1`);
  return row;
}

export interface TrackCryptoOptions {
  /** cbcs: the constant IV (16 bytes); other schemes: the first IV (8 or 16 bytes, sets the IV size). */
  iv?: Buffer;
  /** Where random IVs come from (tests inject a seeded source). */
  random?: RandomSource;
}

/** A TrackCrypto with the scheme row's defaults for this codec. */
export function trackCryptoFor(scheme: SchemeName, codec: CodecConfig, key: ContentKey, options: TrackCryptoOptions = {}): TrackCrypto {
  const row = schemeRow(scheme);
  const random = options.random ?? systemRandom;
  const pattern = codec.kind === 'audio' ? row.audioPattern : row.videoPattern;
  const base = { scheme, codec, key, ...(pattern ? { pattern: { ...pattern } } : {}) };
  if (row.constantIv) {
    const iv = options.iv ?? random.bytes(16);
    if (iv.length !== 16) throw cencError('IV', `${scheme} constant IV: expected 16 bytes, got ${iv.length}`);
    return { ...base, ivSize: 0, constantIv: Buffer.from(iv) };
  }
  const iv = options.iv ?? random.bytes(row.defaultIvSize);
  if (!row.ivSizes.includes(iv.length as 8 | 16) || iv.length === 0) {
    throw cencError('IV', `${scheme} IV: expected ${row.ivSizes.filter((n) => n > 0).join(' or ')} bytes, got ${iv.length}`);
  }
  return { ...base, ivSize: iv.length as 8 | 16, firstIv: Buffer.from(iv) };
}

function checkTrack(track: TrackCrypto): SchemeRow {
  const row = schemeRow(track.scheme);
  checkPattern(track.pattern);
  if (track.ivSize === 0) {
    if (!track.constantIv || track.constantIv.length !== 16) throw cencError('IV', `${track.scheme}: IV size 0 needs a 16-byte constant IV`);
  } else if (track.ivSize !== 8 && track.ivSize !== 16) {
    throw cencError('IV', `${track.scheme}: IV size ${String(track.ivSize)} is not 0, 8 or 16`);
  }
  return row;
}

/**
 * Transform the protected bytes of one sample in place. Returns the CTR
 * blocks used (for the next 16-byte IV); 0 for CBC.
 */
function transformSample(
  row: SchemeRow,
  track: TrackCrypto,
  sample: Buffer,
  iv: Uint8Array,
  subsamples: readonly Subsample[],
  direction: CryptDirection,
  cbcs?: CbcsCipher,
): number {
  const ranges: Array<[number, number]> = [];
  if (subsamples.length === 0) {
    ranges.push([0, sample.length]);
  } else {
    let p = 0;
    for (const s of subsamples) {
      p += s.clear;
      if (s.encrypted > 0) ranges.push([p, p + s.encrypted]);
      p += s.encrypted;
    }
  }
  const pattern = track.pattern;
  const patterned = pattern !== undefined && pattern.crypt > 0 && pattern.skip > 0;
  if (row.cipher === 'ctr') {
    const ctr = new CencCtr(track.key, iv);
    for (const [s, e] of ranges) {
      const view = sample.subarray(s, e);
      if (patterned) ctr.applyPattern(view, pattern);
      else ctr.apply(view);
    }
    return ctr.blocksUsed;
  }
  if (row.cbcChainAcrossSubsamples) {
    const chain = new CbcChain(track.key, iv, direction);
    for (const [s, e] of ranges) chain.apply(sample.subarray(s, e));
    return 0;
  }
  const iv16 = iv.length === 16 ? iv : cbcIv(iv);
  const cipher = cbcs ?? new CbcsCipher(track.key, direction);
  for (const [s, e] of ranges) cipher.range(iv16, sample.subarray(s, e), pattern);
  return 0;
}

/**
 * An encryptor for the samples of one track, in decode order. Each call
 * encrypts the sample in place and returns its senc entry. Per-sample IVs
 * start at `firstIv` (or track.firstIv, or random) and advance per
 * ISO/IEC 23001-7 §9.3: 8-byte IVs by one, 16-byte IVs by the CTR blocks
 * used (CBC: by one). In-band SPS/PPS carry over to later samples.
 */
/**
 * CTR samples whose protected bytes fit in this many take the batched path
 * (CtrBatch: one AES call per fragment for all of them); larger ones get a
 * cipher of their own, whose set-up cost is then small next to the AES.
 */
export const CTR_BATCH_MAX = 4096;

/** The protected views of a sample, in order (whole sample when there are no subsamples; empty ranges skipped). */
function protectedViews(sample: Buffer, subsamples: readonly Subsample[]): Buffer[] {
  if (subsamples.length === 0) return sample.length > 0 ? [sample] : [];
  const views: Buffer[] = [];
  let p = 0;
  for (const s of subsamples) {
    p += s.clear;
    if (s.encrypted > 0) views.push(sample.subarray(p, p + s.encrypted));
    p += s.encrypted;
  }
  return views;
}

/** The (empty) per-sample IV of constant-IV schemes, shared: nothing can be written into 0 bytes. */
const NO_IV = Buffer.alloc(0);

export interface SampleEncryptor {
  /** Encrypt one sample in place; returns its senc entry. */
  encrypt(sample: Buffer): SampleEncryption;
  /** The same for consecutive samples (a fragment): same bytes and entries, small CTR samples batched. */
  encryptAll(samples: readonly Buffer[]): SampleEncryption[];
}

export function createSampleEncryptor(track: TrackCrypto, firstIv?: Buffer): SampleEncryptor {
  const row = checkTrack(track);
  const video = track.codec.kind !== 'audio';
  const state = createParameterSetState(track.codec);
  const mode = { sliceHeaderClear: row.sliceHeaderClear, protectedMultipleOf16: row.protectedMultipleOf16 };
  // cbcs: one cipher for the whole track (CbcsCipher restarts it per range)
  const cbcs = row.cipher === 'cbc' && !row.cbcChainAcrossSubsamples ? new CbcsCipher(track.key, 'encrypt') : undefined;
  let iv: Buffer | undefined;
  if (track.ivSize !== 0) {
    iv = Buffer.from(firstIv ?? track.firstIv ?? systemRandom.bytes(track.ivSize));
    if (iv.length !== track.ivSize) throw cencError('IV', `first IV: expected ${track.ivSize} bytes, got ${iv.length}`);
  }
  const encrypt = (sample: Buffer): SampleEncryption => {
    const subsamples = video ? videoSubsampleLayout(track.codec, sample, mode, state) : [];
    const used = iv ?? track.constantIv!;
    const blocks = transformSample(row, track, sample, used, subsamples, 'encrypt', cbcs);
    if (!iv) return { iv: NO_IV, subsamples };
    const out = iv;
    iv = nextIv(iv, row.cipher === 'ctr' ? blocks : 1);
    return { iv: out, subsamples };
  };
  // Plain CTR (cenc) with per-sample IVs: the same keystreams, small samples through one AES call.
  const patterned = track.pattern !== undefined && track.pattern.crypt > 0 && track.pattern.skip > 0;
  const batch = row.cipher === 'ctr' && !patterned && track.ivSize !== 0 ? new CtrBatch(track.key) : undefined;
  return {
    encrypt,
    encryptAll(samples) {
      if (!batch) return samples.map(encrypt);
      const out: SampleEncryption[] = [];
      try {
        for (const sample of samples) {
          const subsamples = video ? videoSubsampleLayout(track.codec, sample, mode, state) : [];
          const views = protectedViews(sample, subsamples);
          const used = iv!;
          let blocks: number;
          let total = 0;
          for (const v of views) total += v.length;
          if (total <= CTR_BATCH_MAX) blocks = batch.add(used, views);
          else {
            const ctr = new CencCtr(track.key, used);
            for (const v of views) ctr.apply(v);
            blocks = ctr.blocksUsed;
          }
          out.push({ iv: used, subsamples });
          iv = nextIv(used, blocks);
        }
      } finally {
        batch.flush();
      }
      return out;
    },
  };
}

/**
 * Decrypt one sample in place from its senc entry (any valid subsample map).
 * Throws ERR_CENC_SUBSAMPLES when the entries add up to more than the
 * sample, ERR_CENC_IV when no usable IV is given. Bytes after the last
 * subsample are treated as clear.
 */
export function decryptSample(track: TrackCrypto, sample: Buffer, enc: SampleEncryption): void {
  const row = checkTrack(track);
  let iv: Uint8Array;
  if (enc.iv.length > 0) {
    if (enc.iv.length !== 8 && enc.iv.length !== 16) throw cencError('IV', `sample IV: expected 8 or 16 bytes, got ${enc.iv.length}`);
    iv = enc.iv;
  } else if (track.constantIv && track.constantIv.length === 16) {
    iv = track.constantIv;
  } else {
    throw cencError('IV', 'sample has no IV and the track no constant IV');
  }
  let total = 0;
  for (const s of enc.subsamples) {
    if (!Number.isInteger(s.clear) || !Number.isInteger(s.encrypted) || s.clear < 0 || s.encrypted < 0) {
      throw cencError('SUBSAMPLES', 'subsample entry with a negative or fractional byte count');
    }
    total += s.clear + s.encrypted;
  }
  if (total > sample.length) {
    throw cencError('SUBSAMPLES', `subsamples cover ${total} bytes but the sample has ${sample.length}`);
  }
  transformSample(row, track, sample, iv, enc.subsamples, 'decrypt');
}
