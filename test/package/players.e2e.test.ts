/**
 * Our packages played by players nobody here wrote: shaka-player (DASH
 * cenc and cbcs, W3C ClearKey inline and through a licence endpoint) and
 * hls.js (HLS AES-128, fetching key.bin) in headless Chromium; ffmpeg reads
 * the AES-128 multivariant playlist and decodes exactly the source's frames.
 * Each has a wrong-key twin that must fail.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mediaFixture } from '../fixtures/media.js';
import { CHROMIUM, requireTool } from '../helpers/tools.js';
import { runInProcess } from '../helpers/cli.js';
import { clearKeyLicense, lazyBrowser, sourceThumbnail, startServer, thumbnailSimilarity, type TestServer } from '../e2e/harness.js';

const KID = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const WRONG = 'ffeeddccbbaa99887766554433221100';
const SAME_PICTURE = 0.97;

const dir = mkdtempSync(join(tmpdir(), 'keysmith-package-e2e-'));
const browser = lazyBrowser();
let server: TestServer;

before(async () => {
  server = await startServer({ root: dir });
  server.route('POST', '/license', clearKeyLicense({ [KID]: KEY }));
  server.route('POST', '/license-wrong', clearKeyLicense({ [KID]: WRONG }));
});

after(async () => {
  await browser.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function pack(name: string, args: string[]): Promise<string> {
  const out = join(dir, name);
  const r = await runInProcess(['package', mediaFixture('ladder-480'), mediaFixture('ladder-240'), '-o', out, '--segment-duration', '2', ...args]);
  assert.equal(r.status, 0, r.stderr);
  return out;
}

function tools(t: Parameters<typeof requireTool>[0]): boolean {
  return requireTool(t, 'ffmpeg') && requireTool(t, CHROMIUM, 'apt-get install chromium');
}

for (const scheme of ['cenc', 'cbcs'] as const) {
  test(`shaka-player plays our DASH ${scheme} ladder with ClearKey past 3 s, showing the source's picture; hls.js the HLS over the same segments; not with a wrong key`, async (t) => {
    if (!tools(t)) return;
    await pack(`dash-${scheme}`, ['--dash', '--hls', '--encryption', scheme, '--key', `${KID}:${KEY}`, '--drm', 'clearkey,widevine,playready']);
    const b = await browser.get();
    const url = `/dash-${scheme}/manifest.mpd`;
    const reference = sourceThumbnail(mediaFixture('ladder-480'), 2.02);
    const inline = await b.play(server, { player: 'shaka', url, clearKeys: { [KID]: KEY }, thumbnailAt: 2.02, screenshot: `package/shaka-${scheme}.png` });
    assert.ok(inline.played, `inline keys: ${JSON.stringify({ ...inline, console: inline.console.slice(-5) })}`);
    assert.ok(inline.currentTime >= 3 && inline.errors.length === 0);
    const sim = thumbnailSimilarity(inline.thumbnail ?? [], reference);
    assert.ok(sim > SAME_PICTURE, `the played picture is the source's (similarity ${sim.toFixed(3)})`);

    const licensed = await b.play(server, { player: 'shaka', url, licenseUrl: '/license' });
    assert.ok(licensed.played, `licence endpoint: ${JSON.stringify(licensed.errors)}`);

    const wrong = await b.play(server, { player: 'shaka', url, licenseUrl: '/license-wrong', timeoutMs: 8000, thumbnailAt: 2.02 });
    const far = wrong.thumbnail ? thumbnailSimilarity(wrong.thumbnail, reference) : 0;
    assert.ok(!wrong.played || far < SAME_PICTURE - 0.1, `a wrong key must not play the picture (similarity ${far.toFixed(3)})`);

    // HLS (SAMPLE-AES${scheme === 'cenc' ? '-CTR' : ''}, KEYFORMAT org.w3.clearkey) over the same segment files.
    const hls = await b.play(server, { player: 'hls', url: `/dash-${scheme}/master.m3u8`, licenseUrl: '/license', thumbnailAt: 2.02 });
    assert.ok(hls.played, `hls.js: ${JSON.stringify({ errors: hls.errors, console: hls.console.slice(-5) })}`);
    const hsim = thumbnailSimilarity(hls.thumbnail ?? [], reference);
    assert.ok(hsim > SAME_PICTURE, `hls.js shows the source's picture (similarity ${hsim.toFixed(3)})`);
  });
}

test('hls.js plays our HLS AES-128 ladder fetching key.bin; a wrong key.bin fails', async (t) => {
  if (!tools(t)) return;
  const out = await pack('hls-cbc', ['--hls', '--encryption', 'cbc', '--key', `${KID}:${KEY}`]);
  assert.equal(statSync(join(out, 'key.bin')).mode & 0o777, 0o600);
  assert.equal(readFileSync(join(out, 'key.bin')).toString('hex'), KEY);
  const b = await browser.get();
  const good = await b.play(server, { player: 'hls', url: '/hls-cbc/master.m3u8', screenshot: 'package/hls-aes128.png' });
  assert.ok(good.played, `did not play: ${JSON.stringify({ ...good, console: good.console.slice(-5) })}`);
  assert.ok(server.requests.some((r) => r.path === '/hls-cbc/key.bin' && r.status === 200), 'the key was fetched');

  cpSync(out, join(dir, 'hls-cbc-wrong'), { recursive: true });
  writeFileSync(join(dir, 'hls-cbc-wrong', 'key.bin'), Buffer.from(WRONG, 'hex'));
  const bad = await b.play(server, { player: 'hls', url: '/hls-cbc-wrong/master.m3u8', timeoutMs: 8000 });
  assert.equal(bad.played, false);
});

function md5OfVideo(args: string[]): string {
  const r = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', ...args, '-map', '0:v:0', '-f', 'md5', '-'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('ffmpeg reads our HLS AES-128 multivariant playlist and decodes exactly the source frames', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const out = join(dir, 'hls-cbc-ffmpeg');
  const r = await runInProcess(['package', mediaFixture('h264-aac'), '-o', out, '--hls', '--encryption', 'cbc', '--key', `${KID}:${KEY}`, '--segment-duration', '1']);
  assert.equal(r.status, 0, r.stderr);
  const ours = md5OfVideo(['-allowed_extensions', 'ALL', '-i', join(out, 'master.m3u8')]);
  const source = md5OfVideo(['-i', mediaFixture('h264-aac')]);
  assert.equal(ours, source);
  // And the segments are really encrypted: without the key nothing decodes.
  const first = readFileSync(join(out, 'video-240p', '1.m4s'));
  assert.ok(!first.subarray(4, 8).equals(Buffer.from('styp')) && !first.subarray(4, 8).equals(Buffer.from('moof')));
});
