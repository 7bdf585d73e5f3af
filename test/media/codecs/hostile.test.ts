/**
 * Hostile input: every malformed sample, NAL length, parameter set,
 * configuration record or subsample map must end in a KeysmithError with an
 * ERR_CODEC_* / ERR_CENC_* code and a one-line message, never a crash or a
 * hang. Plus a bounded, seeded fuzz of a few hundred mutants.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeysmithError } from '../../../src/errors.js';
import { ContentKey } from '../../../src/crypto/values.js';
import { seededRandom } from '../../../src/crypto/random.js';
import { aacCodecString, listNalUnits, parseAvcDecoderConfig, parseHevcDecoderConfig, videoSubsampleLayout } from '../../../src/media/codecs/index.js';
import { createSampleEncryptor, decryptSample, trackCryptoFor } from '../../../src/protect/sample-crypto.js';
import { lengthPrefixed, makeAvcC, makeHvcC } from '../../helpers/annexb.js';

const hex = (s: string) => Buffer.from(s, 'hex');
const SPS = hex('6764000dacb20283f60220000003002000000641e28549');
const PPS = hex('68ebc3cb22c0');
const IDR_HEAD = hex('65888419ffccff9e95b1e0dcbe9e89f487aab0c947cbc22d');
const avc = parseAvcDecoderConfig(makeAvcC([SPS], [PPS]));
const MODE = { sliceHeaderClear: true, protectedMultipleOf16: false };

function isOurs(err: unknown): boolean {
  return err instanceof KeysmithError && /^ERR_(CODEC|CENC)_[A-Z]+$/.test(err.code) && !err.message.includes('\n') && err.message.length < 200;
}

function rejects(fn: () => unknown, code?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isOurs(err), `expected an ERR_CODEC/ERR_CENC KeysmithError, got ${String(err)}`);
    if (code) assert.equal((err as KeysmithError).code, code);
    return true;
  });
}

test('NAL framing: length past the end, zero length, a short trailing length, forbidden bit', () => {
  const good = lengthPrefixed([Buffer.concat([IDR_HEAD, Buffer.alloc(100, 0x55)])]);
  const past = Buffer.from(good);
  past.writeUInt32BE(good.length, 0);
  rejects(() => videoSubsampleLayout(avc, past, MODE), 'ERR_CODEC_TRUNCATED');
  const huge = Buffer.from(good);
  huge.writeUInt32BE(0xffffffff, 0);
  rejects(() => videoSubsampleLayout(avc, huge, MODE), 'ERR_CODEC_TRUNCATED');
  rejects(() => videoSubsampleLayout(avc, Buffer.concat([good, hex('000000')]), MODE), 'ERR_CODEC_TRUNCATED');
  rejects(() => videoSubsampleLayout(avc, Buffer.concat([good, hex('00000000')]), MODE), 'ERR_CODEC_INVALID');
  rejects(() => videoSubsampleLayout(avc, lengthPrefixed([hex('e5aabbcc')]), MODE), 'ERR_CODEC_INVALID');
  assert.deepEqual(videoSubsampleLayout(avc, Buffer.alloc(0), MODE), []);
});

test('slice headers: unknown PPS, truncated header, absurd Exp-Golomb codes, out-of-range fields', () => {
  // first_mb 0, slice_type 7, pps_id 5 (unknown)
  rejects(() => videoSubsampleLayout(avc, lengthPrefixed([hex('658837ffffff')]), MODE), 'ERR_CODEC_INVALID');
  // a slice NAL that ends inside its header
  rejects(() => videoSubsampleLayout(avc, lengthPrefixed([hex('6588')]), MODE), 'ERR_CODEC_TRUNCATED');
  // 40 zero bits: an Exp-Golomb prefix longer than 32
  rejects(() => videoSubsampleLayout(avc, lengthPrefixed([hex('650000000000ff')]), MODE), 'ERR_CODEC_INVALID');
  // slice_type 30 (> 9)
  rejects(() => videoSubsampleLayout(avc, lengthPrefixed([hex('6587ffffffff')]), MODE), 'ERR_CODEC_INVALID');
});

test('configuration records: truncated avcC/hvcC, bad versions, 3-byte lengths, garbage esds', () => {
  const avcC = makeAvcC([SPS], [PPS]);
  for (let n = 0; n < avcC.length; n++) rejects(() => parseAvcDecoderConfig(avcC.subarray(0, n)));
  const v2 = Buffer.from(avcC);
  v2[0] = 2;
  rejects(() => parseAvcDecoderConfig(v2), 'ERR_CODEC_INVALID');
  const len3 = Buffer.from(avcC);
  len3[4] = 0xfe;
  rejects(() => parseAvcDecoderConfig(len3), 'ERR_CODEC_INVALID');
  const swapped = makeAvcC([PPS], [SPS]);
  rejects(() => parseAvcDecoderConfig(swapped), 'ERR_CODEC_INVALID');
  rejects(() => parseHevcDecoderConfig(Buffer.alloc(22, 1)), 'ERR_CODEC_TRUNCATED');
  const hv = Buffer.alloc(23);
  hv[0] = 1;
  hv[21] = 3;
  hv[22] = 1;
  rejects(() => parseHevcDecoderConfig(hv), 'ERR_CODEC_TRUNCATED');
  rejects(() => aacCodecString(hex('00000000')));
  rejects(() => aacCodecString(hex('0000000003ffffffff')));
  rejects(() => aacCodecString(hex('00000000038080')));
  rejects(() => aacCodecString(hex('00000000040100')), 'ERR_CODEC_INVALID');
});

test('seeded fuzz: 400 mutants of a video sample → a layout that covers the sample, or an ERR_CODEC/ERR_CENC error', () => {
  const rnd = seededRandom('fuzz layout');
  const base = lengthPrefixed([hex('09f0'), Buffer.concat([hex('06'), rnd.bytes(40)]), Buffer.concat([IDR_HEAD, rnd.bytes(300)]), SPS, PPS, Buffer.concat([IDR_HEAD, rnd.bytes(90)])]);
  const pick = (n: number) => rnd.bytes(4).readUInt32BE(0) % n;
  let ok = 0;
  let refused = 0;
  for (let i = 0; i < 400; i++) {
    const m = Buffer.from(base);
    const kind = i % 4;
    if (kind === 0) for (let k = 0; k < 1 + pick(4); k++) { const at = pick(m.length); m[at] = m[at]! ^ (1 << pick(8)); }
    else if (kind === 1) m.writeUInt32BE(pick(600), [0, 6, 51][pick(3)]!);
    else if (kind === 2) m.fill(pick(256), pick(m.length));
    const s = kind === 3 ? m.subarray(0, pick(m.length)) : m;
    try {
      for (const mode of [MODE, { sliceHeaderClear: true, protectedMultipleOf16: true }]) {
        const subs = videoSubsampleLayout(avc, s, mode);
        assert.equal(subs.reduce((n, x) => n + x.clear + x.encrypted, 0), s.length);
        for (const x of subs) assert.ok(x.clear <= 65535);
      }
      listNalUnits(avc, s);
      ok++;
    } catch (err) {
      assert.ok(isOurs(err), `mutant ${i}: ${String(err)}`);
      refused++;
    }
  }
  assert.ok(ok > 20 && refused > 20, `fuzz should exercise both paths (ok ${ok}, refused ${refused})`);
});

// x265 (ffmpeg 5.1 libx265, testsrc2 320x240, slices=3, wpp=1): VPS, SPS, PPS, slice heads
const HVPS = hex('40010c01ffff01600000030090000003000003003c959409');
const HSPS = hex('42010101600000030090000003000003003ca00a080f16595964932bc05a020000030002000003003210');
const HPPS = hex('4401c172b44240');
const HIDR = hex('2801af1d80627b5f8051e88cf83479db7eb3c316d78f67c0');
const HIDR2 = hex('28012a78e42e42c014198a9602498bf263ffdcb81fd81e17');

test('seeded fuzz: 300 mutants of an HEVC sample and its hvcC → a covering layout or an ERR_CODEC error', () => {
  const rnd = seededRandom('fuzz hevc');
  const hvcC = makeHvcC([HVPS], [HSPS], [HPPS]);
  const hevc = parseHevcDecoderConfig(hvcC);
  const base = lengthPrefixed([HSPS, HPPS, Buffer.concat([HIDR, rnd.bytes(200)]), Buffer.concat([HIDR2, rnd.bytes(100)])]);
  assert.equal(videoSubsampleLayout(hevc, base, MODE).length, 2);
  const layer1 = Buffer.concat([HIDR, rnd.bytes(50)]);
  layer1[1] = 0x09; // nuh_layer_id 1
  rejects(() => videoSubsampleLayout(hevc, lengthPrefixed([layer1]), MODE), 'ERR_CODEC_UNSUPPORTED');
  const pick = (n: number) => rnd.bytes(4).readUInt32BE(0) % n;
  let ok = 0;
  for (let i = 0; i < 300; i++) {
    const m = Buffer.from(i % 3 === 2 ? hvcC : base);
    for (let k = 0; k < 1 + pick(3); k++) { const at = pick(m.length); m[at] = m[at]! ^ (1 << pick(8)); }
    try {
      if (i % 3 === 2) parseHevcDecoderConfig(m);
      else {
        const subs = videoSubsampleLayout(hevc, m, MODE);
        assert.equal(subs.reduce((n, x) => n + x.clear + x.encrypted, 0), m.length);
      }
      ok++;
    } catch (err) {
      assert.ok(isOurs(err), `mutant ${i}: ${String(err)}`);
    }
  }
  assert.ok(ok > 10);
});

test('seeded fuzz: 300 random subsample maps and IVs → decryptSample works or refuses with ERR_CENC_*', () => {
  const rnd = seededRandom('fuzz decrypt');
  const key = new ContentKey(rnd.bytes(16));
  const pick = (n: number) => rnd.bytes(4).readUInt32BE(0) % n;
  for (let i = 0; i < 300; i++) {
    const scheme = (['cenc', 'cbcs', 'cens', 'cbc1'] as const)[i % 4]!;
    const track = trackCryptoFor(scheme, avc, key);
    const sample = rnd.bytes(pick(500));
    const subsamples = Array.from({ length: pick(5) }, () => ({ clear: pick(300), encrypted: pick(400) }));
    const iv = scheme === 'cbcs' ? Buffer.alloc(0) : rnd.bytes([8, 16, 0, 7][pick(4)]!);
    try {
      decryptSample(track, sample, { iv, subsamples });
    } catch (err) {
      assert.ok(isOurs(err), `map ${i}: ${String(err)}`);
    }
  }
  // the encryptor refuses a malformed sample cleanly as well
  const enc = createSampleEncryptor(trackCryptoFor('cbcs', avc, key));
  rejects(() => enc.encrypt(hex('000000ff65')));
});
