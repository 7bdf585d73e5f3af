/**
 * Every box description round-trips: build → write → parse → write gives
 * the same bytes, and every box of real ffmpeg-made files re-serializes
 * byte-exact from its parsed fields.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BOX_TABLE, parseBoxAt, parseBoxes, walk, writeBox, type Box } from '../../../src/media/bmff/index.js';
import { mediaFixture } from '../../fixtures/media.js';

const z = (n: number) => Buffer.alloc(n);
const kid = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
const visual = { dataReferenceIndex: 1, reserved0: z(6), predefined1: z(16), width: 320, height: 240, horizresolution: 0x480000, vertresolution: 0x480000, reserved1: 0, frameCount: 1, compressorname: z(32), depth: 24, predefined2: -1, children: [{ type: 'avcC', raw: Buffer.from('0164001effe1', 'hex') }] };
const audio = { dataReferenceIndex: 1, reserved0: z(6), soundVersion: 0, reserved1: z(6), channelCount: 2, sampleSize: 16, predefined: 0, reserved2: 0, sampleRate: 48000 * 65536, qtExtension: z(0), children: [{ type: 'esds', raw: Buffer.from('0000000003', 'hex') }] };

/** One instance per box type in the table (each exercising its version/flag-dependent fields). */
const SAMPLES: Box[] = [
  { type: 'ftyp', majorBrand: 'iso6', minorVersion: 0, compatibleBrands: ['iso6', 'cmfc', 'mp41'] },
  { type: 'styp', majorBrand: 'msdh', minorVersion: 0, compatibleBrands: ['msdh', 'msix'] },
  { type: 'moov', children: [{ type: 'free', raw: z(3) }] },
  ...['trak', 'mdia', 'minf', 'stbl', 'dinf', 'edts', 'mvex', 'moof', 'traf', 'sinf', 'schi', 'mfra'].map((type) => ({ type, children: [] })),
  { type: 'mvhd', version: 1, flags: 0, creationTime: 2 ** 40, modificationTime: 1, timescale: 1000, duration: 2 ** 33, rate: 0x10000, volume: 0x100, reserved: z(10), matrix: z(36), predefined: z(24), nextTrackId: 3 },
  { type: 'mvhd', version: 0, flags: 0, creationTime: 5, modificationTime: 6, timescale: 1000, duration: 4000, rate: 0x10000, volume: 0x100, reserved: z(10), matrix: z(36), predefined: z(24), nextTrackId: 3 },
  { type: 'tkhd', version: 0, flags: 3, creationTime: 0, modificationTime: 0, trackId: 1, reserved1: 0, duration: 4000, reserved2: z(8), layer: 0, alternateGroup: 0, volume: 0, reserved3: 0, matrix: z(36), width: 320 << 16, height: 240 << 16 },
  { type: 'mdhd', version: 1, flags: 0, creationTime: 0, modificationTime: 0, timescale: 12800, duration: 51200, language: 0x55c4, predefined: 0 },
  { type: 'hdlr', version: 0, flags: 0, predefined: 0, handlerType: 'vide', reserved: z(12), name: Buffer.from('VideoHandler\0') },
  { type: 'vmhd', version: 0, flags: 1, graphicsMode: 0, opcolor: z(6) },
  { type: 'smhd', version: 0, flags: 0, balance: -1, reserved: 0 },
  { type: 'dref', version: 0, flags: 0, children: [{ type: 'url ', version: 0, flags: 1, location: z(0) }] },
  { type: 'url ', version: 0, flags: 0, location: Buffer.from('http://x\0') },
  { type: 'elst', version: 1, flags: 0, entries: [{ segmentDuration: 2 ** 33, mediaTime: -1, mediaRateInteger: 1, mediaRateFraction: 0 }, { segmentDuration: 4000, mediaTime: 1024, mediaRateInteger: 1, mediaRateFraction: 0 }] },
  { type: 'stsd', version: 0, flags: 0, children: [{ type: 'avc1', ...visual }] },
  ...['avc1', 'avc3', 'hvc1', 'hev1', 'encv'].map((type) => ({ type, ...visual })),
  ...['mp4a', 'ac-3', 'ec-3', 'enca'].map((type) => ({ type, ...audio })),
  { type: 'mp4a', ...audio, soundVersion: 1, qtExtension: Buffer.alloc(16, 7) },
  { type: 'stts', version: 0, flags: 0, entries: [{ sampleCount: 100, sampleDelta: 512 }] },
  { type: 'ctts', version: 1, flags: 0, entries: [{ sampleCount: 1, sampleOffset: -512 }, { sampleCount: 2, sampleOffset: 1024 }] },
  { type: 'stsc', version: 0, flags: 0, entries: [{ firstChunk: 1, samplesPerChunk: 5, sampleDescriptionIndex: 1 }] },
  { type: 'stsz', version: 0, flags: 0, sampleSize: 0, sampleCount: 3, entries: [{ size: 10 }, { size: 20 }, { size: 30 }] },
  { type: 'stsz', version: 0, flags: 0, sampleSize: 512, sampleCount: 3 },
  { type: 'stz2', version: 0, flags: 0, reserved: 0, fieldSize: 8, sampleCount: 3, packedSizes: Buffer.from([1, 2, 3]) },
  { type: 'stco', version: 0, flags: 0, entries: [{ offset: 48 }, { offset: 4000 }] },
  { type: 'co64', version: 0, flags: 0, entries: [{ offset: 2 ** 40 }] },
  { type: 'stss', version: 0, flags: 0, entries: [{ sampleNumber: 1 }, { sampleNumber: 26 }] },
  { type: 'mehd', version: 1, flags: 0, fragmentDuration: 2 ** 35 },
  { type: 'trex', version: 0, flags: 0, trackId: 1, defaultSampleDescriptionIndex: 1, defaultSampleDuration: 512, defaultSampleSize: 0, defaultSampleFlags: 0x10000 },
  { type: 'mfhd', version: 0, flags: 0, sequenceNumber: 7 },
  { type: 'tfhd', version: 0, flags: 0x02003b, trackId: 1, baseDataOffset: 2 ** 34, sampleDescriptionIndex: 1, defaultSampleDuration: 512, defaultSampleSize: 100, defaultSampleFlags: 0x1010000 },
  { type: 'tfhd', version: 0, flags: 0x020000, trackId: 2 },
  { type: 'tfdt', version: 1, flags: 0, baseMediaDecodeTime: 2 ** 36 },
  { type: 'trun', version: 1, flags: 0xf05, dataOffset: 120, firstSampleFlags: 0x2000000, samples: [{ duration: 512, size: 99, flags: 0, compositionTimeOffset: -512 }] },
  { type: 'trun', version: 0, flags: 0x201, dataOffset: 8, samples: [{ size: 3 }, { size: 4 }] },
  { type: 'frma', dataFormat: 'avc1' },
  { type: 'schm', version: 0, flags: 0, schemeType: 'cbcs', schemeVersion: 0x10000 },
  { type: 'schm', version: 0, flags: 1, schemeType: 'cenc', schemeVersion: 0x10000, schemeUri: Buffer.from('urn:x\0') },
  { type: 'tenc', version: 0, flags: 0, reserved: 0, pattern: 0, isProtected: 1, perSampleIvSize: 8, kid },
  { type: 'tenc', version: 1, flags: 0, reserved: 0, pattern: 0x19, isProtected: 1, perSampleIvSize: 0, kid, constantIvSize: 16, constantIv: Buffer.alloc(16, 0xab) },
  { type: 'senc', version: 0, flags: 2, samples: [{ iv: Buffer.alloc(8, 1), subsamples: [{ clear: 5, encrypted: 1024 }, { clear: 70000 & 0xffff, encrypted: 0 }] }] },
  { type: 'senc', version: 0, flags: 0, samples: [{ iv: Buffer.alloc(16, 1) }, { iv: Buffer.alloc(16, 2) }] },
  { type: 'saiz', version: 0, flags: 0, defaultSampleInfoSize: 0, sampleCount: 2, sampleInfoSizes: Buffer.from([16, 22]) },
  { type: 'saiz', version: 0, flags: 1, auxInfoType: 'cenc', auxInfoTypeParameter: 0, defaultSampleInfoSize: 8, sampleCount: 9, sampleInfoSizes: z(0) },
  { type: 'saio', version: 0, flags: 0, offsets: [{ offset: 100 }] },
  { type: 'saio', version: 1, flags: 1, auxInfoType: 'cenc', auxInfoTypeParameter: 0, offsets: [{ offset: 2 ** 34 }] },
  { type: 'sgpd', version: 1, flags: 0, groupingType: 'seig', defaultLength: 20, entries: [{ description: Buffer.alloc(20, 3) }] },
  { type: 'sgpd', version: 1, flags: 0, groupingType: 'roll', defaultLength: 0, entries: [{ descriptionLength: 2, description: Buffer.from([0xff, 0xff]) }] },
  { type: 'sbgp', version: 0, flags: 0, groupingType: 'seig', entries: [{ sampleCount: 25, groupDescriptionIndex: 65537 }] },
  { type: 'sidx', version: 1, flags: 0, referenceId: 1, timescale: 12800, earliestPresentationTime: 0, firstOffset: 0, reserved: 0, references: [{ referenceTypeAndSize: 5000, subsegmentDuration: 25600, sapFlags: 0x90000000 }] },
  { type: 'mdat', data: Buffer.from('payload') },
];

test('every described box type has a round-trip sample', () => {
  const covered = new Set(SAMPLES.map((b) => b.type));
  for (const type of Object.keys(BOX_TABLE)) assert.ok(covered.has(type), `no round-trip sample for ${type}`);
});

for (const box of SAMPLES) {
  test(`${box.type} v${box.version ?? '-'} flags ${box.flags ?? '-'} round-trips`, () => {
    const bytes = writeBox(box);
    const parsed = parseBoxAt(bytes, 0, bytes.length, 0, '', { ivSize: box.type === 'senc' ? (box.samples[0].iv as Buffer).length : undefined });
    assert.equal(parsed.size, bytes.length);
    assert.deepEqual(writeBox(parsed), bytes);
    for (const [k, v] of Object.entries(box)) {
      if (k === 'children' || v instanceof Buffer) continue;
      if (typeof v === 'number' || typeof v === 'string') assert.equal(parsed[k], v, k);
    }
  });
}

test('unknown boxes and uuid boxes are carried through untouched', () => {
  const uuid = { type: 'uuid', usertype: Buffer.alloc(16, 0xa5), raw: Buffer.from('opaque') };
  const odd = { type: 'zzzz', raw: Buffer.from([1, 2, 3]) };
  const bytes = Buffer.concat([writeBox(uuid), writeBox(odd)]);
  const [a, b] = parseBoxes(bytes);
  assert.deepEqual(a!.usertype, uuid.usertype);
  assert.deepEqual(b!.raw, odd.raw);
  assert.deepEqual(Buffer.concat([writeBox(a!), writeBox(b!)]), bytes);
});

test('senc stays opaque until the IV size is known, then parses', () => {
  const senc = { type: 'senc', version: 0, flags: 0, samples: [{ iv: Buffer.alloc(8, 9) }] };
  const bytes = writeBox(senc);
  const opaque = parseBoxAt(bytes, 0, bytes.length, 0, '');
  assert.ok(opaque.raw);
  assert.deepEqual(writeBox(opaque), bytes);
  const known = parseBoxAt(bytes, 0, bytes.length, 0, '', { ivSize: 8 });
  assert.deepEqual(known.samples[0].iv, Buffer.alloc(8, 9));
});

test('largesize (size 1) and size 0 (to end of file) headers', () => {
  const large = Buffer.concat([Buffer.from('00000001', 'hex'), Buffer.from('free'), Buffer.from('0000000000000013', 'hex'), Buffer.from('abc')]);
  const [b] = parseBoxes(large);
  assert.equal(b!.size, 19);
  assert.equal(b!.headerSize, 16);
  const toEnd = Buffer.concat([Buffer.from('00000000', 'hex'), Buffer.from('mdat'), Buffer.alloc(100)]);
  const [m] = parseBoxes(toEnd);
  assert.equal(m!.size, 108);
});

for (const name of ['h264-aac', 'h264-aac-frag', 'hevc'] as const) {
  test(`every box of ffmpeg's ${name} re-serializes byte-exact`, () => {
    const buf = readFileSync(mediaFixture(name));
    const boxes = parseBoxes(buf);
    for (const { box, path } of walk(boxes)) {
      assert.deepEqual(writeBox(box), buf.subarray(box.offset!, box.offset! + box.size!), path);
    }
  });
}
