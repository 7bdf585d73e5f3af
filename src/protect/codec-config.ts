/**
 * The codec configuration of a sample entry, from its avcC / hvcC (ISO/IEC
 * 14496-15) or its fourcc for audio. The subsample layout depends on it.
 */
import { KeysmithError } from '../errors.js';
import { child, printable, type Box } from '../media/bmff/index.js';
import { aacCodecString, audioCodecConfig, parseAvcDecoderConfig, parseHevcDecoderConfig, type CodecConfig } from '../media/codecs/index.js';

const VIDEO: Record<string, { config: string; parse: (payload: Uint8Array, fourcc: string) => CodecConfig }> = {
  avc1: { config: 'avcC', parse: (p) => parseAvcDecoderConfig(p, 'avc1') },
  avc3: { config: 'avcC', parse: (p) => parseAvcDecoderConfig(p, 'avc3') },
  hvc1: { config: 'hvcC', parse: (p) => parseHevcDecoderConfig(p, 'hvc1') },
  hev1: { config: 'hvcC', parse: (p) => parseHevcDecoderConfig(p, 'hev1') },
};

/** Audio sample entries whole-sample protection applies to. */
export const AUDIO_CODECS: ReadonlySet<string> = new Set(['mp4a', 'ac-3', 'ec-3', 'Opus', 'fLaC', 'ac-4']);

/** The codec fourccs `encrypt` accepts. */
export function supportedCodecs(): string[] {
  return [...Object.keys(VIDEO), ...AUDIO_CODECS];
}

/** `fourcc` is the clear codec (frma's data_format for an encrypted entry). */
export function codecConfigOf(entry: Box, fourcc: string, where: string): CodecConfig {
  const video = VIDEO[fourcc];
  if (video) {
    const cfg = child(entry, video.config);
    if (!cfg?.raw) throw new KeysmithError('ERR_CENC_UNSUPPORTED', `${where}: ${printable(fourcc)} sample entry has no ${video.config}`, { hint: 'the input may be damaged' });
    return video.parse(cfg.raw, fourcc);
  }
  if (AUDIO_CODECS.has(fourcc)) return audioCodecConfig(fourcc);
  throw new KeysmithError('ERR_CENC_UNSUPPORTED', `${where}: codec ${printable(fourcc)} cannot be encrypted by keysmith`, {
    hint: `supported: ${supportedCodecs().join(', ')}`,
  });
}

/**
 * The RFC 6381 codecs string of a track's clear sample entry (avc1.64001f,
 * hvc1.1.6.L63.90, mp4a.40.2, ac-3, ec-3 …), for DASH @codecs and HLS CODECS.
 */
export function codecStringOf(entry: Box, fourcc: string, where: string): string {
  if (VIDEO[fourcc]) {
    const cfg = codecConfigOf(entry, fourcc, where);
    return cfg.kind === 'audio' ? fourcc : cfg.codecString;
  }
  if (fourcc === 'mp4a') {
    const esds = child(entry, 'esds');
    if (esds?.raw) return aacCodecString(esds.raw);
  }
  return fourcc;
}
