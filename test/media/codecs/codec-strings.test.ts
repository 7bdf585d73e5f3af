/**
 * Codecs strings (RFC 6381; ISO/IEC 14496-15 Annex E for HEVC) and picture
 * sizes from decoder configurations, checked against ffprobe's reading of
 * the same fixtures and against published examples. (Shaka Packager's MPD
 * codecs= for the same inputs is compared in test/protect/shaka-interop.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { aacCodecString, audioCodecConfig, hevcCodecString, parseAvcDecoderConfig, parseHevcDecoderConfig } from '../../../src/media/codecs/index.js';
import { mediaFixture } from '../../fixtures/media.js';
import { walk } from '../../helpers/boxes.js';
import { requireTool } from '../../helpers/tools.js';

function probe(path: string, stream: string): { profile: string; level: number; width: number; height: number } {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', stream, '-show_entries', 'stream=profile,level,width,height', '-of', 'json', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffprobe failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { streams: { profile: string; level: number; width: number; height: number }[] }).streams[0]!;
}

function box(path: string, type: string): Buffer {
  const buf = readFileSync(path);
  const b = walk(buf).find((x) => x.type === type);
  if (!b) throw new Error(`${type} not found in ${path}`);
  return buf.subarray(b.body, b.end);
}

const AVC_PROFILES: Record<string, number> = { Baseline: 66, 'Constrained Baseline': 66, Main: 77, High: 100 };

test('avc1.PPCCLL and picture size of the H.264 fixture agree with ffprobe', (t) => {
  if (!requireTool(t, 'ffprobe', 'apt-get install ffmpeg')) return;
  const path = mediaFixture('h264-aac');
  const c = parseAvcDecoderConfig(box(path, 'avcC'));
  const p = probe(path, 'v:0');
  const pp = AVC_PROFILES[p.profile]!.toString(16).padStart(2, '0');
  const ll = p.level.toString(16).padStart(2, '0');
  assert.match(c.codecString, new RegExp(`^avc1\\.${pp}[0-9a-f]{2}${ll}$`));
  assert.equal(c.codecString, 'avc1.64000d');
  assert.deepEqual([c.width, c.height], [p.width, p.height]);
  assert.equal(c.nalLengthSize, 4);
  assert.equal(parseAvcDecoderConfig(box(path, 'avcC'), 'avc3').codecString, 'avc3.64000d');
});

test('hvc1 codecs string and picture size of the HEVC fixture agree with ffprobe', (t) => {
  if (!requireTool(t, 'ffprobe', 'apt-get install ffmpeg')) return;
  const path = mediaFixture('hevc');
  const c = parseHevcDecoderConfig(box(path, 'hvcC'));
  const p = probe(path, 'v:0');
  assert.equal(p.profile, 'Main');
  assert.equal(c.codecString, `hvc1.1.6.L${p.level}.90`);
  assert.deepEqual([c.width, c.height], [p.width, p.height]);
});

test('HEVC codecs strings of ISO/IEC 14496-15 Annex E and common Main 10 signalling', () => {
  const main = { profileSpace: 0, tier: 0, profileIdc: 1, profileCompatibility: 0x60000000, levelIdc: 93, constraintFlags: Uint8Array.from([0xb0, 0, 0, 0, 0, 0]) };
  assert.equal(hevcCodecString('hev1', main), 'hev1.1.6.L93.B0'); // Annex E.3 example
  const main10 = { profileSpace: 0, tier: 0, profileIdc: 2, profileCompatibility: 0x20000000, levelIdc: 120, constraintFlags: Uint8Array.from([0x90, 0, 0, 0, 0, 0]) };
  assert.equal(hevcCodecString('hvc1', main10), 'hvc1.2.4.L120.90');
  const high = { profileSpace: 1, tier: 1, profileIdc: 4, profileCompatibility: 0x08000000, levelIdc: 153, constraintFlags: Uint8Array.from([0xb0, 0, 0x23, 0, 0, 0]) };
  assert.equal(hevcCodecString('hvc1', high), 'hvc1.A4.10.H153.B0.0.23');
  assert.equal(hevcCodecString('hvc1', { ...main, constraintFlags: new Uint8Array(6) }), 'hvc1.1.6.L93');
});

/** An esds payload (version/flags + ES_Descriptor) around an AudioSpecificConfig. */
function esds(oti: number, asc: number[]): Buffer {
  const dsi = [0x05, asc.length, ...asc];
  const dc = [0x04, 13 + dsi.length, oti, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...dsi];
  const es = [0x03, 3 + dc.length + 3, 0, 1, 0, ...dc, 0x06, 0x01, 0x02];
  return Buffer.from([0, 0, 0, 0, ...es]);
}

test('mp4a codecs strings: the AAC fixture, HE-AAC, escaped object types, MP3, whole esds boxes', (t) => {
  assert.equal(aacCodecString(esds(0x40, [0x12, 0x10])), 'mp4a.40.2'); // AAC-LC 44.1 kHz stereo
  assert.equal(aacCodecString(esds(0x40, [0x2b, 0x92, 0x08, 0x00])), 'mp4a.40.5'); // explicit HE-AAC
  assert.equal(aacCodecString(esds(0x40, [0xf8, 0x1e, 0x20])), 'mp4a.40.32'); // escape 31 → 32 + 0 (Layer-1)
  assert.equal(aacCodecString(esds(0x6b, [])), 'mp4a.6B');
  const withHeader = Buffer.concat([Buffer.from([0, 0, 0, 0, 0x65, 0x73, 0x64, 0x73]), esds(0x40, [0x11, 0x90])]);
  assert.equal(aacCodecString(withHeader), 'mp4a.40.2');
  assert.deepEqual(audioCodecConfig('ec-3'), { kind: 'audio', codec: 'ec-3' });
  assert.throws(() => audioCodecConfig('x'), { code: 'ERR_CODEC_INVALID' });
  if (!requireTool(t, 'ffmpeg')) return;
  assert.equal(aacCodecString(box(mediaFixture('aac'), 'esds')), 'mp4a.40.2');
});
