/**
 * End to end in Chromium (headless, via playwright-core and the shared
 * harness test/e2e/harness.ts): players nobody here wrote fetch their keys
 * from the key server with a token.
 *   - hls.js plays HLS AES-128 (made by ffmpeg, -hls_key_info_file) whose key
 *     URI points at the server with ?token=;
 *   - shaka-player plays DASH cenc (made by the Shaka Packager binary, raw
 *     key, clear lead 0, common-system PSSH) with its ClearKey license from
 *     the server, sending Authorization: Bearer (a CORS preflight).
 * Both show the source's picture with a good token and fail with a bad one.
 * The same two players then play what `keysmith package` made (HLS AES-128
 * and DASH cenc), with keys from `keysmith serve`: the whole path of the
 * project, from an MP4 to a picture, through nothing but keysmith.
 * The key server runs on another origin than the content, as in production.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { mediaFixture } from '../fixtures/media.js';
import { runInProcess } from '../helpers/cli.js';
import { CHROMIUM, SHAKA_PACKAGER, requireTool } from '../helpers/tools.js';
import { lazyBrowser, sourceThumbnail, startServer as startContentServer, thumbnailSimilarity, type TestServer } from './harness.js';
import { KEYS, TOKEN_KID, WRONG_SECRET, startServer as startKeyServer, token, type Running } from '../server/helpers.js';

const KEY = KEYS.find((k) => k.kid.equals(TOKEN_KID))!;
const SOURCE = 'h264-aac' as const;
/** The played picture is the source's (the right key scores ~0.96 on this 320x240 content; the packaging tests' 0.97 is for 854x480). */
const SAME_PICTURE = 0.9;
const AT = 2.02;

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.error?.message ?? r.stderr.slice(-2000)}`);
}

/** HLS AES-128 with ffmpeg; the key URI is a placeholder each test rewrites. */
function makeHls(dir: string): void {
  const out = join(dir, 'hls');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'key.bin'), KEY.key.bytes);
  // -hls_key_info_file: key URI, key file path, IV (hex).
  writeFileSync(join(out, 'keyinfo'), `KEY_URI_PLACEHOLDER\n${join(out, 'key.bin')}\n000102030405060708090a0b0c0d0e0f\n`);
  run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i', mediaFixture(SOURCE), '-c', 'copy', '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod',
    '-hls_key_info_file', join(out, 'keyinfo'), '-hls_segment_filename', join(out, 'seg%d.ts'), join(out, 'template.m3u8')]);
  rmSync(join(out, 'key.bin')); // the player must get the key from the server
}

/** The same content through `keysmith package`: HLS AES-128 (key URI rewritten per test) and DASH cenc for ClearKey. */
async function makeWithKeysmith(dir: string): Promise<void> {
  const key = `${KEY.kid.hex}:${KEY.key.exportHex()}`;
  const common = [mediaFixture(SOURCE), '--key', key, '--segment-duration', '2'];
  const hls = await runInProcess(['package', ...common, '-o', join(dir, 'ks-hls'), '--hls', '--encryption', 'cbc', '--hls-key-uri', 'KEY_URI_PLACEHOLDER']);
  assert.equal(hls.status, 0, hls.stderr);
  const dash = await runInProcess(['package', ...common, '-o', join(dir, 'ks-dash'), '--dash', '--encryption', 'cenc', '--drm', 'clearkey']);
  assert.equal(dash.status, 0, dash.stderr);
}

/** DASH cenc with the Shaka Packager binary: raw key, no clear lead, common-system PSSH (1077efec). */
function makeDash(dir: string): void {
  const out = join(dir, 'dash');
  mkdirSync(out, { recursive: true });
  const input = mediaFixture(SOURCE);
  run(SHAKA_PACKAGER, [
    `in=${input},stream=video,output=${join(out, 'video.mp4')}`,
    `in=${input},stream=audio,output=${join(out, 'audio.mp4')}`,
    '--enable_raw_key_encryption',
    '--keys', `label=:key_id=${KEY.kid.hex}:key=${KEY.key.exportHex()}`,
    '--protection_scheme', 'cenc',
    '--clear_lead', '0',
    '--protection_systems', 'CommonSystem',
    '--mpd_output', join(out, 'stream.mpd'),
  ]);
  assert.match(readFileSync(join(out, 'stream.mpd'), 'utf8'), /1077efec-c0b2-4d02-ace3-3c1e52e2fb4b/i, 'common PSSH signaled');
}

describe('browser playback with keys from keysmith serve', { concurrency: false }, () => {
  const browser = lazyBrowser();
  let work: string | undefined;
  let content: TestServer | undefined;
  let keyServer: Running | undefined;
  let reference: number[] = [];

  function tools(t: TestContext): boolean {
    return requireTool(t, 'ffmpeg') && requireTool(t, SHAKA_PACKAGER, 'npm ci (shaka-packager)') && requireTool(t, CHROMIUM, 'apt-get install chromium');
  }

  /** Content and servers, made once, on first use (a file whose tests all skip makes nothing). */
  async function setUp(): Promise<{ content: TestServer; keyServer: Running; work: string }> {
    if (!work || !content || !keyServer) {
      work = mkdtempSync(join(tmpdir(), 'keysmith-e2e-serve-'));
      makeHls(work);
      makeDash(work);
      await makeWithKeysmith(work);
      reference = sourceThumbnail(mediaFixture(SOURCE), AT);
      content = await startContentServer({ root: work });
      keyServer = await startKeyServer();
    }
    return { content, keyServer, work };
  }

  after(async () => {
    await browser.close();
    await keyServer?.close();
    await content?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function hlsPlaylist(s: { keyServer: Running; work: string }, name: string, tok: string, source: { dir: string; playlist: string } = { dir: 'hls', playlist: 'template.m3u8' }): string {
    const uri = `${s.keyServer.url}/keys/aes/${TOKEN_KID.uuid}?token=${encodeURIComponent(tok)}`;
    const dir = join(s.work, source.dir);
    // keysmith's multivariant playlist names media playlists: rewrite each one's key URI under a per-test prefix.
    for (const f of source.playlist === 'master.m3u8' ? ['master.m3u8', 'audio.m3u8', 'video-240p.m3u8'] : [source.playlist]) {
      const text = readFileSync(join(dir, f), 'utf8').replaceAll('KEY_URI_PLACEHOLDER', uri).replace(/^(audio|video-240p)\.m3u8$/gm, `${name}-$1.m3u8`).replace(/URI="(audio|video-240p)\.m3u8"/g, `URI="${name}-$1.m3u8"`);
      writeFileSync(join(dir, f === source.playlist ? `${name}.m3u8` : `${name}-${f}`), text);
    }
    return `/${source.dir}/${name}.m3u8`;
  }

  test('hls.js plays HLS AES-128 with its key from serve (token in the key URI); a bad token fails', async (t) => {
    if (!tools(t)) return;
    const s = await setUp();
    const b = await browser.get();
    const good = await b.play(s.content, { player: 'hls', url: hlsPlaylist(s, 'good', await token({ kid: TOKEN_KID })), thumbnailAt: AT });
    assert.ok(good.played, `hls.js: ${JSON.stringify({ errors: good.errors, console: good.console.slice(-5) })}`);
    const sim = thumbnailSimilarity(good.thumbnail ?? [], reference);
    assert.ok(sim > SAME_PICTURE, `the played picture is the source's (similarity ${sim.toFixed(3)})`);
    assert.ok(s.keyServer.logs.some((l) => l.endpoint === 'aes-key' && l.status === 200), 'the key came from serve');

    const bad = await b.play(s.content, { player: 'hls', url: hlsPlaylist(s, 'bad', await token({ kid: TOKEN_KID, secret: WRONG_SECRET })), timeoutMs: 10_000 });
    assert.ok(!bad.played, 'a bad token must not play');
    assert.ok(bad.errors.some((e) => /keyLoadError/i.test(e)), bad.errors.join('; '));
    assert.ok(s.keyServer.logs.some((l) => l.endpoint === 'aes-key' && l.status === 401 && l.code === 'ERR_TOKEN_SIGNATURE'));
  });

  test('shaka-player plays DASH cenc with a ClearKey license from serve (bearer token); a bad token fails', async (t) => {
    if (!tools(t)) return;
    const s = await setUp();
    const b = await browser.get();
    const licenseUrl = `${s.keyServer.url}/keys/clearkey`;
    const good = await b.play(s.content, { player: 'shaka', url: '/dash/stream.mpd', licenseUrl, licenseHeaders: { Authorization: `Bearer ${await token({ kid: TOKEN_KID })}` }, thumbnailAt: AT });
    assert.ok(good.played, `shaka: ${JSON.stringify({ errors: good.errors, console: good.console.slice(-5) })}`);
    const sim = thumbnailSimilarity(good.thumbnail ?? [], reference);
    assert.ok(sim > SAME_PICTURE, `the played picture is the source's (similarity ${sim.toFixed(3)})`);
    assert.ok(s.keyServer.logs.some((l) => l.endpoint === 'clearkey' && l.status === 200), 'the license came from serve');
    assert.ok(s.keyServer.logs.some((l) => l.endpoint === 'clearkey' && l.method === 'OPTIONS' && l.status === 204), 'CORS preflight for Authorization');

    const badToken = await token({ kid: TOKEN_KID, secret: WRONG_SECRET });
    const bad = await b.play(s.content, { player: 'shaka', url: '/dash/stream.mpd', licenseUrl, licenseHeaders: { Authorization: `Bearer ${badToken}` }, timeoutMs: 10_000 });
    assert.ok(!bad.played, 'a bad token must not play');
    assert.ok(bad.errors.some((e) => /6007/.test(e)), bad.errors.join('; ')); // LICENSE_REQUEST_FAILED
  });

  test('hls.js plays HLS AES-128 made by keysmith package, its key from serve; a bad token fails', async (t) => {
    if (!tools(t)) return;
    const s = await setUp();
    const b = await browser.get();
    const source = { dir: 'ks-hls', playlist: 'master.m3u8' };
    const good = await b.play(s.content, { player: 'hls', url: hlsPlaylist(s, 'ks-good', await token({ kid: TOKEN_KID }), source), thumbnailAt: AT });
    assert.ok(good.played, `hls.js: ${JSON.stringify({ errors: good.errors, console: good.console.slice(-5) })}`);
    const sim = thumbnailSimilarity(good.thumbnail ?? [], reference);
    assert.ok(sim > SAME_PICTURE, `the played picture is the source's (similarity ${sim.toFixed(3)})`);

    const bad = await b.play(s.content, { player: 'hls', url: hlsPlaylist(s, 'ks-bad', await token({ kid: TOKEN_KID, secret: WRONG_SECRET }), source), timeoutMs: 10_000 });
    assert.ok(!bad.played, 'a bad token must not play');
    assert.ok(bad.errors.some((e) => /keyLoadError/i.test(e)), bad.errors.join('; '));
  });

  test('shaka-player plays DASH cenc made by keysmith package with a ClearKey license from serve; a bad token fails', async (t) => {
    if (!tools(t)) return;
    const s = await setUp();
    const b = await browser.get();
    const licenseUrl = `${s.keyServer.url}/keys/clearkey`;
    const good = await b.play(s.content, { player: 'shaka', url: '/ks-dash/manifest.mpd', licenseUrl, licenseHeaders: { Authorization: `Bearer ${await token({ kid: TOKEN_KID })}` }, thumbnailAt: AT });
    assert.ok(good.played, `shaka: ${JSON.stringify({ errors: good.errors, console: good.console.slice(-5) })}`);
    const sim = thumbnailSimilarity(good.thumbnail ?? [], reference);
    assert.ok(sim > SAME_PICTURE, `the played picture is the source's (similarity ${sim.toFixed(3)})`);

    const bad = await b.play(s.content, { player: 'shaka', url: '/ks-dash/manifest.mpd', licenseUrl, licenseHeaders: { Authorization: `Bearer ${await token({ kid: TOKEN_KID, secret: WRONG_SECRET })}` }, timeoutMs: 10_000 });
    assert.ok(!bad.played, 'a bad token must not play');
    assert.ok(bad.errors.some((e) => /6007/.test(e)), bad.errors.join('; '));
  });
});
