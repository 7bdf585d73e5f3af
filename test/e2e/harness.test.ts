/**
 * The harness proves itself on content made by tools nobody here wrote:
 * ffmpeg's HLS AES-128 (-hls_key_info_file) and Shaka Packager's DASH
 * cenc/cbcs with raw keys and the common-system PSSH. Each positive check
 * has a negative twin (wrong key), so a harness that always says "played"
 * would fail here.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mediaFixture } from '../fixtures/media.js';
import { CHROMIUM, SHAKA_PACKAGER, requireTool } from '../helpers/tools.js';
import {
  clearKeyLicense, lazyBrowser, pngHasPicture, sourceThumbnail, startServer, staticBytes, thumbnailSimilarity, type TestServer,
} from './harness.js';

// Test values (no secret): a KID and key written out in hex.
const KID = '6d7a0a1b2c3d4e5f60718293a4b5c6d7';
const KEY = '1f2e3d4c5b6a79880f1e2d3c4b5a6978';
const WRONG = '00112233445566778899aabbccddeeff';
/** Thumbnail correlation above which two pictures are the same frame (scaler and colour-conversion noise aside). */
const SAME_PICTURE = 0.97;

const dir = mkdtempSync(join(tmpdir(), 'keysmith-harness-'));
const browser = lazyBrowser();
let server: TestServer;

before(async () => {
  server = await startServer({ root: dir });
});

after(async () => {
  await browser.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} failed: ${r.error?.message ?? r.stderr}`);
}

test('the server serves files with manifest MIME types, byte ranges, routes and no path traversal', async () => {
  const sub = join(dir, 'static');
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, 'a.mpd'), '<MPD/>');
  writeFileSync(join(sub, 'b.m4s'), Buffer.from('0123456789'));
  let r = await fetch(`${server.url}/static/a.mpd`);
  assert.equal(r.headers.get('content-type'), 'application/dash+xml');
  r = await fetch(`${server.url}/static/b.m4s`, { headers: { range: 'bytes=2-4' } });
  assert.equal(r.status, 206);
  assert.equal(r.headers.get('content-range'), 'bytes 2-4/10');
  assert.equal(await r.text(), '234');
  r = await fetch(`${server.url}/static/%2e%2e/%2e%2e/etc/passwd`);
  assert.equal(r.status, 404);
  r = await fetch(`${server.url}/_lib/hls/hls.js`, { method: 'HEAD' });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /javascript/);
  server.route('POST', '/license-probe', clearKeyLicense({ [KID]: KEY }));
  r = await fetch(`${server.url}/license-probe`, {
    method: 'POST',
    body: JSON.stringify({ kids: [Buffer.from(KID, 'hex').toString('base64url')], type: 'temporary' }),
  });
  assert.deepEqual(await r.json(), {
    keys: [{ kty: 'oct', kid: Buffer.from(KID, 'hex').toString('base64url'), k: Buffer.from(KEY, 'hex').toString('base64url') }],
    type: 'temporary',
  });
});

test('hls.js plays ffmpeg HLS AES-128 fetching the key, and fails with a wrong key', async (t) => {
  if (!requireTool(t, 'ffmpeg') || !requireTool(t, CHROMIUM, 'apt-get install chromium')) return;
  const out = join(dir, 'ffmpeg-hls');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'enc.key'), Buffer.from(KEY, 'hex'));
  // -hls_key_info_file: key URI, key file path, IV (ffmpeg's hlsenc documentation).
  writeFileSync(join(out, 'keyinfo'), `/key/right\n${join(out, 'enc.key')}\n${'00'.repeat(15)}01\n`);
  run('ffmpeg', [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-i', mediaFixture('h264-aac'), '-c', 'copy',
    '-hls_time', '1', '-hls_playlist_type', 'vod', '-hls_key_info_file', join(out, 'keyinfo'), join(out, 'index.m3u8'),
  ]);
  server.route('GET', '/key/right', staticBytes(Buffer.from(KEY, 'hex')));
  server.route('GET', '/key/wrong', staticBytes(Buffer.from(WRONG, 'hex')));
  const b = await browser.get();
  const good = await b.play(server, { player: 'hls', url: '/ffmpeg-hls/index.m3u8', screenshot: 'harness/hls-aes128.png' });
  assert.ok(good.played, `did not play: ${JSON.stringify({ ...good, console: good.console.slice(-5) })}`);
  assert.ok(good.currentTime >= 3);
  assert.ok(good.decodedFrames > 0);
  assert.ok(server.requests.some((r) => r.path === '/key/right' && r.status === 200), 'the key was fetched');
  assert.ok(good.screenshot && (await pngHasPicture(good.screenshot)), 'the screenshot shows a picture');

  // The same playlist pointing at a key server that answers the wrong key.
  writeFileSync(join(out, 'wrong.m3u8'), spawnSync('sed', ['s#/key/right#/key/wrong#', join(out, 'index.m3u8')], { encoding: 'utf8' }).stdout);
  const bad = await b.play(server, { player: 'hls', url: '/ffmpeg-hls/wrong.m3u8', timeoutMs: 8000 });
  assert.equal(bad.played, false);
  assert.ok(bad.currentTime < 3);
});

for (const scheme of ['cenc', 'cbcs'] as const) {
  test(`shaka-player plays Shaka Packager DASH ${scheme} with ClearKey (inline and licence server), not with a wrong key`, async (t) => {
    if (!requireTool(t, SHAKA_PACKAGER, 'npm ci (shaka-packager)') || !requireTool(t, 'ffmpeg')) return;
    if (!requireTool(t, CHROMIUM, 'apt-get install chromium')) return;
    const out = join(dir, `packager-${scheme}`);
    mkdirSync(out, { recursive: true });
    const input = mediaFixture('h264-aac');
    run(SHAKA_PACKAGER, [
      `in=${input},stream=video,init_segment=${out}/v/init.mp4,segment_template=${out}/v/$Number$.m4s`,
      `in=${input},stream=audio,init_segment=${out}/a/init.mp4,segment_template=${out}/a/$Number$.m4s`,
      '--segment_duration', '1',
      '--clear_lead', '0', // the default is 5 s in the clear: nothing would be encrypted in a 4 s clip
      '--protection_scheme', scheme,
      '--enable_raw_key_encryption',
      '--keys', `label=:key_id=${KID}:key=${KEY}`,
      '--protection_systems', 'CommonSystem',
      '--mpd_output', `${out}/stream.mpd`,
      '--quiet',
    ]);
    server.route('POST', `/license/${scheme}`, clearKeyLicense({ [KID]: KEY }));
    server.route('POST', `/license/${scheme}-wrong`, clearKeyLicense({ [KID]: WRONG }));
    const b = await browser.get();
    const url = `/packager-${scheme}/stream.mpd`;
    const reference = sourceThumbnail(input, 2.02);
    const inline = await b.play(server, {
      player: 'shaka', url, clearKeys: { [KID]: KEY }, screenshot: `harness/shaka-${scheme}.png`, thumbnailAt: 2.02,
    });
    assert.ok(inline.played, `inline keys: ${JSON.stringify({ ...inline, console: inline.console.slice(-5) })}`);
    assert.ok(inline.screenshot && (await pngHasPicture(inline.screenshot)));
    const near = thumbnailSimilarity(inline.thumbnail ?? [], reference);
    assert.ok(near > SAME_PICTURE, `the picture is the source's (similarity ${near.toFixed(3)})`);
    const licensed = await b.play(server, { player: 'shaka', url, licenseUrl: `/license/${scheme}` });
    assert.ok(licensed.played, `licence server: ${JSON.stringify(licensed.errors)}`);
    assert.ok(server.requests.some((r) => r.path === `/license/${scheme}` && r.method === 'POST'), 'the licence was requested');
    // With a wrong key Chromium's decoder conceals the garbage and "plays" on:
    // the picture is what must differ.
    const wrong = await b.play(server, { player: 'shaka', url, licenseUrl: `/license/${scheme}-wrong`, timeoutMs: 8000, thumbnailAt: 2.02 });
    const far = wrong.thumbnail ? thumbnailSimilarity(wrong.thumbnail, reference) : 0;
    assert.ok(!wrong.played || far < SAME_PICTURE - 0.1, `a wrong key must not show the picture (similarity ${far.toFixed(3)})`);
  });
}
