/** Hostile box structures fail with ERR_BMFF_* naming the box and offset, never a crash. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_DEPTH, bufferSource, parseBoxes, readTopLevelHeaders, writeBox } from '../../../src/media/bmff/index.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
  return 'no error';
}

test('a box size past the end of its parent', () => {
  const inner = writeBox({ type: 'mvhd', version: 0, flags: 0, creationTime: 0, modificationTime: 0, timescale: 1, duration: 1, rate: 0, volume: 0, nextTrackId: 2 });
  const moov = writeBox({ type: 'moov', children: [] });
  const bytes = Buffer.concat([moov.subarray(0, 8), inner]);
  bytes.writeUInt32BE(bytes.length, 0);
  bytes.writeUInt32BE(inner.length + 50, 8);
  assert.throws(() => parseBoxes(bytes), (e: { code: string; message: string }) => e.code === 'ERR_BMFF_TRUNCATED' && /moov\/mvhd at offset 8/.test(e.message));
});

test('a size smaller than the header, and zero sizes inside a parent', () => {
  assert.equal(code(() => parseBoxes(Buffer.concat([Buffer.from([0, 0, 0, 4]), Buffer.from('free')]))), 'ERR_BMFF_BAD_SIZE');
  // A zero size inside a parent that holds fewer than 8 bytes after it.
  const bad = Buffer.concat([Buffer.from([0, 0, 0, 12]), Buffer.from('moov'), Buffer.from([0, 0, 0, 0])]);
  assert.match(code(() => parseBoxes(bad)), /ERR_BMFF_/);
});

test('nesting beyond the depth limit', () => {
  let b = writeBox({ type: 'free', raw: Buffer.alloc(0) });
  for (let i = 0; i < MAX_DEPTH + 4; i++) b = writeBox({ type: 'moov', children: [] }).length === 8 ? Buffer.concat([Buffer.from([0, 0, 0, 0]), Buffer.from('moov'), b]) : b;
  // fix up sizes from the inside out
  for (let pos = b.length - 8 - 8 * 0, n = 0; n < 1; n++) void pos;
  let off = 0;
  while (off + 8 <= b.length && b.toString('latin1', off + 4, off + 8) === 'moov') {
    b.writeUInt32BE(b.length - off, off);
    off += 8;
  }
  assert.equal(code(() => parseBoxes(b)), 'ERR_BMFF_TOO_DEEP');
});

test('absurd entry counts are refused before allocating', () => {
  const stsz = writeBox({ type: 'stsz', version: 0, flags: 0, sampleSize: 0, sampleCount: 1, entries: [{ size: 1 }] });
  stsz.writeUInt32BE(0xffffffff, 16);
  assert.equal(code(() => parseBoxes(stsz)), 'ERR_BMFF_COUNT');
  const trun = writeBox({ type: 'trun', version: 0, flags: 0, samples: [] });
  trun.writeUInt32BE(0xfffffff0, 12);
  assert.equal(code(() => parseBoxes(trun)), 'ERR_BMFF_COUNT');
});

test('truncated files: the top-level scan names the box running past the end', async () => {
  const moov = writeBox({ type: 'moov', children: [{ type: 'free', raw: Buffer.alloc(100) }] });
  await assert.rejects(readTopLevelHeaders(bufferSource(moov.subarray(0, 50))), (e: { code: string; message: string }) => e.code === 'ERR_BMFF_TRUNCATED' && /moov at offset 0/.test(e.message));
});
