/**
 * All four schemes: our decrypt restores our encrypt byte-for-byte at the
 * packet level, and ffmpeg decrypts cens and cbc1 too (cenc/cbcs are in
 * encrypt.ffmpeg.test.ts). Decrypt reads fragmented input from stdin.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runInProcess } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';
import { mediaFixture } from '../fixtures/media.js';
import { KEY, PAIR, packets, tempDir, videoMd5 } from './media-helpers.js';

for (const scheme of ['cenc', 'cbcs', 'cens', 'cbc1'] as const) {
  test(`${scheme}: encrypt then decrypt gives the source's packets; ffmpeg agrees`, async (t) => {
    if (!requireTool(t, 'ffmpeg')) return;
    const dir = tempDir(t);
    const src = mediaFixture('h264-aac');
    const enc = join(dir, 'enc.mp4');
    const clear = join(dir, 'clear.mp4');
    assert.equal((await runInProcess(['encrypt', src, '-o', enc, '--scheme', scheme, '--key', PAIR])).status, 0);
    const d = await runInProcess(['decrypt', '-', '-o', clear, '--key', PAIR], { stdin: readFileSync(enc) });
    assert.equal(d.status, 0, d.stderr);
    assert.deepEqual(packets(clear, 'v'), packets(src, 'v'));
    assert.deepEqual(packets(clear, 'a'), packets(src, 'a'));
    if (scheme === 'cens' || scheme === 'cbc1') assert.equal(videoMd5(enc, KEY), videoMd5(src));
  });
}

test('encrypting an encrypted file is refused with a hint', async (t) => {
  const dir = tempDir(t);
  const enc = join(dir, 'enc.mp4');
  assert.equal((await runInProcess(['encrypt', mediaFixture('hevc'), '-o', enc, '--key', PAIR])).status, 0);
  const again = await runInProcess(['encrypt', enc, '-o', join(dir, 'again.mp4'), '--key', PAIR]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already encrypted \(cenc\)/);
  assert.match(again.stderr, /hint: decrypt it first/);
});

test('encrypt writes to stdout with -o - and refuses its own input as output', async (t) => {
  const src = mediaFixture('aac');
  const r = await runInProcess(['encrypt', src, '-o', '-', '--key', PAIR]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdoutBytes.toString('latin1', 4, 8), 'ftyp');
  const same = await runInProcess(['decrypt', src, '-o', src, '--key', PAIR, '--force']);
  assert.equal(same.status, 2);
});

test('a wrong --iv length for the scheme is a usage error (exit 2)', async (t) => {
  const dir = tempDir(t);
  const r = await runInProcess(['encrypt', mediaFixture('aac'), '-o', join(dir, 'x.mp4'), '--scheme', 'cbcs', '--iv', '0011223344556677', '--key', PAIR]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cbcs takes a 16-byte constant IV/);
  const ok = await runInProcess(['encrypt', mediaFixture('aac'), '-o', join(dir, 'y.mp4'), '--scheme', 'cenc', '--iv', '0011223344556677', '--key', PAIR, '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  const insp = JSON.parse((await runInProcess(['inspect', '--json', join(dir, 'y.mp4')])).stdout);
  assert.equal(insp.tracks[0].encryption.ivSize, 8);
});

test('decrypt keeps the input fragments (or re-cuts with --fragment-duration)', async (t) => {
  const dir = tempDir(t);
  const enc = join(dir, 'enc.mp4');
  assert.equal((await runInProcess(['encrypt', mediaFixture('h264-aac'), '-o', enc, '--key', PAIR, '--fragment-duration', '1'])).status, 0);
  const kept = join(dir, 'kept.mp4');
  const recut = join(dir, 'recut.mp4');
  assert.equal((await runInProcess(['decrypt', enc, '-o', kept, '--key', PAIR])).status, 0);
  assert.equal((await runInProcess(['decrypt', enc, '-o', recut, '--key', PAIR, '--fragment-duration', '2'])).status, 0);
  const frags = async (f: string) => JSON.parse((await runInProcess(['inspect', '--json', f])).stdout).fragments as number;
  assert.equal(await frags(enc), 8);
  assert.equal(await frags(kept), 8);
  assert.equal(await frags(recut), 4);
});
