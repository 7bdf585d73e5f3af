/**
 * The segment interface: any segment produced alone equals the same
 * segment inside the whole-file output (no hidden state between segments),
 * init segments per track, and the plan cuts on video sync samples.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../src/crypto/random.js';
import { parseKeyPair } from '../../src/keys/content-keys.js';
import { parseBoxes } from '../../src/media/bmff/index.js';
import { setupProtection } from '../../src/protect/encryptor.js';
import { codecStringOf, encryptMovie, openMovie, planSegments, segmentTimes, writeInitSegment, writeMediaSegment } from '../../src/protect/segments.js';
import { mediaFixture } from '../fixtures/media.js';
import { PAIR } from './media-helpers.js';

test('planSegments cuts video on sync samples at each boundary and audio at the same instants', async () => {
  const movie = await openMovie(mediaFixture('h264-aac'));
  try {
    const plan = planSegments(movie, 1);
    const video = movie.tracks.find((t) => t.kind === 'video')!;
    const audio = movie.tracks.find((t) => t.kind === 'audio')!;
    assert.equal(plan.segmentCount, 4);
    const vc = plan.cuts.get(video.id)!;
    assert.deepEqual(vc, [0, 25, 50, 75, 100]);
    for (const c of vc.slice(0, -1)) assert.ok(video.samples.sync[c]);
    const ac = plan.cuts.get(audio.id)!;
    for (let k = 1; k < 4; k++) {
      const tv = video.samples.dts[vc[k]!]! / video.timescale;
      assert.ok(audio.samples.dts[ac[k]!]! / audio.timescale >= tv);
      assert.ok(audio.samples.dts[ac[k]! - 1]! / audio.timescale < tv);
    }
  } finally {
    await movie.source.close();
  }
});

test('each encrypted segment made alone equals its bytes in the whole file', async () => {
  const movie = await openMovie(mediaFixture('h264-aac'));
  try {
    const keys = [parseKeyPair(PAIR)];
    for (const scheme of ['cenc', 'cbcs'] as const) {
      const protection = setupProtection(movie, { scheme, keys, random: seededRandom(`segments-${scheme}`) });
      const plan = planSegments(movie, 1);
      const parts: Buffer[] = [];
      await encryptMovie(movie, plan, protection, { write: async (b) => void parts.push(Buffer.from(b)) });
      const whole = Buffer.concat(parts);
      let seq = 0;
      let pos = parts[0]!.length;
      for (let k = 0; k < plan.segmentCount; k++) {
        for (const t of movie.tracks) {
          seq++;
          const alone = await writeMediaSegment(movie, plan, t.id, k, protection, { sequenceNumber: seq });
          assert.ok(alone);
          assert.deepEqual(alone, whole.subarray(pos, pos + alone.length), `${scheme} segment ${k} track ${t.id}`);
          pos += alone.length;
        }
      }
      assert.equal(pos, whole.length);
      // A per-track init segment holds one trak, its trex and the pssh boxes.
      const init = parseBoxes(writeInitSegment(movie, movie.tracks[0]!.id, protection));
      const moov = init.find((b) => b.type === 'moov')!;
      assert.equal(moov.children!.filter((c) => c.type === 'trak').length, 1);
      assert.ok(moov.children!.some((c) => c.type === 'pssh'));
      // Separate segment files start with styp.
      const seg = await writeMediaSegment(movie, plan, movie.tracks[0]!.id, 2, protection, { styp: true });
      assert.equal(parseBoxes(seg!)[0]!.type, 'styp');
    }
  } finally {
    await movie.source.close();
  }
});

test('fragments carry tfhd default-base-is-moof, tfdt v1, trun with data offset, then senc/saiz/saio with exact saio', async () => {
  const movie = await openMovie(mediaFixture('h264-aac'));
  try {
    const protection = setupProtection(movie, { scheme: 'cenc', keys: [parseKeyPair(PAIR)], random: seededRandom('layout') });
    const plan = planSegments(movie, 2);
    const seg = (await writeMediaSegment(movie, plan, 1, 1, protection))!;
    const [moof, mdat] = parseBoxes(seg);
    const traf = moof!.children!.find((c) => c.type === 'traf')!;
    assert.deepEqual(traf.children!.map((c) => c.type), ['tfhd', 'tfdt', 'trun', 'senc', 'saiz', 'saio']);
    const [tfhd, tfdt, trun, senc, saiz, saio] = traf.children!;
    assert.equal((tfhd!.flags ?? 0) & 0x20000, 0x20000);
    assert.equal(tfdt!.version, 1);
    assert.equal(trun!.dataOffset, moof!.size! + 8);
    assert.equal(mdat!.offset, moof!.size);
    // saio: offset of senc's first sample entry from the moof start.
    assert.equal(saio!.offsets[0].offset, senc!.offset! - moof!.offset! + 16);
    assert.equal(senc!.flags, 2);
    assert.equal(saiz!.sampleCount, trun!.samples.length);
    // 8-byte IVs count up by one per sample, continuing from the previous segment.
    const sencParsed = parseBoxes(seg, { ctx: { ivSize: 8 } })[0]!.children!.find((c) => c.type === 'traf')!.children!.find((c) => c.type === 'senc')!;
    const ivs = (sencParsed.samples as { iv: Buffer }[]).map((s) => s.iv.readBigUInt64BE(0));
    for (let i = 1; i < ivs.length; i++) assert.equal(ivs[i]! - ivs[i - 1]!, 1n);
    const first = protection.tracks.get(1)!.firstIv!.readBigUInt64BE(0);
    assert.equal(ivs[0]! - first, BigInt(plan.cuts.get(1)![1]!));
  } finally {
    await movie.source.close();
  }
});

test('segmentTimes add up to each track, and codec strings come from the sample entries', async () => {
  const movie = await openMovie(mediaFixture('h264-aac'));
  try {
    const plan = planSegments(movie, 2);
    for (const t of movie.tracks) {
      const times = segmentTimes(movie, plan, t.id);
      assert.equal(times.length, plan.segmentCount);
      assert.equal(times.reduce((n, s) => n + s.duration, 0), t.duration);
      assert.equal(times.reduce((n, s) => n + s.samples, 0), t.samples.count);
      for (let k = 1; k < times.length; k++) assert.equal(times[k]!.start, times[k - 1]!.start + times[k - 1]!.duration);
    }
    const [v, a] = movie.tracks;
    assert.match(codecStringOf(v!.sampleEntry, v!.codec, 'video'), /^avc1\.6400[0-9a-f]{2}$/);
    assert.equal(codecStringOf(a!.sampleEntry, a!.codec, 'audio'), 'mp4a.40.2');
  } finally {
    await movie.source.close();
  }
});
