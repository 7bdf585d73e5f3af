/**
 * End to end in Chromium (headless, via playwright-core): players nobody
 * here wrote fetch their keys from the key server with a token.
 *   - hls.js plays HLS AES-128 (made by ffmpeg, -hls_key_info_file) whose key
 *     URI points at the server with ?token=;
 *   - shaka-player plays DASH cenc (made by the Shaka Packager binary, raw
 *     key, clear lead 0, common-system PSSH) with its ClearKey license from
 *     the server, sending Authorization: Bearer (a CORS preflight).
 * Both fail with a bad token. The key server runs on another origin than the
 * content, so CORS is exercised as in production.
 *
 * A small harness of its own (static server + page per player): the package
 * helper's reusable harness (test/e2e/harness.ts, branch `package`) had not
 * landed on main when this was written.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { mediaFixture } from '../fixtures/media.js';
import { CHROMIUM, SHAKA_PACKAGER, hasTool } from '../helpers/tools.js';
import { KEYS, TOKEN_KID, WRONG_SECRET, startServer, token, type Running } from '../server/helpers.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const KEY = KEYS.find((k) => k.kid.equals(TOKEN_KID))!;
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const missing = ['ffmpeg', CHROMIUM, SHAKA_PACKAGER].filter((tool) => !hasTool(tool));

const MIME: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.mpd': 'application/dash+xml',
  '.mp4': 'video/mp4',
  '.js': 'text/javascript',
  '.html': 'text/html; charset=utf-8',
};

/** Static files from a few mounts, no traversal. */
function staticServer(mounts: [string, string][]): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      const file = resolve(dir, `.${sep}${path.slice(prefix.length)}`);
      if (!file.startsWith(resolve(dir) + sep) || !existsSync(file) || !statSync(file).isFile()) break;
      res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Content-Length': statSync(file).size, 'Cache-Control': 'no-store' });
      createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () =>
      done({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.error?.message ?? r.stderr.slice(-2000)}`);
}

/** HLS AES-128 with ffmpeg: the key URI is a placeholder rewritten per test. */
function makeHls(dir: string): void {
  mkdirSync(join(dir, 'hls'), { recursive: true });
  writeFileSync(join(dir, 'hls', 'key.bin'), KEY.key.bytes);
  // -hls_key_info_file: key URI, key file path, IV (hex).
  writeFileSync(join(dir, 'hls', 'keyinfo'), `KEY_URI_PLACEHOLDER\n${join(dir, 'hls', 'key.bin')}\n000102030405060708090a0b0c0d0e0f\n`);
  run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i', mediaFixture('h264-aac'), '-c', 'copy', '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod',
    '-hls_key_info_file', join(dir, 'hls', 'keyinfo'), '-hls_segment_filename', join(dir, 'hls', 'seg%d.ts'), join(dir, 'hls', 'template.m3u8')]);
  rmSync(join(dir, 'hls', 'key.bin'));
}

/** DASH cenc with the Shaka Packager binary: raw key, no clear lead, common-system PSSH. */
function makeDash(dir: string): void {
  const out = join(dir, 'dash');
  mkdirSync(out, { recursive: true });
  const input = mediaFixture('h264-aac');
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

const PAGE_COMMON = `<video id="v" muted autoplay playsinline></video><script>
window.ks = { errors: [], t: () => document.getElementById('v').currentTime };
const fail = (e) => window.ks.errors.push(String(e));
</script>`;

const HLS_PAGE = `<!doctype html><meta charset="utf-8">${PAGE_COMMON}<script src="/_lib/hls/hls.js"></script><script>
const src = new URLSearchParams(location.search).get('src');
const noRetry = { default: { maxTimeToFirstByteMs: 8000, maxLoadTimeMs: 20000, timeoutRetry: null, errorRetry: null } };
const hls = new Hls({ enableWorker: false, keyLoadPolicy: noRetry });
hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) fail('hls ' + d.details + ' ' + (d.response ? d.response.code : '')); });
hls.loadSource(src); hls.attachMedia(document.getElementById('v'));
hls.on(Hls.Events.MANIFEST_PARSED, () => document.getElementById('v').play().catch(fail));
</script>`;

const SHAKA_PAGE = `<!doctype html><meta charset="utf-8">${PAGE_COMMON}<script src="/_lib/shaka/shaka-player.compiled.js"></script><script>
(async () => {
  const q = new URLSearchParams(location.search);
  shaka.polyfill.installAll();
  const player = new shaka.Player();
  await player.attach(document.getElementById('v'));
  player.configure({ drm: { servers: { 'org.w3.clearkey': q.get('license') } } });
  player.getNetworkingEngine().registerRequestFilter((type, req) => {
    if (type === shaka.net.NetworkingEngine.RequestType.LICENSE) req.headers['Authorization'] = 'Bearer ' + q.get('token');
  });
  player.addEventListener('error', (e) => fail('shaka ' + e.detail.code));
  try { await player.load(q.get('src')); await document.getElementById('v').play(); } catch (e) { fail('shaka ' + (e.code || e)); }
})();
</script>`;

describe('browser playback with keys from keysmith serve', { concurrency: false }, () => {
  let work: string;
  let content: { url: string; close(): Promise<void> };
  let keyServer: Running;
  let context: BrowserContext;

  before(async () => {
    if (missing.length > 0) return;
    work = mkdtempSync(join(tmpdir(), 'keysmith-e2e-serve-'));
    makeHls(work);
    makeDash(work);
    mkdirSync(join(work, 'pages'));
    writeFileSync(join(work, 'pages', 'hls.html'), HLS_PAGE);
    writeFileSync(join(work, 'pages', 'shaka.html'), SHAKA_PAGE);
    content = await staticServer([
      ['/_lib/hls/', join(REPO, 'node_modules', 'hls.js', 'dist')],
      ['/_lib/shaka/', join(REPO, 'node_modules', 'shaka-player', 'dist')],
      ['/', work],
    ]);
    keyServer = await startServer();
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'keysmith-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
    });
  });

  after(async () => {
    await context?.close();
    await keyServer?.close();
    await content?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Open a page; resolve when the video played 1.5 s, or an error was reported (or 30 s passed). */
  async function play(page: string): Promise<{ time: number; errors: string[] }> {
    const p = await context.newPage();
    try {
      await p.goto(`${content.url}${page}`);
      await p.waitForFunction(() => {
        const w = (globalThis as unknown as { ks?: { errors: string[]; t(): number } });
        return w.ks !== undefined && (w.ks.errors.length > 0 || w.ks.t() >= 1.5);
      }, undefined, { timeout: 30_000, polling: 100 });
      return await p.evaluate(() => {
        const w = globalThis as unknown as { ks: { errors: string[]; t(): number } };
        return { time: w.ks.t(), errors: w.ks.errors };
      });
    } finally {
      await p.close();
    }
  }

  function hlsPlaylist(name: string, tok: string): string {
    const uri = `${keyServer.url}/keys/aes/${TOKEN_KID.uuid}?token=${encodeURIComponent(tok)}`;
    writeFileSync(join(work, 'hls', name), readFileSync(join(work, 'hls', 'template.m3u8'), 'utf8').replaceAll('KEY_URI_PLACEHOLDER', uri));
    return `/hls/${name}`;
  }

  function skipIfMissing(t: import('node:test').TestContext): boolean {
    if (missing.length === 0) return false;
    if (inCi) throw new Error(`missing tools in CI: ${missing.join(', ')}`);
    t.skip(`not installed: ${missing.join(', ')}`);
    return true;
  }

  test('hls.js plays HLS AES-128 with its key from serve (token in the key URI)', async (t) => {
    if (skipIfMissing(t)) return;
    const src = hlsPlaylist('good.m3u8', await token({ kid: TOKEN_KID }));
    const r = await play(`/pages/hls.html?src=${encodeURIComponent(src)}`);
    assert.deepEqual(r.errors, []);
    assert.ok(r.time >= 1.5);
    assert.ok(keyServer.logs.some((l) => l.endpoint === 'aes-key' && l.status === 200));
  });

  test('hls.js fails with a bad token', async (t) => {
    if (skipIfMissing(t)) return;
    const src = hlsPlaylist('bad.m3u8', await token({ kid: TOKEN_KID, secret: WRONG_SECRET }));
    const r = await play(`/pages/hls.html?src=${encodeURIComponent(src)}`);
    assert.ok(r.errors.some((e) => /keyLoadError/i.test(e)), r.errors.join('; '));
    assert.ok(r.time < 0.5);
  });

  test('shaka-player plays DASH cenc with a ClearKey license from serve (bearer token)', async (t) => {
    if (skipIfMissing(t)) return;
    const tok = await token({ kid: TOKEN_KID });
    const r = await play(`/pages/shaka.html?src=/dash/stream.mpd&license=${encodeURIComponent(`${keyServer.url}/keys/clearkey`)}&token=${encodeURIComponent(tok)}`);
    assert.deepEqual(r.errors, []);
    assert.ok(r.time >= 1.5);
    assert.ok(keyServer.logs.some((l) => l.endpoint === 'clearkey' && l.status === 200));
    assert.ok(keyServer.logs.some((l) => l.endpoint === 'clearkey' && l.method === 'OPTIONS' && l.status === 204), 'CORS preflight for Authorization');
  });

  test('shaka-player fails with a bad token', async (t) => {
    if (skipIfMissing(t)) return;
    const tok = await token({ kid: TOKEN_KID, secret: WRONG_SECRET });
    const r = await play(`/pages/shaka.html?src=/dash/stream.mpd&license=${encodeURIComponent(`${keyServer.url}/keys/clearkey`)}&token=${encodeURIComponent(tok)}`);
    assert.ok(r.errors.some((e) => /shaka 6007/.test(e)), r.errors.join('; ')); // LICENSE_REQUEST_FAILED
    assert.ok(r.time < 0.5);
  });
});
