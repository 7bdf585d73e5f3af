/**
 * ffmpeg (a decryptor nobody here wrote) reads our encrypted output:
 * decoded video equals the source's, packet lists of video and audio equal
 * the source's, and without the key nothing decodes the same (no sample
 * was left clear). cenc and cbcs; H.264+AAC (progressive and fragmented
 * input) and HEVC.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { runInProcess } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';
import { mediaFixture, type FixtureName } from '../fixtures/media.js';
import { KEY, PAIR, packets, tempDir, videoMd5 } from './media-helpers.js';

const CASES: { fixture: FixtureName; audio: boolean }[] = [
  { fixture: 'h264-aac', audio: true },
  { fixture: 'h264-aac-frag', audio: true },
  { fixture: 'hevc', audio: false },
];

for (const { fixture, audio } of CASES) {
  for (const scheme of ['cenc', 'cbcs'] as const) {
    test(`ffmpeg decrypts our ${scheme} ${fixture} to the source's frames and packets`, async (t) => {
      if (!requireTool(t, 'ffmpeg')) return;
      const src = mediaFixture(fixture);
      const out = join(tempDir(t), 'enc.mp4');
      const r = await runInProcess(['encrypt', src, '-o', out, '--scheme', scheme, '--key', PAIR, '--fragment-duration', '1']);
      assert.equal(r.status, 0, r.stderr);
      const clear = videoMd5(src);
      assert.match(clear, /^MD5=/);
      assert.equal(videoMd5(out, KEY), clear);
      assert.deepEqual(packets(out, 'v', KEY), packets(src, 'v'));
      if (audio) assert.deepEqual(packets(out, 'a', KEY), packets(src, 'a'));
      // Without the key: no packet survives as it was (every sample encrypted).
      const encV = packets(out, 'v');
      const srcV = packets(src, 'v');
      assert.equal(encV.length, srcV.length);
      assert.ok(encV.every((p, i) => p !== srcV[i]), 'a video sample was left clear');
      if (audio) {
        const encA = packets(out, 'a');
        const srcA = packets(src, 'a');
        assert.ok(encA.every((p, i) => p !== srcA[i]), 'an audio sample was left clear');
      }
    });
  }
}

test('a clear lead leaves the first fragments clear and the rest encrypted; ffmpeg decodes it all', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const src = mediaFixture('h264-aac');
  const out = join(tempDir(t), 'lead.mp4');
  const r = await runInProcess(['encrypt', src, '-o', out, '--scheme', 'cenc', '--key', PAIR, '--fragment-duration', '1', '--clear-lead', '1']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(videoMd5(out, KEY), videoMd5(src));
  const enc = packets(out, 'v');
  const plain = packets(src, 'v');
  assert.deepEqual(enc.slice(0, 25), plain.slice(0, 25));
  assert.ok(enc.slice(25).every((p, i) => p !== plain[25 + i]));
});

for (const codec of ['ac3', 'eac3'] as const) {
  test(`${codec === 'ac3' ? 'AC-3' : 'E-AC-3'} audio: ffmpeg decrypts our cenc and cbcs packets back to the source's`, async (t) => {
    if (!requireTool(t, 'ffmpeg')) return;
    const dir = tempDir(t);
    const src = join(dir, `${codec}.mp4`);
    const made = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2', '-ac', '2', '-c:a', codec, '-b:a', '192k', src]);
    assert.equal(made.status, 0, String(made.stderr));
    for (const scheme of ['cenc', 'cbcs']) {
      const out = join(dir, `enc-${scheme}.mp4`);
      const r = await runInProcess(['encrypt', src, '-o', out, '--scheme', scheme, '--key', PAIR]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(packets(out, 'a', KEY), packets(src, 'a'));
      const plain = packets(src, 'a');
      assert.ok(packets(out, 'a').every((p, i) => p !== plain[i]));
    }
  });
}
