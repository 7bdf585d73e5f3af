/**
 * The key server's endpoints, one row each (path match, methods, handler),
 * and the request target parsing they share.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KeyId } from '../crypto/values.js';
import type { AccessLogEntry } from './access-log.js';
import type { KeyServer } from './key-server.js';

/** The request target as path + query; a cheap stand-in for `new URL()` on the hot path. */
export interface Target {
  pathname: string;
  searchParams: URLSearchParams;
}

export function parseTarget(raw: string | undefined): Target {
  const text = raw ?? '/';
  const q = text.indexOf('?');
  const path = q < 0 ? text : text.slice(0, q);
  if (!path.startsWith('/')) return { pathname: '/(invalid)', searchParams: new URLSearchParams() };
  return { pathname: path, searchParams: new URLSearchParams(q < 0 ? '' : text.slice(q + 1)) };
}

export interface RequestState {
  req: IncomingMessage;
  res: ServerResponse;
  url: Target;
  log: Partial<AccessLogEntry>;
}

export interface Route {
  name: string;
  /** One line for the start message and docs. */
  summary: string;
  /** The path as printed (":kid" marks the key id). */
  display: string;
  match(pathname: string, query: URLSearchParams): boolean;
  methods: readonly string[];
  handle(s: RequestState, server: KeyServer): Promise<void>;
}

const UUIDISH = /^(?:[0-9a-fA-F]{32}|\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?)$/;

export function kidOfAesRequest(s: RequestState): KeyId | undefined {
  const m = /^\/keys\/aes\/([^/]+)$/.exec(s.url.pathname);
  let text: string | null;
  try {
    text = m ? decodeURIComponent(m[1]!) : s.url.searchParams.get('kid');
  } catch {
    return undefined;
  }
  if (text === null || !UUIDISH.test(text)) return undefined;
  return KeyId.parse(text);
}

/** One row per endpoint. */
export const ROUTES: readonly Route[] = [
  {
    name: 'aes-key',
    summary: 'AES-128 key (raw 16 bytes) for HLS envelope encryption; GET (players) or POST (SDKs); also /keys/aes?kid=<uuid>',
    display: '/keys/aes/:kid',
    match: (p) => p === '/keys/aes' || /^\/keys\/aes\/[^/]+$/.test(p),
    methods: ['GET', 'POST'],
    handle: (s, server) => server.handleAesKey(s),
  },
  {
    name: 'aes-key-azure',
    summary: 'the same, at the Azure Media Services key URL form /?kid=<uuid>',
    display: '/?kid=:kid',
    match: (p, q) => p === '/' && q.has('kid'),
    methods: ['GET', 'POST'],
    handle: (s, server) => server.handleAesKey(s),
  },
  {
    name: 'clearkey',
    summary: 'W3C ClearKey license: POST {"kids":[…],"type":"temporary"}, answers the JWK set',
    display: '/keys/clearkey',
    match: (p) => p === '/keys/clearkey',
    methods: ['POST'],
    handle: (s, server) => server.handleClearKey(s),
  },
  {
    name: 'healthz',
    summary: 'liveness: 200 while the process serves',
    display: '/healthz',
    match: (p) => p === '/healthz',
    methods: ['GET', 'HEAD'],
    handle: (s, server) => server.handleHealth(s),
  },
  {
    name: 'readyz',
    summary: 'readiness: 200 when the replay store answers, 503 otherwise or while draining',
    display: '/readyz',
    match: (p) => p === '/readyz',
    methods: ['GET', 'HEAD'],
    handle: (s, server) => server.handleReady(s),
  },
  {
    name: 'metrics',
    summary: 'Prometheus text: requests, grants, refusals by reason, latency histogram',
    display: '/metrics',
    match: (p) => p === '/metrics',
    methods: ['GET'],
    handle: (s, server) => server.handleMetrics(s),
  },
];

/** The endpoints, for the start message and docs. */
export function describeEndpoints(base: string): { path: string; methods: string[]; summary: string; url: string }[] {
  return ROUTES.map((r) => ({ path: r.display, methods: [...r.methods], summary: r.summary, url: `${base}${r.display}` }));
}
