/**
 * Shaka Packager both ways: it decrypts our cenc and cbcs output to the
 * source's frames, and our decrypt reads its cenc and cbcs output (video
 * and audio under different keys, both keys given) back to the source's.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { runInProcess } from '../helpers/cli.js';
import { SHAKA_PACKAGER, requireTool } from '../helpers/tools.js';
import { mediaFixture } from '../fixtures/media.js';
import { KEY, KID, PAIR, packets, tempDir, videoMd5 } from './media-helpers.js';

function shaka(args: string[]): void {
  const r = spawnSync(SHAKA_PACKAGER, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `packager failed: ${r.stderr.split('\n').slice(-3).join(' ')}`);
}

for (const scheme of ['cenc', 'cbcs'] as const) {
  test(`Shaka Packager decrypts our ${scheme} output to the source's frames`, async (t) => {
    if (!requireTool(t, 'ffmpeg') || !requireTool(t, SHAKA_PACKAGER, 'npm ci (devDependency shaka-packager)')) return;
    const dir = tempDir(t);
    const src = mediaFixture('h264-aac');
    const enc = join(dir, 'enc.mp4');
    const r = await runInProcess(['encrypt', src, '-o', enc, '--scheme', scheme, '--key', PAIR]);
    assert.equal(r.status, 0, r.stderr);
    const dec = join(dir, 'shaka-dec.mp4');
    shaka([`in=${enc},stream=video,output=${dec}`, '--enable_raw_key_decryption', '--keys', `label=:key_id=${KID}:key=${KEY}`]);
    assert.equal(videoMd5(dec), videoMd5(src));
  });

  test(`our decrypt reads Shaka Packager's ${scheme} output (two tracks, two keys)`, async (t) => {
    if (!requireTool(t, 'ffmpeg') || !requireTool(t, SHAKA_PACKAGER, 'npm ci (devDependency shaka-packager)')) return;
    const dir = tempDir(t);
    const src = mediaFixture('h264-aac');
    const v = join(dir, 'v.mp4');
    const a = join(dir, 'a.mp4');
    const vk = '11111111111111111111111111111111:22222222222222222222222222222222';
    const ak = '33333333333333333333333333333333:44444444444444444444444444444444';
    shaka([
      `in=${src},stream=video,output=${v},drm_label=VID`,
      `in=${src},stream=audio,output=${a},drm_label=AUD`,
      '--enable_raw_key_encryption',
      '--protection_scheme', scheme,
      '--clear_lead', '0',
      '--keys', `label=VID:key_id=${vk.replace(':', ':key=').replace(/^/, '')},label=AUD:key_id=${ak.replace(':', ':key=')}`,
    ]);
    const insp = await runInProcess(['inspect', '--json', v]);
    assert.equal(insp.status, 0, insp.stderr);
    assert.equal(JSON.parse(insp.stdout).tracks[0].encryption.scheme, scheme);
    for (const [input, stream] of [[v, 'v'], [a, 'a']] as const) {
      const out = join(dir, `clear-${stream}.mp4`);
      const r = await runInProcess(['decrypt', input, '-o', out, '--key', vk, '--key', ak]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(packets(out, stream), packets(src, stream));
    }
    assert.equal(videoMd5(join(dir, 'clear-v.mp4')), videoMd5(src));
    // Without the right key: a clear error naming the KID, and no output left behind.
    const none = join(dir, 'none.mp4');
    const bad = await runInProcess(['decrypt', v, '-o', none, '--key', ak]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /11111111-1111-1111-1111-111111111111/);
  });
}
