/**
 * Sample encryption known-answer tests. Expected outputs are computed here
 * independently with one-shot AES (aesCtr / aesCbcEncrypt over the protected
 * bytes, picked by hand), never with src/crypto/pattern.ts.
 *
 * The H.264 parameter sets and slice header bytes are from an x264 stream
 * (ffmpeg 5.1 libx264, testsrc2 320x240, -profile:v high -bf 0).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aesCbcEncrypt, aesCtr } from '../../src/crypto/aes.js';
import { ContentKey } from '../../src/crypto/values.js';
import { seededRandom } from '../../src/crypto/random.js';
import { audioCodecConfig, listNalUnits, parseAvcDecoderConfig, videoSubsampleLayout } from '../../src/media/codecs/index.js';
import { createSampleEncryptor, decryptSample, SCHEMES, trackCryptoFor, type SchemeName, type Subsample, type TrackCrypto } from '../../src/protect/sample-crypto.js';
import { lengthPrefixed, makeAvcC } from '../helpers/annexb.js';

const hex = (s: string) => Buffer.from(s, 'hex');
export const X264_SPS = hex('6764000dacb20283f60220000003002000000641e28549');
export const X264_PPS = hex('68ebc3cb22c0');
const IDR_HEAD = hex('65888419ffccff9e95b1e0dcbe9e89f487aab0c947cbc22d');
const P_HEAD = hex('419a3b11dfc6f067e3783ff03ac2e002234510d5bf2afc9a');

const rnd = seededRandom('sample-crypto tests');
const key = new ContentKey(rnd.bytes(16));
const avc = parseAvcDecoderConfig(makeAvcC([X264_SPS], [X264_PPS]));
const aac = audioCodecConfig('mp4a');

function slice(head: Buffer, size: number): Buffer {
  return Buffer.concat([head, rnd.bytes(size - head.length)]);
}

/** AUD, SEI, IDR slice of 700 bytes, P slice of 333 bytes (odd sizes on purpose). */
function videoSample(): Buffer {
  return lengthPrefixed([hex('09f0'), Buffer.concat([hex('06'), rnd.bytes(29)]), slice(IDR_HEAD, 700), slice(P_HEAD, 333)]);
}

function ranges(subs: readonly Subsample[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let p = 0;
  for (const s of subs) {
    p += s.clear;
    if (s.encrypted) out.push([p, p + s.encrypted]);
    p += s.encrypted;
  }
  return out;
}

function sum(subs: readonly Subsample[]): number {
  return subs.reduce((n, s) => n + s.clear + s.encrypted, 0);
}

test('SCHEMES has one complete row per scheme', () => {
  assert.deepEqual(Object.keys(SCHEMES).sort(), ['cbc1', 'cbcs', 'cenc', 'cens']);
  assert.equal(SCHEMES.cenc.cipher, 'ctr');
  assert.equal(SCHEMES.cenc.defaultIvSize, 8);
  assert.equal(SCHEMES.cbcs.constantIv, true);
  assert.deepEqual(SCHEMES.cbcs.videoPattern, { crypt: 1, skip: 9 });
  assert.equal(SCHEMES.cbcs.protectedMultipleOf16, false);
  assert.equal(SCHEMES.cbcs.tencVersion, 1);
  assert.equal(SCHEMES.cbc1.cbcChainAcrossSubsamples, true);
  assert.equal(SCHEMES.cbcs.cbcChainAcrossSubsamples, false);
});

test('trackCryptoFor fills IV sizes, constant IVs and patterns from the row', () => {
  const cenc = trackCryptoFor('cenc', avc, key, { random: seededRandom('x') });
  assert.equal(cenc.ivSize, 8);
  assert.equal(cenc.pattern, undefined);
  assert.equal(cenc.firstIv?.length, 8);
  const cenc16 = trackCryptoFor('cenc', avc, key, { iv: rnd.bytes(16) });
  assert.equal(cenc16.ivSize, 16);
  const cbcs = trackCryptoFor('cbcs', avc, key, { iv: rnd.bytes(16) });
  assert.equal(cbcs.ivSize, 0);
  assert.equal(cbcs.constantIv?.length, 16);
  assert.deepEqual(cbcs.pattern, { crypt: 1, skip: 9 });
  assert.deepEqual(trackCryptoFor('cbcs', aac, key).pattern, { crypt: 0, skip: 0 });
  assert.throws(() => trackCryptoFor('cbcs', avc, key, { iv: rnd.bytes(8) }), { code: 'ERR_CENC_IV' });
  assert.throws(() => trackCryptoFor('cenc', avc, key, { iv: rnd.bytes(12) }), { code: 'ERR_CENC_IV' });
  assert.throws(() => trackCryptoFor('xyz' as SchemeName, avc, key), { code: 'ERR_CENC_SCHEME' });
});

test('cenc video layout: prefixes, NAL headers, slice headers and non-VCL NALs clear; protected a multiple of 16', () => {
  const sample = videoSample();
  const subs = videoSubsampleLayout(avc, sample, { sliceHeaderClear: true, protectedMultipleOf16: true });
  assert.equal(sum(subs), sample.length);
  const units = listNalUnits(avc, sample);
  const [aud, sei, idr, p] = units;
  assert.equal(subs.length, 2);
  for (const s of subs) assert.equal(s.encrypted % 16, 0);
  const idrClear = 4 + 1 + idr!.sliceHeaderSize;
  const idrProt = 700 - 1 - idr!.sliceHeaderSize;
  assert.equal(subs[0]!.clear, 4 + aud!.size + 4 + sei!.size + idrClear + (idrProt % 16));
  assert.equal(subs[0]!.encrypted, idrProt - (idrProt % 16));
  const pProt = 333 - 1 - p!.sliceHeaderSize;
  assert.equal(subs[1]!.encrypted, pProt - (pProt % 16));
  assert.ok(idr!.sliceHeaderSize > 0 && idr!.sliceHeaderSize < 10);
});

test('cenc: known answer (AES-CTR over the concatenated protected bytes, IV ‖ 0), in place, then decrypt', () => {
  const iv = hex('a1a2a3a4a5a6a7a8');
  const track = trackCryptoFor('cenc', avc, key, { iv });
  const plain = videoSample();
  const sample = Buffer.from(plain);
  const enc = createSampleEncryptor(track).encrypt(sample);
  assert.deepEqual(enc.iv, iv);
  const r = ranges(enc.subsamples);
  const ct = aesCtr(key, Buffer.concat([iv, Buffer.alloc(8)]), Buffer.concat(r.map(([s, e]) => plain.subarray(s, e))));
  const expected = Buffer.from(plain);
  let o = 0;
  for (const [s, e] of r) o += ct.copy(expected, s, o, o + (e - s));
  assert.deepEqual(sample, expected);
  decryptSample(track, sample, enc);
  assert.deepEqual(sample, plain);
});

test('cenc IVs: 8-byte IVs increment by one per sample and wrap at 2^64', () => {
  const track = trackCryptoFor('cenc', avc, key, { iv: hex('fffffffffffffffe') });
  const e = createSampleEncryptor(track);
  const ivs = [0, 1, 2].map(() => e.encrypt(videoSample()).iv.toString('hex'));
  assert.deepEqual(ivs, ['fffffffffffffffe', 'ffffffffffffffff', '0000000000000000']);
});

test('cenc IVs: 16-byte IVs advance by the blocks the previous sample used', () => {
  const first = hex('00112233445566770000000000000100');
  const track = trackCryptoFor('cenc', aac, key, { iv: first });
  const e = createSampleEncryptor(track);
  const a = e.encrypt(rnd.bytes(100)); // 7 blocks (the last one partial)
  const b = e.encrypt(rnd.bytes(32)); // 2 blocks
  const c = e.encrypt(rnd.bytes(1));
  assert.equal(a.iv.toString('hex'), '00112233445566770000000000000100');
  assert.equal(b.iv.toString('hex'), '00112233445566770000000000000107');
  assert.equal(c.iv.toString('hex'), '00112233445566770000000000000109');
});

test('cbcs video: known answer (CBC from the constant IV per subsample, blocks 0, 10, 20 … of each range)', () => {
  const iv = rnd.bytes(16);
  const track = trackCryptoFor('cbcs', avc, key, { iv });
  const plain = videoSample();
  const sample = Buffer.from(plain);
  const enc = createSampleEncryptor(track).encrypt(sample);
  assert.equal(enc.iv.length, 0);
  assert.equal(sum(enc.subsamples), plain.length);
  const expected = Buffer.from(plain);
  for (const [s, e] of ranges(enc.subsamples)) {
    const blocks: number[] = [];
    for (let b = s; b + 16 <= e; b += 160) blocks.push(b);
    const ct = aesCbcEncrypt(key, iv, Buffer.concat(blocks.map((b) => plain.subarray(b, b + 16))), { padding: false });
    blocks.forEach((b, i) => ct.copy(expected, b, i * 16, i * 16 + 16));
  }
  assert.deepEqual(sample, expected);
  // the protected ranges start right after the slice headers (no 16-byte trimming in cbcs)
  const units = listNalUnits(avc, plain);
  const r = ranges(enc.subsamples);
  assert.equal(r[0]![0], units[2]!.offset + 1 + units[2]!.sliceHeaderSize);
  assert.equal(r[0]![1], units[2]!.offset + units[2]!.size);
  decryptSample(track, sample, enc);
  assert.deepEqual(sample, plain);
});

test('cbcs audio: every whole block from the constant IV, trailing partial block clear, no subsamples', () => {
  const iv = rnd.bytes(16);
  const track = trackCryptoFor('cbcs', aac, key, { iv });
  const plain = rnd.bytes(16 * 20 + 11);
  const sample = Buffer.from(plain);
  const enc = createSampleEncryptor(track).encrypt(sample);
  assert.deepEqual(enc.subsamples, []);
  assert.equal(enc.iv.length, 0);
  const expected = Buffer.concat([aesCbcEncrypt(key, iv, plain.subarray(0, 320), { padding: false }), plain.subarray(320)]);
  assert.deepEqual(sample, expected);
  decryptSample(track, sample, enc);
  assert.deepEqual(sample, plain);
});

test('cenc audio: the whole sample, partial block included', () => {
  const iv = rnd.bytes(8);
  const track = trackCryptoFor('cenc', aac, key, { iv });
  const plain = rnd.bytes(77);
  const sample = Buffer.from(plain);
  createSampleEncryptor(track).encrypt(sample);
  assert.deepEqual(sample, aesCtr(key, Buffer.concat([iv, Buffer.alloc(8)]), plain));
});

test('clear runs over 65535 bytes split into (65535, 0) entries', () => {
  const bigSei = Buffer.concat([hex('06'), rnd.bytes(70000)]);
  const sample = lengthPrefixed([bigSei, slice(IDR_HEAD, 500)]);
  for (const scheme of ['cenc', 'cbcs'] as const) {
    const track = trackCryptoFor(scheme, avc, key);
    const enc = createSampleEncryptor(track).encrypt(Buffer.from(sample));
    assert.equal(enc.subsamples[0]!.clear, 65535);
    assert.equal(enc.subsamples[0]!.encrypted, 0);
    assert.equal(enc.subsamples.length, 2);
    assert.ok(enc.subsamples[1]!.clear < 65535 && enc.subsamples[1]!.encrypted > 0);
    assert.equal(sum(enc.subsamples), sample.length);
  }
  // a sample that is all clear (no slices) is one or more clear-only entries
  const clearOnly = lengthPrefixed([bigSei, bigSei]);
  const subs = videoSubsampleLayout(avc, clearOnly, { sliceHeaderClear: true, protectedMultipleOf16: true });
  assert.deepEqual(subs.map((s) => s.encrypted), [0, 0, 0]);
  assert.equal(sum(subs), clearOnly.length);
});

test('cbc1: one CBC chain across the subsamples of a sample (known answer)', () => {
  const iv = rnd.bytes(16);
  const track = trackCryptoFor('cbc1', avc, key, { iv });
  const plain = videoSample();
  const sample = Buffer.from(plain);
  const enc = createSampleEncryptor(track).encrypt(sample);
  const r = ranges(enc.subsamples);
  assert.equal(r.length, 2);
  const ct = aesCbcEncrypt(key, iv, Buffer.concat(r.map(([s, e]) => plain.subarray(s, e))), { padding: false });
  const expected = Buffer.from(plain);
  let o = 0;
  for (const [s, e] of r) o += ct.copy(expected, s, o, o + (e - s));
  assert.deepEqual(sample, expected);
  decryptSample(track, sample, enc);
  assert.deepEqual(sample, plain);
});

test('cens: CTR over only the 1:9 pattern blocks, counter running on across subsamples (known answer)', () => {
  const iv = rnd.bytes(8);
  const track = trackCryptoFor('cens', avc, key, { iv });
  const plain = videoSample();
  const sample = Buffer.from(plain);
  const enc = createSampleEncryptor(track).encrypt(sample);
  const picks: number[] = [];
  for (const [s, e] of ranges(enc.subsamples)) for (let b = s; b + 16 <= e; b += 160) picks.push(b);
  const ks = aesCtr(key, Buffer.concat([iv, Buffer.alloc(8)]), Buffer.concat(picks.map((b) => plain.subarray(b, b + 16))));
  const expected = Buffer.from(plain);
  picks.forEach((b, i) => ks.copy(expected, b, i * 16, i * 16 + 16));
  assert.deepEqual(sample, expected);
  decryptSample(track, sample, enc);
  assert.deepEqual(sample, plain);
});

test('round trips: all four schemes, video and audio, IV sizes 8 and 16, several samples', () => {
  for (const scheme of ['cenc', 'cbcs', 'cens', 'cbc1'] as const) {
    for (const codec of [avc, aac]) {
      for (const ivLen of scheme === 'cbcs' ? [16] : [8, 16]) {
        const track = trackCryptoFor(scheme, codec, key, { iv: rnd.bytes(ivLen) });
        const e = createSampleEncryptor(track);
        for (let i = 0; i < 4; i++) {
          const plain = codec.kind === 'audio' ? rnd.bytes(200 + i * 37) : videoSample();
          const sample = Buffer.from(plain);
          const enc = e.encrypt(sample);
          assert.notDeepEqual(sample, plain, `${scheme} changed nothing`);
          decryptSample(track, sample, enc);
          assert.deepEqual(sample, plain, `${scheme} ${codec.kind} iv${ivLen} sample ${i}`);
        }
      }
    }
  }
});

test('decryptSample takes any valid map (not ours: unaligned, mid-NAL) and refuses maps past the sample end', () => {
  const iv = rnd.bytes(8);
  const track: TrackCrypto = trackCryptoFor('cenc', avc, key, { iv });
  const plain = rnd.bytes(1000);
  const subs = [{ clear: 3, encrypted: 17 }, { clear: 0, encrypted: 5 }, { clear: 100, encrypted: 875 }];
  const r = ranges(subs);
  const ct = aesCtr(key, Buffer.concat([iv, Buffer.alloc(8)]), Buffer.concat(r.map(([s, e]) => plain.subarray(s, e))));
  const sample = Buffer.from(plain);
  let o = 0;
  for (const [s, e] of r) o += ct.copy(sample, s, o, o + (e - s));
  decryptSample(track, sample, { iv, subsamples: subs });
  assert.deepEqual(sample, plain);
  assert.throws(() => decryptSample(track, Buffer.from(plain), { iv, subsamples: [{ clear: 10, encrypted: 991 }] }), { code: 'ERR_CENC_SUBSAMPLES' });
  assert.throws(() => decryptSample(track, Buffer.from(plain), { iv: Buffer.alloc(0), subsamples: [] }), { code: 'ERR_CENC_IV' });
  assert.throws(() => decryptSample(track, Buffer.from(plain), { iv: Buffer.alloc(5), subsamples: [] }), { code: 'ERR_CENC_IV' });
  assert.throws(() => decryptSample(track, Buffer.from(plain), { iv, subsamples: [{ clear: -1, encrypted: 2 }] }), { code: 'ERR_CENC_SUBSAMPLES' });
  const noConst: TrackCrypto = { scheme: 'cbcs', codec: avc, key, ivSize: 0 };
  assert.throws(() => decryptSample(noConst, Buffer.from(plain), { iv: Buffer.alloc(0), subsamples: [] }), { code: 'ERR_CENC_IV' });
});

test('decryptSample with a cbcs map from another packager (per-sample 16-byte IV, pattern 1:9, partial tails)', () => {
  const iv = rnd.bytes(16);
  const track: TrackCrypto = { scheme: 'cbcs', codec: avc, key, ivSize: 16, pattern: { crypt: 1, skip: 9 } };
  const plain = rnd.bytes(600);
  const subs = [{ clear: 10, encrypted: 170 }, { clear: 20, encrypted: 400 }];
  const sample = Buffer.from(plain);
  for (const [s, e] of ranges(subs)) {
    const picks: number[] = [];
    for (let b = s; b + 16 <= e; b += 160) picks.push(b);
    const ct = aesCbcEncrypt(key, iv, Buffer.concat(picks.map((b) => plain.subarray(b, b + 16))), { padding: false });
    picks.forEach((b, i) => ct.copy(sample, b, i * 16, i * 16 + 16));
  }
  decryptSample(track, sample, { iv, subsamples: subs });
  assert.deepEqual(sample, plain);
});

test('in-band parameter sets: a PPS in the sample serves the slices after it, and later samples through the encryptor state', () => {
  // PPS id 1 (the x264 PPS with its id re-coded) and a P slice that refers to it
  const pps1 = hex('685af0f2c8b0');
  const p1 = Buffer.concat([hex('41990ec477f1bc19f8de0ffc0eb0b80088d144356fcabf2680'), rnd.bytes(300)]);
  const first = lengthPrefixed([pps1, p1]);
  const later = lengthPrefixed([p1]);
  const mode = { sliceHeaderClear: true, protectedMultipleOf16: true };
  assert.equal(videoSubsampleLayout(avc, first, mode).length, 1);
  assert.throws(() => videoSubsampleLayout(avc, later, mode), { code: 'ERR_CODEC_INVALID', message: /unknown pic_parameter_set_id 1/ });
  const units = listNalUnits(avc, first);
  assert.equal(units[1]!.sliceHeaderSize, listNalUnits(avc, lengthPrefixed([slice(P_HEAD, 326)]))[0]!.sliceHeaderSize);
  const e = createSampleEncryptor(trackCryptoFor('cbcs', avc, key));
  e.encrypt(Buffer.from(first));
  assert.equal(e.encrypt(Buffer.from(later)).subsamples.length, 1);
});
