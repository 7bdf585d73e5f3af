/**
 * Where the protected ranges of a length-prefixed H.264/HEVC sample lie
 * (ISO/IEC 23001-7 §9.5 and §10; ISO/IEC 14496-15 for the NAL framing).
 * This file knows codecs, not AES: it returns clear/protected byte counts.
 *
 * Rules (see docs/subsamples.md):
 * - clear: every NAL length prefix and NAL unit header (1 byte H.264,
 *   2 bytes HEVC); every non-VCL NAL unit (SPS, PPS, SEI, AUD …) and
 *   anything that is not a coded slice; with `sliceHeaderClear`, the slice
 *   header up to the first byte of slice data (§10.4.2 for 'cbcs').
 * - with `protectedMultipleOf16` ('cenc', 'cens', 'cbc1'), the remainder of
 *   each protected range modulo 16 moves into the clear bytes at its front;
 *   without it (cbcs) ranges start right after the slice header, whatever
 *   their length (the pattern leaves partial blocks clear).
 * - consecutive clear-only NAL units merge into the next subsample's clear
 *   count; clear counts above 65535 split into (65535, 0) entries (senc
 *   BytesOfClearData is 16 bits).
 * In-band SPS/PPS in a sample update the parameter sets for the NAL units
 * after them (and for later samples when a state is passed).
 */
import { codecError } from './bit-reader.js';
import type { CodecConfig } from './config.js';
import { avcSliceHeaderSize, parseAvcPps, parseAvcSps, AVC_NAL, type AvcParameterSets } from './h264.js';
import { hevcSliceHeaderSize, isHevcSliceType, parseHevcPps, parseHevcSps, parseHevcVps, HEVC_NAL, type HevcParameterSets } from './hevc.js';

/** One senc subsample entry: clear bytes then protected bytes. */
export interface Subsample {
  clear: number;
  encrypted: number;
}

export interface SubsampleMode {
  /** Keep the slice header clear: protection starts at slice data. */
  sliceHeaderClear: boolean;
  /** Trim each protected range to whole 16-byte blocks (remainder to clear). */
  protectedMultipleOf16: boolean;
}

export interface NalUnitInfo {
  /** Offset of the NAL unit header in the sample (after its length prefix). */
  offset: number;
  /** NAL unit size in bytes (without the length prefix). */
  size: number;
  type: number;
  /** A VCL NAL unit (H.264 types 1-5, HEVC types 0-31). */
  isVcl: boolean;
  /** A coded slice this library protects (H.264 1 and 5; HEVC 0-9 and 16-21). */
  isSlice: boolean;
  /** 1 (H.264) or 2 (HEVC). */
  nalHeaderSize: number;
  /** Escaped bytes of the slice header after the NAL unit header, through its last bit; 0 if not a slice. */
  sliceHeaderSize: number;
}

/** Parameter sets as they evolve through a track (avcC/hvcC plus in-band updates). */
export interface ParameterSetState {
  avc?: AvcParameterSets;
  hevc?: HevcParameterSets;
}

export function createParameterSetState(codec: CodecConfig): ParameterSetState {
  if (codec.kind === 'avc') {
    return { avc: { sps: new Map(codec.sps.map((s) => [s.id, s])), pps: new Map(codec.pps.map((p) => [p.id, p])) } };
  }
  if (codec.kind === 'hevc') {
    return {
      hevc: {
        vps: new Map(codec.vps.map((s) => [s.id, s])),
        sps: new Map(codec.sps.map((s) => [s.id, s])),
        pps: new Map(codec.pps.map((p) => [p.id, p])),
      },
    };
  }
  return {};
}

const MAX_NAL_UNITS = 1 << 16;

/**
 * The NAL units of a length-prefixed sample, with slice header sizes.
 * Throws ERR_CODEC_* on a length past the end, a zero length, trailing
 * bytes shorter than a length prefix, or a slice header it cannot parse.
 */
export function listNalUnits(codec: CodecConfig, sample: Uint8Array, state: ParameterSetState = createParameterSetState(codec)): NalUnitInfo[] {
  if (codec.kind === 'audio') throw codecError('INVALID', 'NAL units: an audio track has none');
  const lengthSize = codec.nalLengthSize;
  const hevc = codec.kind === 'hevc';
  const nalHeaderSize = hevc ? 2 : 1;
  const out: NalUnitInfo[] = [];
  let p = 0;
  while (p < sample.length) {
    if (out.length >= MAX_NAL_UNITS) throw codecError('INVALID', 'sample: more than 65536 NAL units');
    if (p + lengthSize > sample.length) throw codecError('TRUNCATED', `sample: ${sample.length - p} trailing bytes, shorter than a ${lengthSize}-byte NAL length`);
    let size = 0;
    for (let i = 0; i < lengthSize; i++) size = size * 256 + sample[p + i]!;
    const offset = p + lengthSize;
    if (size < nalHeaderSize) throw codecError('INVALID', `sample: NAL unit of ${size} bytes at offset ${p}`);
    if (offset + size > sample.length) throw codecError('TRUNCATED', `sample: NAL unit of ${size} bytes at offset ${p} runs past the sample end (${sample.length})`);
    const end = offset + size;
    const head = sample[offset]!;
    let type: number;
    let isVcl: boolean;
    let isSlice: boolean;
    let sliceHeaderSize = 0;
    if (hevc) {
      const sets = state.hevc!;
      if (head & 0x80) throw codecError('INVALID', `sample: NAL unit at offset ${p} has forbidden_zero_bit set`);
      type = (head >> 1) & 0x3f;
      isVcl = type < 32;
      isSlice = isHevcSliceType(type);
      if (isSlice && offset + 1 < end && ((head & 1) << 5 | sample[offset + 1]! >> 3) !== 0) {
        // nuh_layer_id > 0: multi-layer slice headers (Annex F) are not parsed; refuse rather than leave a layer clear
        throw codecError('UNSUPPORTED', `hevc: slice with nuh_layer_id > 0 at offset ${p} (multi-layer HEVC)`);
      }
      if (isSlice) sliceHeaderSize = hevcSliceHeaderSize(sample, sets, offset, end);
      else if (type === HEVC_NAL.SPS) {
        const s = parseHevcSps(sample.subarray(offset, end));
        sets.sps.set(s.id, s);
      } else if (type === HEVC_NAL.PPS) {
        const s = parseHevcPps(sample.subarray(offset, end));
        sets.pps.set(s.id, s);
      } else if (type === HEVC_NAL.VPS) {
        const s = parseHevcVps(sample.subarray(offset, end));
        sets.vps.set(s.id, s);
      }
    } else {
      const sets = state.avc!;
      if (head & 0x80) throw codecError('INVALID', `sample: NAL unit at offset ${p} has forbidden_zero_bit set`);
      type = head & 0x1f;
      isVcl = type >= 1 && type <= 5;
      // Data partitions B/C (3, 4) carry no slice header and partition A is
      // followed by them: all three stay clear, like SEI.
      isSlice = type === AVC_NAL.SLICE || type === AVC_NAL.IDR;
      if (isSlice) sliceHeaderSize = avcSliceHeaderSize(sample, sets, offset, end);
      else if (type === AVC_NAL.SPS) {
        const s = parseAvcSps(sample.subarray(offset, end));
        sets.sps.set(s.id, s);
      } else if (type === AVC_NAL.PPS) {
        const s = parseAvcPps(sample.subarray(offset, end));
        sets.pps.set(s.id, s);
      }
    }
    out.push({ offset, size, type, isVcl, isSlice, nalHeaderSize, sliceHeaderSize });
    p = end;
  }
  return out;
}

const MAX_CLEAR = 0xffff;

/** Accumulates (clear, protected) pairs the way senc wants them. */
export class SubsampleBuilder {
  readonly #out: Subsample[] = [];
  #clear = 0;

  constructor(private readonly align16: boolean, private readonly minProtected = 1) {}

  add(clear: number, encrypted: number): void {
    if (this.align16 && encrypted > 0) {
      const rem = encrypted % 16;
      clear += rem;
      encrypted -= rem;
    }
    if (encrypted < this.minProtected) {
      clear += encrypted;
      encrypted = 0;
    }
    this.#clear += clear;
    if (encrypted === 0) return;
    this.#push(this.#clear, encrypted);
    this.#clear = 0;
  }

  #push(clear: number, encrypted: number): void {
    while (clear > MAX_CLEAR) {
      this.#out.push({ clear: MAX_CLEAR, encrypted: 0 });
      clear -= MAX_CLEAR;
    }
    this.#out.push({ clear, encrypted });
  }

  finish(): Subsample[] {
    if (this.#clear > 0) this.#push(this.#clear, 0);
    this.#clear = 0;
    return this.#out;
  }
}

/**
 * The senc subsample map of one length-prefixed video sample. The sum of
 * all entries equals the sample length. `state` carries in-band parameter
 * sets from one sample to the next (createParameterSetState).
 */
export function videoSubsampleLayout(codec: CodecConfig, sample: Uint8Array, mode: SubsampleMode, state?: ParameterSetState): Subsample[] {
  if (codec.kind === 'audio') return [];
  const lengthSize = codec.nalLengthSize;
  // Without 16-byte trimming (cbcs), a protected range shorter than a block
  // is still written as protected, as Shaka Packager does; the cipher leaves
  // it clear (a partial block is never encrypted).
  const b = new SubsampleBuilder(mode.protectedMultipleOf16);
  for (const nal of listNalUnits(codec, sample, state)) {
    const total = lengthSize + nal.size;
    if (!nal.isSlice) {
      b.add(total, 0);
      continue;
    }
    const clear = Math.min(total, lengthSize + nal.nalHeaderSize + (mode.sliceHeaderClear ? nal.sliceHeaderSize : 0));
    b.add(clear, total - clear);
  }
  return b.finish();
}
