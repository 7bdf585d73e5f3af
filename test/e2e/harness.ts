/**
 * Browser test harness: a small local HTTP server and a headless Chromium
 * driver, so players nobody here wrote (shaka-player, hls.js) can prove that
 * our output plays.
 *
 *   const server = await startServer({ root: outDir });
 *   server.route('POST', '/license', clearKeyLicense({ [kidHex]: keyHex }));
 *   const browser = await openBrowser();                 // one launch per test file
 *   const r = await browser.play(server, { player: 'shaka', url: '/stream.mpd', licenseUrl: '/license' });
 *   assert.ok(r.currentTime >= 3 && r.errors.length === 0);
 *   await browser.close(); await server.close();
 *
 * The server serves `root` at `/`, the player builds at `/_lib/shaka/` and
 * `/_lib/hls/`, and the test pages at `/_pages/` (shaka.html, hls.html; both
 * can also be opened by hand: see the query parameters in each page).
 * Routes added with `route()` take precedence over static files. Every
 * request is logged in `server.requests` (for "the key was fetched" checks).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { CHROMIUM } from '../helpers/tools.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const PAGES_DIR = join(REPO, 'test', 'e2e', 'pages');
export const ARTIFACTS_DIR = join(REPO, 'test', 'artifacts');

/** MIME types by extension; DASH-IF IOP and RFC 8216 §4 name the manifest types. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.mpd': 'application/dash+xml',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.cmfv': 'video/mp4',
  '.cmfa': 'audio/mp4',
  '.ts': 'video/mp2t',
  '.aac': 'audio/aac',
  '.vtt': 'text/vtt',
  '.key': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

export function mimeType(path: string): string {
  return MIME_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** A route handler gets the request, the response and the whole request body. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:40123 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly requests: RequestLogEntry[];
  /** Add a route (method '*' matches any). A string path matches exactly (query ignored). */
  route(method: string, path: string | RegExp, handler: RouteHandler): void;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Directory served at `/`. */
  root: string;
  /** Extra directories, e.g. { '/other/': dir }. */
  mounts?: Record<string, string>;
  port?: number;
}

interface Route {
  method: string;
  path: string | RegExp;
  handler: RouteHandler;
}

const MAX_BODY = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Map a URL path to a file under one of the mounts; undefined if outside them (no traversal). */
function fileFor(mounts: [string, string][], urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  for (const [prefix, dir] of mounts) {
    if (!decoded.startsWith(prefix)) continue;
    const base = resolve(dir);
    const file = resolve(base, '.' + sep + decoded.slice(prefix.length));
    if (file !== base && !file.startsWith(base + sep)) return undefined;
    return file;
  }
  return undefined;
}

/** `Range: bytes=a-b` (one range; RFC 9110 §14.1.2). Undefined: serve whole. Null: unsatisfiable. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '' && m[2] === '') return undefined;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return null;
  return { start, end };
}

export async function startServer(options: ServerOptions): Promise<TestServer> {
  const routes: Route[] = [];
  const requests: RequestLogEntry[] = [];
  const mounts: [string, string][] = [
    ['/_lib/shaka/', join(REPO, 'node_modules', 'shaka-player', 'dist')],
    ['/_lib/hls/', join(REPO, 'node_modules', 'hls.js', 'dist')],
    ['/_pages/', PAGES_DIR],
    ...Object.entries(options.mounts ?? {}),
    ['/', options.root],
  ];

  async function serveStatic(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const file = fileFor(mounts, path);
    let size: number;
    try {
      if (!file) throw new Error('outside');
      const st = await fs.stat(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const headers: Record<string, string | number> = {
      'Content-Type': mimeType(file),
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'no-store',
    };
    const range = parseRange(req.headers.range, size);
    if (range === null) {
      res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
      return;
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    headers['Content-Length'] = size === 0 ? 0 : end - start + 1;
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    createReadStream(file, { start, end }).on('error', () => res.destroy()).pipe(res);
  }

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    res.on('finish', () => requests.push({ method: req.method ?? 'GET', path, status: res.statusCode, headers: req.headers }));
    // Players on another origin (a key server on another port) may call us.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', '*');
    res.setHeader('Access-Control-Expose-Headers', '*');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Methods': 'GET, HEAD, POST, OPTIONS' }).end();
      return;
    }
    const route = routes.find(
      (r) => (r.method === '*' || r.method === req.method) && (typeof r.path === 'string' ? r.path === path : r.path.test(path)),
    );
    const work = route
      ? readBody(req).then((body) => route.handler(req, res, body))
      : req.method === 'GET' || req.method === 'HEAD'
        ? serveStatic(req, res, path)
        : Promise.resolve(void res.writeHead(405).end());
    work.catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`harness error: ${(err as Error).message}\n`);
    });
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    route(method, path, handler) {
      routes.push({ method: method.toUpperCase(), path, handler });
    },
    close() {
      server.closeAllConnections();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}

function b64url(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64url');
}

/**
 * A W3C ClearKey license endpoint (EME §9.1.3/9.1.4): the request is
 * `{"kids":["<b64url>"],"type":"temporary"}`, the answer a JWK set with the
 * keys it asked for that we know. `keys` maps KID hex → key hex. Requests
 * that are not JSON get 400.
 */
export function clearKeyLicense(keys: Readonly<Record<string, string>>): RouteHandler {
  const byKid = new Map(Object.entries(keys).map(([kid, key]) => [b64url(kid.replace(/-/g, '')), b64url(key)]));
  return (_req, res, body) => {
    let kids: string[];
    try {
      const request = JSON.parse(body.toString('utf8')) as { kids?: unknown };
      if (!Array.isArray(request.kids)) throw new Error('no kids');
      kids = request.kids.filter((k): k is string => typeof k === 'string');
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('expected a ClearKey license request\n');
      return;
    }
    const found = kids.flatMap((kid) => {
      const k = byKid.get(kid);
      return k === undefined ? [] : [{ kty: 'oct', kid, k }];
    });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: found, type: 'temporary' }));
  };
}

/** Serve fixed bytes (e.g. an HLS AES-128 key) at a route. */
export function staticBytes(bytes: Uint8Array, contentType = 'application/octet-stream'): RouteHandler {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': bytes.length }).end(Buffer.from(bytes));
  };
}

// ---------------------------------------------------------------- browser

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
] as const;

export interface PlayRequest {
  player: 'shaka' | 'hls';
  /** Manifest or playlist URL, absolute or a path on the server. */
  url: string;
  /** Inline ClearKey keys, KID hex → key hex (shaka only; hls.js needs a licenseUrl). */
  clearKeys?: Readonly<Record<string, string>>;
  /** ClearKey license server URL (absolute or a path on the server). */
  licenseUrl?: string;
  /** Extra headers on license requests (e.g. Authorization: Bearer …). */
  licenseHeaders?: Readonly<Record<string, string>>;
  /** Extra headers on HLS AES-128 key requests (hls.js). */
  keyHeaders?: Readonly<Record<string, string>>;
  /** Play until currentTime reaches this (seconds). Default 3. */
  minTime?: number;
  /** Give up after this long (ms). Default 20000. */
  timeoutMs?: number;
  /** Write a PNG of the playing video element here (relative: under test/artifacts/). */
  screenshot?: string;
  /**
   * After playing, seek here (seconds) and return a THUMB_W×THUMB_H luma
   * thumbnail of the decoded picture, to compare with the source's
   * (`sourceThumbnail`). A wrong key often still "plays" (the decoder
   * conceals garbage); only the picture tells.
   */
  thumbnailAt?: number;
}

export interface PlayResult {
  /** currentTime when we stopped watching. */
  currentTime: number;
  /** True when currentTime reached minTime with no error. */
  played: boolean;
  /** Player and media element errors, as text. */
  errors: string[];
  /** Frames the video element decoded (getVideoPlaybackQuality). */
  decodedFrames: number;
  /** Events of note (loaded, playing, encrypted, waitingforkey …). */
  events: string[];
  /** Console lines of the page (for diagnosis). */
  console: string[];
  screenshot?: string;
  thumbnail?: number[];
}

export interface BrowserSession {
  play(server: TestServer, request: PlayRequest): Promise<PlayResult>;
  close(): Promise<void>;
}

interface PageState {
  currentTime: number;
  errors: string[];
  events: string[];
  decodedFrames: number;
}

function absolute(server: TestServer, url: string): string {
  return /^[a-z]+:\/\//i.test(url) ? url : server.url + (url.startsWith('/') ? url : '/' + url);
}

/** The page URL for a request: both pages read the same query parameters. */
export function pageUrl(server: TestServer, request: PlayRequest): string {
  const q = new URLSearchParams();
  q.set('src', absolute(server, request.url));
  if (request.clearKeys) q.set('keys', Object.entries(request.clearKeys).map(([k, v]) => `${k.replace(/-/g, '')}:${v}`).join(','));
  if (request.licenseUrl) q.set('license', absolute(server, request.licenseUrl));
  for (const [k, v] of Object.entries(request.licenseHeaders ?? {})) q.append('licenseHeader', `${k}:${v}`);
  for (const [k, v] of Object.entries(request.keyHeaders ?? {})) q.append('keyHeader', `${k}:${v}`);
  return `${server.url}/_pages/${request.player}.html?${q.toString()}`;
}

/** Launch headless Chromium (the system one). One launch per test file; pages are cheap. */
export async function openBrowser(): Promise<BrowserSession> {
  const { chromium } = await import('playwright-core');
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] });
  return {
    async play(server, request) {
      const minTime = request.minTime ?? 3;
      const timeoutMs = request.timeoutMs ?? 20_000;
      const context = await browser.newContext({ viewport: { width: 960, height: 600 } });
      const page = await context.newPage();
      const consoleLines: string[] = [];
      page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
      try {
        page.setDefaultTimeout(15_000);
        await page.goto(pageUrl(server, request));
        const deadline = Date.now() + timeoutMs;
        let state: PageState = { currentTime: 0, errors: [], events: [], decodedFrames: 0 };
        for (;;) {
          state = await page.evaluate(() => {
            const s = (globalThis as unknown as { __ks?: PageState }).__ks;
            return s ? { ...s, errors: [...s.errors], events: [...s.events] } : { currentTime: 0, errors: [], events: [], decodedFrames: 0 };
          });
          if (state.errors.length > 0 || state.currentTime >= minTime || Date.now() > deadline) break;
          await page.waitForTimeout(200);
        }
        const played = state.errors.length === 0 && state.currentTime >= minTime;
        const result: PlayResult = { ...state, played, console: consoleLines };
        if (request.screenshot && played) {
          const path = resolve(ARTIFACTS_DIR, request.screenshot);
          await fs.mkdir(resolve(path, '..'), { recursive: true });
          await page.locator('video').evaluate((v) => (v as unknown as { pause(): void }).pause());
          await page.locator('video').screenshot({ path, timeout: 10_000 });
          result.screenshot = path;
        }
        if (request.thumbnailAt !== undefined && state.currentTime > 0) {
          const shown = await page.evaluate(
            (at) => (globalThis as unknown as { ksShowFrame(at: number): Promise<boolean> }).ksShowFrame(at),
            request.thumbnailAt,
          );
          if (shown) result.thumbnail = pictureThumbnail(await page.locator('video').screenshot({ type: 'png', timeout: 10_000 }));
        }
        return result;
      } finally {
        await context.close();
      }
    },
    close: () => browser.close(),
  };
}

export const THUMB_W = 16;
export const THUMB_H = 12;

/** Luma of an RGB pixel (BT.601 weights), the same formula the pages use. */
function luma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

function thumbnailOf(args: string[], input?: Buffer): number[] {
  const r = spawnSync(
    'ffmpeg',
    ['-nostdin', '-hide_banner', '-loglevel', 'error', ...args, '-frames:v', '1',
      '-vf', `scale=${THUMB_W}:${THUMB_H}:flags=area,format=rgb24`, '-f', 'rawvideo', '-'],
    { maxBuffer: 1 << 20, ...(input ? { input } : {}) },
  );
  if (r.status !== 0 || r.stdout.length !== THUMB_W * THUMB_H * 3) throw new Error(`ffmpeg thumbnail failed: ${String(r.stderr)}`);
  const out: number[] = [];
  for (let i = 0; i < r.stdout.length; i += 3) out.push(luma(r.stdout[i]!, r.stdout[i + 1]!, r.stdout[i + 2]!));
  return out;
}

/** The source's picture at `at` seconds as a THUMB_W×THUMB_H luma thumbnail (ffmpeg decodes and area-averages). */
export function sourceThumbnail(file: string, at: number): number[] {
  return thumbnailOf(['-ss', String(at), '-i', file]);
}

/** The same thumbnail of a PNG screenshot of the player's picture. */
export function pictureThumbnail(png: Buffer): number[] {
  return thumbnailOf(['-f', 'png_pipe', '-i', '-'], png);
}

/**
 * Pearson correlation of two thumbnails: 1 = the same picture. Insensitive
 * to brightness and contrast (Chromium's and ffmpeg's YUV→RGB conversions
 * differ in range handling), sensitive to content: a picture decoded with a
 * wrong key (concealed garbage) correlates poorly.
 */
export function thumbnailSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return 0;
  const n = a.length;
  const ma = a.reduce((x, y) => x + y, 0) / n;
  const mb = b.reduce((x, y) => x + y, 0) / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

/** True when a PNG is more than one flat colour (a decoded picture, not a black box). */
export async function pngHasPicture(path: string): Promise<boolean> {
  // PNG is zlib-compressed: a flat image compresses to almost nothing. A
  // 960×540 test-pattern frame is tens of kilobytes; a black one is < 5 KB.
  const st = await fs.stat(path);
  return st.size > 10_000;
}

/**
 * One browser per test file, launched on first use (so a file whose tests
 * all skip never starts Chromium). Close it in `after()`.
 */
export function lazyBrowser(): { get(): Promise<BrowserSession>; close(): Promise<void> } {
  let session: Promise<BrowserSession> | undefined;
  return {
    get() {
      session ??= openBrowser();
      return session;
    },
    async close() {
      if (session) await (await session).close();
      session = undefined;
    },
  };
}
