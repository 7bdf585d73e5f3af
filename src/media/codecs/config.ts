/**
 * Codec configurations as the protection layer needs them: NAL length size,
 * parameter sets (for slice headers), the RFC 6381 codecs string and the
 * picture size. Built from the sample entry's avcC / hvcC payload.
 */
import { codecError } from './bit-reader.js';
import { avcCodecString, parseAvcPps, parseAvcSps, readAvcDecoderConfig, AVC_NAL, type ParsedAvcPps, type ParsedAvcSps } from './h264.js';
import {
  hevcCodecString,
  parseHevcPps,
  parseHevcSps,
  parseHevcVps,
  readHevcDecoderConfig,
  HEVC_NAL,
  type ParsedHevcPps,
  type ParsedHevcSps,
  type ParsedHevcVps,
} from './hevc.js';

export type NalLengthSize = 1 | 2 | 4;

export interface AvcCodecConfig {
  kind: 'avc';
  nalLengthSize: NalLengthSize;
  sps: ParsedAvcSps[];
  pps: ParsedAvcPps[];
  profile: number;
  compatibility: number;
  level: number;
  /** RFC 6381 §3.3, e.g. avc1.64001e */
  codecString: string;
  width: number;
  height: number;
}

export interface HevcCodecConfig {
  kind: 'hevc';
  nalLengthSize: NalLengthSize;
  vps: ParsedHevcVps[];
  sps: ParsedHevcSps[];
  pps: ParsedHevcPps[];
  /** ISO/IEC 14496-15 Annex E, e.g. hvc1.1.6.L63.90 */
  codecString: string;
  width: number;
  height: number;
}

export interface AudioCodecConfig {
  kind: 'audio';
  /** Sample entry fourcc ('mp4a', 'ac-3', 'ec-3', 'Opus' …) or a full codecs string. */
  codec: string;
}

export type CodecConfig = AvcCodecConfig | HevcCodecConfig | AudioCodecConfig;

/** From the avcC payload (AVCDecoderConfigurationRecord, ISO/IEC 14496-15 §5.3.3). */
export function parseAvcDecoderConfig(avcC: Uint8Array, fourcc: 'avc1' | 'avc3' = 'avc1'): AvcCodecConfig {
  const rec = readAvcDecoderConfig(avcC);
  const sps = rec.spsNals.map((n) => {
    if ((n[0]! & 0x1f) !== AVC_NAL.SPS) throw codecError('INVALID', 'avcC: a sequence parameter set entry is not an SPS NAL unit');
    return parseAvcSps(n);
  });
  const pps = rec.ppsNals.map((n) => {
    if ((n[0]! & 0x1f) !== AVC_NAL.PPS) throw codecError('INVALID', 'avcC: a picture parameter set entry is not a PPS NAL unit');
    return parseAvcPps(n);
  });
  return {
    kind: 'avc',
    nalLengthSize: rec.nalLengthSize,
    sps,
    pps,
    profile: rec.profile,
    compatibility: rec.compatibility,
    level: rec.level,
    codecString: avcCodecString(fourcc, rec.profile, rec.compatibility, rec.level),
    width: sps[0]?.width ?? 0,
    height: sps[0]?.height ?? 0,
  };
}

/** From the hvcC payload (HEVCDecoderConfigurationRecord, ISO/IEC 14496-15 §8.3.3). */
export function parseHevcDecoderConfig(hvcC: Uint8Array, fourcc: 'hvc1' | 'hev1' = 'hvc1'): HevcCodecConfig {
  const rec = readHevcDecoderConfig(hvcC);
  const vps: ParsedHevcVps[] = [];
  const sps: ParsedHevcSps[] = [];
  const pps: ParsedHevcPps[] = [];
  for (const { data } of rec.nals) {
    // the NAL header is authoritative; the array's NAL_unit_type should agree
    const t = (data[0]! >> 1) & 0x3f;
    if (t === HEVC_NAL.VPS) vps.push(parseHevcVps(data));
    else if (t === HEVC_NAL.SPS) sps.push(parseHevcSps(data));
    else if (t === HEVC_NAL.PPS) pps.push(parseHevcPps(data));
  }
  return {
    kind: 'hevc',
    nalLengthSize: rec.nalLengthSize,
    vps,
    sps,
    pps,
    codecString: hevcCodecString(fourcc, rec),
    width: sps[0]?.width ?? 0,
    height: sps[0]?.height ?? 0,
  };
}

/** Audio (and any codec without subsample structure): whole-sample protection. */
export function audioCodecConfig(fourcc: string): AudioCodecConfig {
  if (fourcc.length < 4 || fourcc.length > 64 || !/^[\x20-\x7e]+$/.test(fourcc)) {
    throw codecError('INVALID', `audio codec: expected a fourcc such as mp4a or ec-3, got "${fourcc.slice(0, 16)}"`);
  }
  return { kind: 'audio', codec: fourcc };
}
