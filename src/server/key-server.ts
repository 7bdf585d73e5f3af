/**
 * The key server: AES-128 key delivery (HLS envelope, SPECS §4/§8), W3C
 * ClearKey licenses (SPECS §7), health, readiness and metrics, over node:http
 * or node:https. A library: it never reads argv, prints or exits; the CLI
 * (src/cli/commands/serve.ts) owns signals and output.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../crypto/clock.js';
import { systemClock } from '../crypto/clock.js';
import { isKeysmithError } from '../errors.js';
import { verifyToken } from '../tokens/index.js';
import type { AccessLogEntry, AccessLogSink } from './access-log.js';
import { authorize, type Decision, type VerifyFn } from './authorize.js';
import { formatLicense, parseLicenseRequest } from './clearkey.js';
import type { ServeConfig } from './config.js';
import { BodyTooLarge, readBody, sendError, sendJson, sendPreflight, setCors, tokenOf, type CorsPolicy } from './http-util.js';
import { ServerMetrics } from './metrics.js';
import { ROUTES, kidOfAesRequest, parseTarget, type RequestState } from './routes.js';
import { VerifiedTokenCache } from './token-cache.js';
import type { ReplayStore } from './replay-store.js';

export interface ServerLimits {
  /** Largest request body (bytes); past it 413. Default 16 KiB. */
  maxBodyBytes: number;
  /** Largest request head (bytes); past it 431. Default 16 KiB. */
  maxHeaderBytes: number;
  /** Time for a client to send the request head. Default 10 s. */
  headersTimeoutMs: number;
  /** Time for a client to send the whole request. Default 15 s. */
  requestTimeoutMs: number;
  /** Idle keep-alive time. Default 5 s. */
  keepAliveTimeoutMs: number;
  /** How often Node checks the two timeouts above. Default 1 s. */
  timeoutCheckMs: number;
  /** Time a readiness probe waits for the store. Default 1 s. */
  readyTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxBodyBytes: 16 * 1024,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  timeoutCheckMs: 1_000,
  readyTimeoutMs: 1_000,
};

export interface KeyServerOptions {
  config: ServeConfig;
  store: ReplayStore;
  /** The token verifier; default the token library's verifyToken. */
  verify?: VerifyFn;
  /** Cache verified tokens until their expiry (token-cache.ts); default true. */
  cacheVerifiedTokens?: boolean;
  clock?: Clock;
  tls?: { cert: Buffer | string; key: Buffer | string };
  log?: AccessLogSink;
  limits?: Partial<ServerLimits>;
  cors?: Partial<CorsPolicy>;
}


export class KeyServer {
  readonly server: Server;
  readonly metrics = new ServerMetrics();
  readonly limits: ServerLimits;
  readonly tokenCache = new VerifiedTokenCache();
  private config: ServeConfig;
  private readonly store: ReplayStore;
  private readonly verify: VerifyFn;
  private readonly clock: Clock;
  private readonly log: AccessLogSink | undefined;
  private readonly cors: CorsPolicy;
  private inFlight = 0;
  private draining = false;
  private idle: (() => void) | undefined;

  constructor(options: KeyServerOptions) {
    this.config = options.config;
    this.store = options.store;
    const verify = options.verify ?? verifyToken;
    this.verify = options.cacheVerifiedTokens === false ? verify : this.tokenCache.wrap(verify);
    this.clock = options.clock ?? systemClock;
    this.log = options.log;
    this.cors = { origin: options.cors?.origin ?? '*' };
    this.limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
    const serverOptions = {
      maxHeaderSize: this.limits.maxHeaderBytes,
      headersTimeout: this.limits.headersTimeoutMs,
      requestTimeout: this.limits.requestTimeoutMs,
      keepAliveTimeout: this.limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: this.limits.timeoutCheckMs,
    };
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => void this.dispatch(req, res);
    this.server = options.tls
      ? (createHttpsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }, onRequest) as unknown as Server)
      : createHttpServer(serverOptions, onRequest);
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      // Slow or malformed clients: answer with the status Node would, then close.
      if (!socket.writable) return socket.destroy();
      const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      this.metrics.requests.inc({ endpoint: 'none', method: 'none', status: String(status) });
      socket.end(`HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    });
  }

  /** Swap keys and policy in one step (SIGHUP). In-flight requests finish with the config they started with. */
  reload(config: ServeConfig): void {
    this.config = config;
    this.tokenCache.clear(); // entries are bound to the old restriction objects anyway
    this.metrics.reloads.inc({ result: 'ok' });
  }

  /** Count a reload that failed (the old config stays). */
  reloadFailed(): void {
    this.metrics.reloads.inc({ result: 'error' });
  }

  get currentConfig(): ServeConfig {
    return this.config;
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  /** Listen; resolves with the base URL (port 0 picks a free port). */
  listen(port: number, host: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const addr = this.server.address() as AddressInfo;
        const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        resolve(`${this.isTls ? 'https' : 'http'}://${h}:${addr.port}`);
      });
    });
  }

  private get isTls(): boolean {
    return typeof (this.server as { setSecureContext?: unknown }).setSecureContext === 'function';
  }

  /** Cut every connection now (a second SIGTERM during a drain). */
  abortConnections(): void {
    this.server.closeAllConnections();
  }

  /**
   * Drain: stop accepting connections, let in-flight requests finish (up to
   * `graceMs`), then close every connection and the store.
   */
  async close(graceMs = 10_000): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs);
        this.idle = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    this.server.closeAllConnections();
    await closed;
    await this.store.close();
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    this.inFlight++;
    const url = parseTarget(req.url);
    const s: RequestState = { req, res, url, log: { endpoint: 'none' } };
    const route = ROUTES.find((r) => r.match(url.pathname, url.searchParams));
    const method = req.method ?? 'GET';
    if (this.draining) res.setHeader('Connection', 'close');
    try {
      setCors(res, this.cors);
      if (!route) {
        this.refuse(s, 404, 'ERR_NOT_FOUND', 'no such endpoint');
      } else {
        s.log.endpoint = route.name;
        if (method === 'OPTIONS') sendPreflight(res, this.cors, route.methods);
        else if (!route.methods.includes(method)) this.refuse(s, 405, 'ERR_METHOD_NOT_ALLOWED', `use ${route.methods.join(' or ')}`, { Allow: [...route.methods, 'OPTIONS'].join(', ') });
        else await route.handle(s, this);
      }
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        res.setHeader('Connection', 'close');
        this.refuse(s, 413, 'ERR_PAYLOAD_TOO_LARGE', `the request body is larger than ${this.limits.maxBodyBytes} bytes`);
        res.once('finish', () => req.socket.destroySoon());
      } else if (isKeysmithError(err) && err.code === 'ERR_STORE_UNAVAILABLE') {
        this.refuse(s, 503, err.code, 'the replay store is unavailable; try again later', { 'Retry-After': '1' });
      } else if (!res.headersSent) {
        this.refuse(s, 500, 'ERR_INTERNAL', 'internal error');
      } else {
        res.destroy();
      }
    } finally {
      const ms = performance.now() - started;
      const endpoint = s.log.endpoint ?? 'none';
      this.metrics.requests.inc({ endpoint, method: route ? method : 'other', status: String(res.statusCode) });
      this.metrics.latency.observe({ endpoint }, ms / 1000);
      if (s.log.code) this.metrics.refusals.inc({ reason: s.log.code });
      if (this.log) {
        try {
          this.log({
            time: new Date(this.clock.now()).toISOString(),
            method,
            path: route ? url.pathname : '(unknown)',
            status: res.statusCode,
            ms: Math.round(ms * 1000) / 1000,
            remote: req.socket.remoteAddress,
            ...s.log,
            endpoint,
          } as AccessLogEntry);
        } catch {
          // A failing log sink must not take the server down.
        }
      }
      if (--this.inFlight === 0 && this.idle) this.idle();
    }
  }

  private refuse(s: RequestState, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    s.log.code = code;
    if (status === 401) headers['WWW-Authenticate'] = 'Bearer realm="keysmith"';
    sendError(s.res, status, code, message, headers);
  }

  private decisionFailed(s: RequestState, d: Extract<Decision, { ok: false }>): void {
    if (d.token) s.log.token = d.token.identity.slice(0, 16);
    this.refuse(s, d.refusal.status, d.refusal.code, d.refusal.message);
  }

  private ctx() {
    return { config: this.config, verify: this.verify, store: this.store, clock: this.clock };
  }

  /** GET|POST /keys/aes/:kid, /keys/aes?kid=, /?kid=: the raw 16-byte key (RFC 8216 §5.2), never cached. */
  async handleAesKey(s: RequestState): Promise<void> {
    if (s.req.method === 'POST') await readBody(s.req, this.limits.maxBodyBytes);
    const kid = kidOfAesRequest(s);
    if (!kid) return this.refuse(s, 400, 'ERR_BAD_REQUEST', 'the key id must be a UUID or 32 hex digits');
    s.log.kids = [kid.uuid];
    const d = await authorize(this.ctx(), [kid], tokenOf(s.req, s.url.searchParams), true);
    if (!d.ok) return this.decisionFailed(s, d);
    const key = d.value.keys[0]!.key.bytes;
    this.granted(s, d.value, 'aes-key', 1);
    s.res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': key.length,
      'Cache-Control': 'no-store',
      Pragma: 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    s.res.end(key);
  }

  /** POST /keys/clearkey: EME ClearKey license for the KIDs the caller may have. */
  async handleClearKey(s: RequestState): Promise<void> {
    const body = await readBody(s.req, this.limits.maxBodyBytes);
    const request = parseLicenseRequest(body);
    if (typeof request === 'string') return this.refuse(s, 400, 'ERR_BAD_REQUEST', request);
    s.log.kids = request.kids.map((k) => k.uuid);
    const d = await authorize(this.ctx(), request.kids, tokenOf(s.req, s.url.searchParams), false);
    if (!d.ok) return this.decisionFailed(s, d);
    this.granted(s, d.value, 'clearkey', d.value.keys.length);
    const text = formatLicense(d.value.keys, request.type);
    s.res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
      Pragma: 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    s.res.end(text);
  }

  private granted(s: RequestState, value: { token?: { identity: string }; uses?: number }, endpoint: string, n: number): void {
    if (value.token) s.log.token = value.token.identity.slice(0, 16);
    if (value.uses !== undefined) s.log.uses = value.uses;
    s.log.granted = n;
    this.metrics.grants.inc({ endpoint }, n);
  }

  handleHealth(s: RequestState): Promise<void> {
    sendJson(s.res, 200, { status: 'ok' });
    return Promise.resolve();
  }

  async handleReady(s: RequestState): Promise<void> {
    if (this.draining) return this.refuse(s, 503, 'ERR_DRAINING', 'the server is shutting down');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.store.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), this.limits.readyTimeoutMs);
        }),
      ]);
    } catch {
      return this.refuse(s, 503, 'ERR_STORE_UNAVAILABLE', `the replay store (${this.store.description}) does not answer`);
    } finally {
      clearTimeout(timer);
    }
    sendJson(s.res, 200, { status: 'ready', store: this.store.description, keys: this.config.keys.size });
  }

  handleMetrics(s: RequestState): Promise<void> {
    this.metrics.inFlight = this.inFlight;
    const text = this.metrics.render();
    s.res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' });
    s.res.end(text);
    return Promise.resolve();
  }
}
