/**
 * The RFC 6381 codecs string of an MPEG-4 audio track from its esds
 * (ISO/IEC 14496-1 §7.2.6.5 ES_Descriptor → §7.2.6.6 DecoderConfigDescriptor
 * → DecoderSpecificInfo = AudioSpecificConfig, ISO/IEC 14496-3 §1.6.2.1).
 */
import { codecError } from './bit-reader.js';

const TAG_ES = 0x03;
const TAG_DECODER_CONFIG = 0x04;
const TAG_DECODER_SPECIFIC = 0x05;

interface Descriptor {
  tag: number;
  start: number;
  end: number;
}

function readDescriptor(b: Uint8Array, p: number, limit: number): Descriptor {
  if (p + 2 > limit) throw codecError('TRUNCATED', 'esds: descriptor header past the end');
  const tag = b[p++]!;
  let size = 0;
  for (let i = 0; i < 4; i++) {
    if (p >= limit) throw codecError('TRUNCATED', 'esds: descriptor size past the end');
    const c = b[p++]!;
    size = size * 128 + (c & 0x7f);
    if ((c & 0x80) === 0) break;
    if (i === 3) throw codecError('INVALID', 'esds: descriptor size longer than 4 bytes');
  }
  if (p + size > limit) throw codecError('TRUNCATED', `esds: descriptor 0x${tag.toString(16)} of ${size} bytes past the end`);
  return { tag, start: p, end: p + size };
}

/**
 * 'mp4a.40.2' (AAC-LC), 'mp4a.40.5' (HE-AAC), 'mp4a.40.29' (HE-AACv2),
 * 'mp4a.6B' (MP3) … from the esds payload (starting at version/flags;
 * a whole box with its 8-byte header is accepted too).
 */
export function aacCodecString(esds: Uint8Array): string {
  let p = 0;
  if (esds.length >= 8 && esds[4] === 0x65 && esds[5] === 0x73 && esds[6] === 0x64 && esds[7] === 0x73) p = 8; // 'esds'
  p += 4; // FullBox version + flags
  const es = readDescriptor(esds, p, esds.length);
  if (es.tag !== TAG_ES) throw codecError('INVALID', `esds: expected ES_Descriptor (tag 3), got tag ${es.tag}`);
  p = es.start + 2; // ES_ID
  if (p >= es.end) throw codecError('TRUNCATED', 'esds: ES_Descriptor too short');
  const flags = esds[p++]!;
  if (flags & 0x80) p += 2; // dependsOn_ES_ID
  if (flags & 0x40) {
    if (p >= es.end) throw codecError('TRUNCATED', 'esds: URL past the end');
    p += 1 + esds[p]!; // URLlength + URLstring
  }
  if (flags & 0x20) p += 2; // OCR_ES_Id
  const dc = readDescriptor(esds, p, es.end);
  if (dc.tag !== TAG_DECODER_CONFIG) throw codecError('INVALID', `esds: expected DecoderConfigDescriptor (tag 4), got tag ${dc.tag}`);
  if (dc.end - dc.start < 13) throw codecError('TRUNCATED', 'esds: DecoderConfigDescriptor too short');
  const oti = esds[dc.start]!;
  const otiHex = oti.toString(16).toUpperCase().padStart(2, '0');
  if (oti !== 0x40) return `mp4a.${otiHex}`;
  if (dc.end - dc.start === 13) return 'mp4a.40.2'; // no DecoderSpecificInfo: assume AAC-LC
  const dsi = readDescriptor(esds, dc.start + 13, dc.end);
  if (dsi.tag !== TAG_DECODER_SPECIFIC || dsi.end - dsi.start < 1) return 'mp4a.40.2';
  // AudioSpecificConfig: audioObjectType 5 bits; 31 escapes to 32 + 6 bits
  let aot = esds[dsi.start]! >> 3;
  if (aot === 31) {
    if (dsi.end - dsi.start < 2) throw codecError('TRUNCATED', 'esds: AudioSpecificConfig too short');
    aot = 32 + (((esds[dsi.start]! & 7) << 3) | (esds[dsi.start + 1]! >> 5));
  }
  return `mp4a.40.${aot}`;
}
