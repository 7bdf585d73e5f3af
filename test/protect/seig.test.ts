/**
 * Key rotation by sample groups (ISO/IEC 23001-7 §6, 'seig'): a fragment
 * whose traf carries sbgp/sgpd seig with another KID is decrypted with that
 * KID's key. The file is spliced from two of our own encryptions (same IVs,
 * different keys) with the box library, as a rotating packager writes it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { seededRandom } from '../../src/crypto/random.js';
import { parseKeyPair } from '../../src/keys/content-keys.js';
import { child, parseBoxes, writeBox, type Box } from '../../src/media/bmff/index.js';
import { setupProtection } from '../../src/protect/encryptor.js';
import { openMovie, planSegments, writeInitSegment, writeMediaSegment } from '../../src/protect/segments.js';
import { runInProcess } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';
import { mediaFixture } from '../fixtures/media.js';
import { packets, tempDir } from './media-helpers.js';

const A = '0123456789abcdef0123456789abcdef:00112233445566778899aabbccddeeff';
const B = 'fedcba9876543210fedcba9876543210:ffeeddccbbaa99887766554433221100';

/** Add sbgp + sgpd 'seig' (KID of B, 8-byte IVs) to the traf of a moof; shift trun's data offset. */
function withSeig(segment: Buffer, kid: Buffer): Buffer {
  const [moof, ...rest] = parseBoxes(segment);
  const traf = child(moof, 'traf')!;
  const trun = child(traf, 'trun')!;
  const seig = Buffer.alloc(20);
  seig[2] = 1; // isProtected
  seig[3] = 8; // Per_Sample_IV_Size
  kid.copy(seig, 4);
  const extra: Box[] = [
    { type: 'sbgp', version: 0, flags: 0, groupingType: 'seig', entries: [{ sampleCount: trun.samples.length, groupDescriptionIndex: 0x10001 }] },
    { type: 'sgpd', version: 1, flags: 0, groupingType: 'seig', defaultLength: 20, entries: [{ description: seig }] },
  ];
  const added = extra.reduce((n, b) => n + writeBox(b).length, 0);
  traf.children!.push(...extra);
  trun.dataOffset += added;
  return Buffer.concat([writeBox(moof!), ...rest.map((b) => writeBox(b))]);
}

test('decrypt follows seig sample groups to a second key (key rotation)', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const src = mediaFixture('h264-aac');
  const movie = await openMovie(src);
  try {
    const plan = planSegments(movie, 1);
    const video = movie.tracks.find((x) => x.kind === 'video')!;
    const pa = setupProtection(movie, { scheme: 'cenc', keys: [parseKeyPair(A)], random: seededRandom('rotation') });
    const pb = setupProtection(movie, { scheme: 'cenc', keys: [parseKeyPair(B)], random: seededRandom('rotation') });
    const parts = [writeInitSegment(movie, video.id, pa)];
    for (let k = 0; k < plan.segmentCount; k++) {
      const seg = k % 2 === 1 ? withSeig((await writeMediaSegment(movie, plan, video.id, k, pb))!, parseKeyPair(B).kid.bytes) : (await writeMediaSegment(movie, plan, video.id, k, pa))!;
      parts.push(seg);
    }
    const dir = tempDir(t);
    const file = join(dir, 'rotating.mp4');
    writeFileSync(file, Buffer.concat(parts));
    const insp = await runInProcess(['inspect', '--json', file]);
    assert.equal(insp.status, 0, insp.stderr);
    const out = join(dir, 'clear.mp4');
    const onlyA = await runInProcess(['decrypt', file, '-o', out, '--key', A]);
    assert.equal(onlyA.status, 1);
    assert.match(onlyA.stderr, /fedcba98-7654-3210-fedc-ba9876543210/);
    const both = await runInProcess(['decrypt', file, '-o', out, '--key', A, '--key', B]);
    assert.equal(both.status, 0, both.stderr);
    assert.deepEqual(packets(out, 'v'), packets(src, 'v'));
  } finally {
    await movie.source.close();
  }
});
