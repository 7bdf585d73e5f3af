/**
 * Cross-check with Shaka Packager (an independent C++ implementation):
 * encrypt the H.264 and HEVC fixtures with its binary (raw key, clear lead
 * 0), then for every sample of its output:
 *  - our videoSubsampleLayout of the sample equals its senc subsample map;
 *  - decrypting with its map and re-encrypting with createSampleEncryptor
 *    reproduces its bytes exactly (and, for cenc, its IV sequence);
 * and its MPD codecs= attributes equal our codecs strings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentKey } from '../../src/crypto/values.js';
import { aacCodecString, createParameterSetState, parseAvcDecoderConfig, parseHevcDecoderConfig, videoSubsampleLayout, type CodecConfig } from '../../src/media/codecs/index.js';
import { createSampleEncryptor, decryptSample, SCHEMES, type TrackCrypto } from '../../src/protect/sample-crypto.js';
import { mediaFixture, type FixtureName } from '../fixtures/media.js';
import { fragmentSamples, readTenc, walk } from '../helpers/boxes.js';
import { requireTool, SHAKA_PACKAGER } from '../helpers/tools.js';

const KID = '00112233445566778899aabbccddeeff';
const KEY = '3f1a9c0b7e5d42a8b6c4e2f0a1b3c5d7';

interface Run {
  video: Buffer;
  audio: Buffer | undefined;
  codecs: string[];
}

/** Extra inputs with several slices per picture (made here, not in the shared fixtures). */
const SLICED: Record<string, string[]> = {
  'h264-cavlc-4-slices': ['-c:v', 'libx264', '-profile:v', 'baseline', '-x264-params', 'slices=4:keyint=12'],
  'h264-cabac-4-slices-bframes': ['-c:v', 'libx264', '-profile:v', 'high', '-bf', '3', '-x264-params', 'slices=4:keyint=12:weightp=2'],
  'hevc-3-slices-wpp': ['-c:v', 'libx265', '-tag:v', 'hvc1', '-x265-params', 'log-level=error:slices=3:wpp=1:bframes=3:keyint=12'],
};

function input(name: string, dir: string): string {
  if (!(name in SLICED)) return mediaFixture(name as FixtureName);
  const out = join(dir, `${name}.mp4`);
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2', ...SLICED[name]!, '-pix_fmt', 'yuv420p', out];
  const r = spawnSync('ffmpeg', args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`ffmpeg failed: ${r.error?.message ?? r.stderr}`);
  return out;
}

function shaka(fixture: string, scheme: 'cenc' | 'cbcs', withAudio: boolean): Run {
  const dir = mkdtempSync(join(tmpdir(), 'keysmith-shaka-'));
  try {
    const input_ = input(fixture, dir);
    const streams = [`in=${input_},stream=video,output=${join(dir, 'v.mp4')}`];
    if (withAudio) streams.push(`in=${input_},stream=audio,output=${join(dir, 'a.mp4')}`);
    const r = spawnSync(
      SHAKA_PACKAGER,
      [...streams, '--enable_raw_key_encryption', '--keys', `label=:key_id=${KID}:key=${KEY}`, '--protection_scheme', scheme, '--clear_lead', '0', '--mpd_output', join(dir, 'm.mpd')],
      { encoding: 'utf8' },
    );
    if (r.error || r.status !== 0) throw new Error(`shaka packager failed: ${r.error?.message ?? r.stderr.slice(-800)}`);
    const mpd = readFileSync(join(dir, 'm.mpd'), 'utf8');
    return {
      video: readFileSync(join(dir, 'v.mp4')),
      audio: withAudio ? readFileSync(join(dir, 'a.mp4')) : undefined,
      codecs: [...mpd.matchAll(/codecs="([^"]+)"/g)].map((m) => m[1]!),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function videoCodec(buf: Buffer): CodecConfig {
  const boxes = walk(buf);
  const avcC = boxes.find((b) => b.type === 'avcC');
  if (avcC) return parseAvcDecoderConfig(buf.subarray(avcC.body, avcC.end));
  const hvcC = boxes.find((b) => b.type === 'hvcC')!;
  return parseHevcDecoderConfig(buf.subarray(hvcC.body, hvcC.end));
}

function crossCheck(t: import('node:test').TestContext, fixture: string, scheme: 'cenc' | 'cbcs'): void {
  if (!requireTool(t, SHAKA_PACKAGER, 'npm ci (devDependency shaka-packager)') || !requireTool(t, 'ffmpeg')) return;
  const run = shaka(fixture, scheme, fixture === 'h264-aac');
  const buf = run.video;
  const tenc = readTenc(buf, walk(buf).find((b) => b.type === 'tenc')!);
  const codec = videoCodec(buf);
  assert.ok(codec.kind !== 'audio');
  assert.ok(run.codecs.includes(codec.codecString), `codecs ${codec.codecString} not in Shaka's MPD ${run.codecs.join(', ')}`);
  const row = SCHEMES[scheme];
  const track: TrackCrypto = {
    scheme,
    codec,
    key: ContentKey.parse(KEY),
    ivSize: tenc.ivSize as 0 | 8 | 16,
    ...(tenc.constantIv ? { constantIv: Buffer.from(tenc.constantIv) } : {}),
    ...(tenc.version > 0 ? { pattern: { crypt: tenc.crypt, skip: tenc.skip } } : {}),
  };
  if (scheme === 'cbcs') assert.deepEqual(track.pattern, row.videoPattern);
  const samples = fragmentSamples(buf, tenc.ivSize);
  assert.ok(samples.length >= 40, `expected the fixture's frames, got ${samples.length}`);
  const state = createParameterSetState(codec);
  const mode = { sliceHeaderClear: row.sliceHeaderClear, protectedMultipleOf16: row.protectedMultipleOf16 };
  const encryptor = createSampleEncryptor(track, samples[0]!.iv.length ? samples[0]!.iv : undefined);
  let protectedBytes = 0;
  samples.forEach((s, i) => {
    // clear bytes (prefixes, NAL and slice headers, parameter sets) are readable in the encrypted sample
    const ours = videoSubsampleLayout(codec, s.data, mode, state);
    assert.deepEqual(ours, s.subsamples, `sample ${i}: subsample map differs from Shaka's`);
    const plain = Buffer.from(s.data);
    decryptSample(track, plain, { iv: s.iv, subsamples: s.subsamples });
    const mine = Buffer.from(plain);
    const enc = encryptor.encrypt(mine);
    assert.deepEqual(enc.iv, s.iv, `sample ${i}: IV differs`);
    assert.ok(mine.equals(s.data), `sample ${i}: our encryption differs from Shaka's`);
    protectedBytes += s.subsamples.reduce((n, x) => n + x.encrypted, 0);
  });
  assert.ok(protectedBytes > 10_000, 'Shaka output should have protected bytes');
  if (run.audio) {
    const esds = walk(run.audio).find((b) => b.type === 'esds')!;
    const aac = aacCodecString(run.audio.subarray(esds.body, esds.end));
    assert.equal(aac, 'mp4a.40.2');
    assert.ok(run.codecs.includes(aac), `audio codecs ${aac} not in Shaka's MPD ${run.codecs.join(', ')}`);
  }
}

for (const fixture of ['h264-aac', 'hevc', ...Object.keys(SLICED)]) {
  for (const scheme of ['cbcs', 'cenc'] as const) {
    test(`Shaka Packager ${scheme} on ${fixture}: same subsample maps, byte-identical samples, same codecs strings`, (t) => crossCheck(t, fixture, scheme));
  }
}
