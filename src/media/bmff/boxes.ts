/**
 * The box table: one description per box type, each citing its clause.
 * ISO/IEC 14496-12 (ISOBMFF) unless noted; CENC boxes from ISO/IEC 23001-7.
 *
 * A type not in this table is carried through untouched (its payload kept
 * as `raw`). `pssh` is deliberately a raw leaf: its codec lives in
 * src/drm/pssh-box.ts.
 */
import type { Box, Field } from './fields.js';

export interface BoxSpec {
  /** FullBox: version (u8) and flags (u24) precede the fields. */
  full?: boolean;
  fields: Field[];
}

const v1 = (b: Box): boolean => b.version === 1;
const flag = (mask: number) => (b: Box): boolean => ((b.flags ?? 0) & mask) !== 0;
const CHILDREN: Field[] = [{ kind: 'children' }];
const container: BoxSpec = { fields: CHILDREN };

/** §8.12.4 / QuickTime: the fields every sample entry starts with (§8.5.2.2). */
const SAMPLE_ENTRY: Field[] = [
  { kind: 'bytes', name: 'reserved0', length: 6 },
  { kind: 'u16', name: 'dataReferenceIndex' },
];

/** §12.1.3 VisualSampleEntry. */
const visualSampleEntry: BoxSpec = {
  fields: [
    ...SAMPLE_ENTRY,
    { kind: 'bytes', name: 'predefined1', length: 16 },
    { kind: 'u16', name: 'width' },
    { kind: 'u16', name: 'height' },
    { kind: 'u32', name: 'horizresolution' },
    { kind: 'u32', name: 'vertresolution' },
    { kind: 'u32', name: 'reserved1' },
    { kind: 'u16', name: 'frameCount' },
    { kind: 'bytes', name: 'compressorname', length: 32 },
    { kind: 'u16', name: 'depth' },
    { kind: 'i16', name: 'predefined2' },
    { kind: 'children' },
  ],
};

/** §12.2.3 AudioSampleEntry (with the QuickTime sound-description v1/v2 extensions some muxers write). */
const audioSampleEntry: BoxSpec = {
  fields: [
    ...SAMPLE_ENTRY,
    { kind: 'u16', name: 'soundVersion' },
    { kind: 'bytes', name: 'reserved1', length: 6 },
    { kind: 'u16', name: 'channelCount' },
    { kind: 'u16', name: 'sampleSize' },
    { kind: 'u16', name: 'predefined' },
    { kind: 'u16', name: 'reserved2' },
    { kind: 'u32', name: 'sampleRate' },
    { kind: 'bytes', name: 'qtExtension', length: (b) => (b.soundVersion === 1 ? 16 : b.soundVersion === 2 ? 36 : 0) },
    { kind: 'children' },
  ],
};

export const BOX_TABLE: Record<string, BoxSpec> = {
  // §4.3 File type, §8.16.2 segment type.
  ftyp: { fields: [{ kind: 'fourcc', name: 'majorBrand' }, { kind: 'u32', name: 'minorVersion' }, { kind: 'array', name: 'compatibleBrands', count: 'rest', minEntrySize: 4, fields: [{ kind: 'fourcc', name: 'brand' }] }] },
  styp: { fields: [{ kind: 'fourcc', name: 'majorBrand' }, { kind: 'u32', name: 'minorVersion' }, { kind: 'array', name: 'compatibleBrands', count: 'rest', minEntrySize: 4, fields: [{ kind: 'fourcc', name: 'brand' }] }] },
  // Containers (§8.2.1 moov, §8.3.1 trak, §8.4.1 mdia, §8.4.4 minf, §8.5.1 stbl, §8.7.1 dinf, §8.6.5 edts, §8.8.1 mvex, §8.8.4 moof, §8.8.6 traf, §8.12.1 sinf, §8.12.6 schi, §8.10.1 udta).
  moov: container, trak: container, mdia: container, minf: container, stbl: container, dinf: container,
  edts: container, mvex: container, moof: container, traf: container, sinf: container, schi: container,
  mfra: container,
  // §8.2.2 Movie header.
  mvhd: {
    full: true,
    fields: [
      { kind: 'u32', v1: 'u64', name: 'creationTime' },
      { kind: 'u32', v1: 'u64', name: 'modificationTime' },
      { kind: 'u32', name: 'timescale' },
      { kind: 'u32', v1: 'u64', name: 'duration' },
      { kind: 'i32', name: 'rate' },
      { kind: 'i16', name: 'volume' },
      { kind: 'bytes', name: 'reserved', length: 10 },
      { kind: 'bytes', name: 'matrix', length: 36 },
      { kind: 'bytes', name: 'predefined', length: 24 },
      { kind: 'u32', name: 'nextTrackId' },
    ],
  },
  // §8.3.2 Track header.
  tkhd: {
    full: true,
    fields: [
      { kind: 'u32', v1: 'u64', name: 'creationTime' },
      { kind: 'u32', v1: 'u64', name: 'modificationTime' },
      { kind: 'u32', name: 'trackId' },
      { kind: 'u32', name: 'reserved1' },
      { kind: 'u32', v1: 'u64', name: 'duration' },
      { kind: 'bytes', name: 'reserved2', length: 8 },
      { kind: 'i16', name: 'layer' },
      { kind: 'i16', name: 'alternateGroup' },
      { kind: 'i16', name: 'volume' },
      { kind: 'u16', name: 'reserved3' },
      { kind: 'bytes', name: 'matrix', length: 36 },
      { kind: 'u32', name: 'width' },
      { kind: 'u32', name: 'height' },
    ],
  },
  // §8.4.2 Media header.
  mdhd: {
    full: true,
    fields: [
      { kind: 'u32', v1: 'u64', name: 'creationTime' },
      { kind: 'u32', v1: 'u64', name: 'modificationTime' },
      { kind: 'u32', name: 'timescale' },
      { kind: 'u32', v1: 'u64', name: 'duration' },
      { kind: 'u16', name: 'language' },
      { kind: 'u16', name: 'predefined' },
    ],
  },
  // §8.4.3 Handler reference.
  hdlr: {
    full: true,
    fields: [
      { kind: 'u32', name: 'predefined' },
      { kind: 'fourcc', name: 'handlerType' },
      { kind: 'bytes', name: 'reserved', length: 12 },
      { kind: 'bytes', name: 'name', length: 'rest' },
    ],
  },
  // §12.1.2 / §12.2.2 media headers.
  vmhd: { full: true, fields: [{ kind: 'u16', name: 'graphicsMode' }, { kind: 'bytes', name: 'opcolor', length: 6 }] },
  smhd: { full: true, fields: [{ kind: 'i16', name: 'balance' }, { kind: 'u16', name: 'reserved' }] },
  // §8.7.2 Data reference.
  dref: { full: true, fields: [{ kind: 'u32', name: 'entryCount', countOf: 'children' }, { kind: 'children' }] },
  'url ': { full: true, fields: [{ kind: 'bytes', name: 'location', length: 'rest' }] },
  // §8.6.6 Edit list.
  elst: {
    full: true,
    fields: [
      { kind: 'u32', name: 'entryCount', countOf: 'entries' },
      {
        kind: 'array', name: 'entries', count: 'entryCount', minEntrySize: 12,
        fields: [
          { kind: 'u32', v1: 'u64', name: 'segmentDuration' },
          { kind: 'i32', v1: 'i64', name: 'mediaTime' },
          { kind: 'i16', name: 'mediaRateInteger' },
          { kind: 'i16', name: 'mediaRateFraction' },
        ],
      },
    ],
  },
  // §8.5.2 Sample description.
  stsd: { full: true, fields: [{ kind: 'u32', name: 'entryCount', countOf: 'children' }, { kind: 'children' }] },
  avc1: visualSampleEntry, avc3: visualSampleEntry, hvc1: visualSampleEntry, hev1: visualSampleEntry, encv: visualSampleEntry,
  mp4a: audioSampleEntry, 'ac-3': audioSampleEntry, 'ec-3': audioSampleEntry, enca: audioSampleEntry,
  // §8.6.1.2 Decoding time to sample.
  stts: {
    full: true,
    fields: [
      { kind: 'u32', name: 'entryCount', countOf: 'entries' },
      { kind: 'array', name: 'entries', count: 'entryCount', minEntrySize: 8, fields: [{ kind: 'u32', name: 'sampleCount' }, { kind: 'u32', name: 'sampleDelta' }] },
    ],
  },
  // §8.6.1.3 Composition time to sample (v1: signed offsets).
  ctts: {
    full: true,
    fields: [
      { kind: 'u32', name: 'entryCount', countOf: 'entries' },
      { kind: 'array', name: 'entries', count: 'entryCount', minEntrySize: 8, fields: [{ kind: 'u32', name: 'sampleCount' }, { kind: 'u32', v1: 'i32', name: 'sampleOffset' }] },
    ],
  },
  // §8.7.4 Sample to chunk.
  stsc: {
    full: true,
    fields: [
      { kind: 'u32', name: 'entryCount', countOf: 'entries' },
      {
        kind: 'array', name: 'entries', count: 'entryCount', minEntrySize: 12,
        fields: [{ kind: 'u32', name: 'firstChunk' }, { kind: 'u32', name: 'samplesPerChunk' }, { kind: 'u32', name: 'sampleDescriptionIndex' }],
      },
    ],
  },
  // §8.7.3.2 Sample size (entries only when sampleSize is 0).
  stsz: {
    full: true,
    fields: [
      { kind: 'u32', name: 'sampleSize' },
      { kind: 'u32', name: 'sampleCount' },
      { kind: 'array', name: 'entries', count: 'sampleCount', minEntrySize: 4, when: (b) => b.sampleSize === 0, fields: [{ kind: 'u32', name: 'size' }] },
    ],
  },
  // §8.7.3.3 Compact sample size: the packed 4/8/16-bit table is decoded by the demuxer.
  stz2: {
    full: true,
    fields: [{ kind: 'u24', name: 'reserved' }, { kind: 'u8', name: 'fieldSize' }, { kind: 'u32', name: 'sampleCount' }, { kind: 'bytes', name: 'packedSizes', length: 'rest' }],
  },
  // §8.7.5 Chunk offsets (32 and 64 bit).
  stco: {
    full: true,
    fields: [{ kind: 'u32', name: 'entryCount', countOf: 'entries' }, { kind: 'array', name: 'entries', count: 'entryCount', minEntrySize: 4, fields: [{ kind: 'u32', name: 'offset' }] }],
  },
  co64: {
    full: true,
    fields: [{ kind: 'u32', name: 'entryCount', countOf: 'entries' }, { kind: 'array', name: 'entries', count: 'entryCount', minEntrySize: 8, fields: [{ kind: 'u64', name: 'offset' }] }],
  },
  // §8.6.2 Sync sample.
  stss: {
    full: true,
    fields: [{ kind: 'u32', name: 'entryCount', countOf: 'entries' }, { kind: 'array', name: 'entries', count: 'entryCount', minEntrySize: 4, fields: [{ kind: 'u32', name: 'sampleNumber' }] }],
  },
  // §8.8.2 Movie extends header, §8.8.3 track extends.
  mehd: { full: true, fields: [{ kind: 'u32', v1: 'u64', name: 'fragmentDuration' }] },
  trex: {
    full: true,
    fields: [
      { kind: 'u32', name: 'trackId' },
      { kind: 'u32', name: 'defaultSampleDescriptionIndex' },
      { kind: 'u32', name: 'defaultSampleDuration' },
      { kind: 'u32', name: 'defaultSampleSize' },
      { kind: 'u32', name: 'defaultSampleFlags' },
    ],
  },
  // §8.8.5 Movie fragment header.
  mfhd: { full: true, fields: [{ kind: 'u32', name: 'sequenceNumber' }] },
  // §8.8.7 Track fragment header (optional fields by tf_flags).
  tfhd: {
    full: true,
    fields: [
      { kind: 'u32', name: 'trackId' },
      { kind: 'u64', name: 'baseDataOffset', when: flag(0x1) },
      { kind: 'u32', name: 'sampleDescriptionIndex', when: flag(0x2) },
      { kind: 'u32', name: 'defaultSampleDuration', when: flag(0x8) },
      { kind: 'u32', name: 'defaultSampleSize', when: flag(0x10) },
      { kind: 'u32', name: 'defaultSampleFlags', when: flag(0x20) },
    ],
  },
  // §8.8.12 Track fragment decode time.
  tfdt: { full: true, fields: [{ kind: 'u32', v1: 'u64', name: 'baseMediaDecodeTime' }] },
  // §8.8.8 Track fragment run (per-sample fields by tr_flags; v1: signed composition offsets).
  trun: {
    full: true,
    fields: [
      { kind: 'u32', name: 'sampleCount', countOf: 'samples' },
      { kind: 'i32', name: 'dataOffset', when: flag(0x1) },
      { kind: 'u32', name: 'firstSampleFlags', when: flag(0x4) },
      {
        kind: 'array', name: 'samples', count: 'sampleCount', minEntrySize: 0,
        fields: [
          { kind: 'u32', name: 'duration', when: flag(0x100) },
          { kind: 'u32', name: 'size', when: flag(0x200) },
          { kind: 'u32', name: 'flags', when: flag(0x400) },
          { kind: 'u32', v1: 'i32', name: 'compositionTimeOffset', when: flag(0x800) },
        ],
      },
    ],
  },
  // §8.12.2 Original format, §8.12.5 scheme type.
  frma: { fields: [{ kind: 'fourcc', name: 'dataFormat' }] },
  schm: {
    full: true,
    fields: [{ kind: 'fourcc', name: 'schemeType' }, { kind: 'u32', name: 'schemeVersion' }, { kind: 'bytes', name: 'schemeUri', length: 'rest', when: flag(0x1) }],
  },
  // ISO/IEC 23001-7 §8.2 Track encryption box (v1: crypt/skip nibbles in `pattern`).
  tenc: {
    full: true,
    fields: [
      { kind: 'u8', name: 'reserved' },
      { kind: 'u8', name: 'pattern' },
      { kind: 'u8', name: 'isProtected' },
      { kind: 'u8', name: 'perSampleIvSize' },
      { kind: 'bytes', name: 'kid', length: 16 },
      { kind: 'u8', name: 'constantIvSize', when: (b) => b.isProtected === 1 && b.perSampleIvSize === 0 },
      { kind: 'bytes', name: 'constantIv', length: (b) => b.constantIvSize as number, when: (b) => b.isProtected === 1 && b.perSampleIvSize === 0 },
    ],
  },
  // ISO/IEC 23001-7 §7.2 Sample encryption: the IV size comes from tenc (ParseContext.ivSize);
  // without it the payload stays opaque (`raw`) until the protect layer supplies it.
  senc: {
    full: true,
    fields: [
      { kind: 'u32', name: 'sampleCount', countOf: 'samples' },
      {
        kind: 'array', name: 'samples', count: 'sampleCount', minEntrySize: 0,
        fields: [
          { kind: 'bytes', name: 'iv', length: (_b, ctx, e) => (e.iv instanceof Buffer ? e.iv.length : ctx.ivSize) },
          { kind: 'u16', name: 'subsampleCount', countOf: 'subsamples', when: flag(0x2) },
          {
            kind: 'array', name: 'subsamples', count: 'subsampleCount', minEntrySize: 6, when: flag(0x2),
            fields: [{ kind: 'u16', name: 'clear' }, { kind: 'u32', name: 'encrypted' }],
          },
        ],
      },
    ],
  },
  // §8.7.8 Sample auxiliary information sizes.
  saiz: {
    full: true,
    fields: [
      { kind: 'fourcc', name: 'auxInfoType', when: flag(0x1) },
      { kind: 'u32', name: 'auxInfoTypeParameter', when: flag(0x1) },
      { kind: 'u8', name: 'defaultSampleInfoSize' },
      { kind: 'u32', name: 'sampleCount' },
      { kind: 'bytes', name: 'sampleInfoSizes', length: (b) => (b.defaultSampleInfoSize === 0 ? (b.sampleCount as number) : 0) },
    ],
  },
  // §8.7.9 Sample auxiliary information offsets.
  saio: {
    full: true,
    fields: [
      { kind: 'fourcc', name: 'auxInfoType', when: flag(0x1) },
      { kind: 'u32', name: 'auxInfoTypeParameter', when: flag(0x1) },
      { kind: 'u32', name: 'entryCount', countOf: 'offsets' },
      { kind: 'array', name: 'offsets', count: 'entryCount', minEntrySize: 4, fields: [{ kind: 'u32', v1: 'u64', name: 'offset' }] },
    ],
  },
  // §8.9.3 Sample group description (entries kept as bytes; seig is read by the protect layer).
  sgpd: {
    full: true,
    fields: [
      { kind: 'fourcc', name: 'groupingType' },
      { kind: 'u32', name: 'defaultLength', when: v1 },
      { kind: 'u32', name: 'defaultSampleDescriptionIndex', when: (b) => (b.version ?? 0) >= 2 }, // v2+: entry lengths depend on the grouping type, so the box stays opaque
      { kind: 'u32', name: 'entryCount', countOf: 'entries' },
      {
        kind: 'array', name: 'entries', count: 'entryCount', minEntrySize: 0,
        fields: [
          { kind: 'u32', name: 'descriptionLength', when: (b) => b.version === 1 && b.defaultLength === 0 },
          { kind: 'bytes', name: 'description', length: (b, _c, e) => (e.description instanceof Buffer ? e.description.length : b.version === 1 ? ((b.defaultLength as number) || (e.descriptionLength as number)) : undefined) },
        ],
      },
    ],
  },
  // §8.9.2 Sample to group.
  sbgp: {
    full: true,
    fields: [
      { kind: 'fourcc', name: 'groupingType' },
      { kind: 'u32', name: 'groupingTypeParameter', when: v1 },
      { kind: 'u32', name: 'entryCount', countOf: 'entries' },
      { kind: 'array', name: 'entries', count: 'entryCount', minEntrySize: 8, fields: [{ kind: 'u32', name: 'sampleCount' }, { kind: 'u32', name: 'groupDescriptionIndex' }] },
    ],
  },
  // §8.16.3 Segment index.
  sidx: {
    full: true,
    fields: [
      { kind: 'u32', name: 'referenceId' },
      { kind: 'u32', name: 'timescale' },
      { kind: 'u32', v1: 'u64', name: 'earliestPresentationTime' },
      { kind: 'u32', v1: 'u64', name: 'firstOffset' },
      { kind: 'u16', name: 'reserved' },
      { kind: 'u16', name: 'referenceCount', countOf: 'references' },
      {
        kind: 'array', name: 'references', count: 'referenceCount', minEntrySize: 12,
        fields: [{ kind: 'u32', name: 'referenceTypeAndSize' }, { kind: 'u32', name: 'subsegmentDuration' }, { kind: 'u32', name: 'sapFlags' }],
      },
    ],
  },
  // §8.1.1 Media data: header only here; payload is streamed by range, never parsed.
  mdat: { fields: [{ kind: 'bytes', name: 'data', length: 'rest' }] },
};

/** Boxes whose payload is streamed, never loaded whole. */
export const STREAMED_BOXES: ReadonlySet<string> = new Set(['mdat', 'free', 'skip', 'wide']);
