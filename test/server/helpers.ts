/**
 * Shared pieces of the key-server tests: a key set, a policy document in
 * the token library's format (docs/policy.md), tokens issued by the token
 * library, an in-process server, and the Redis the replay tests use.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { KeyId, ContentKey } from '../../src/crypto/values.js';
import type { ContentKeyEntry } from '../../src/keys/content-keys.js';
import { formatKeyFile } from '../../src/keys/content-keys.js';
import { issueToken, parseKeysmithPolicy, signingKey } from '../../src/tokens/index.js';
import { makeServeConfig, policyRules, type ServeConfig } from '../../src/server/config.js';
import { KeyServer, type KeyServerOptions } from '../../src/server/key-server.js';
import { MemoryReplayStore } from '../../src/server/store-memory.js';
import type { ReplayStore } from '../../src/server/replay-store.js';
import { hasTool } from '../helpers/tools.js';

export const OPEN_KID = KeyId.parse('0e7fd0c2-5a43-4d7b-9b4c-0c7d9c6c1e11');
export const TOKEN_KID = KeyId.parse('6f1a4c2e-8b3d-4e5f-a6b7-c8d9e0f1a2b3');
export const OTHER_KID = KeyId.parse('11111111-2222-4333-8444-555555555555');
export const UNKNOWN_KID = KeyId.parse('deadbeef-0000-4000-8000-000000000001');

export const KEYS: ContentKeyEntry[] = [
  { kid: OPEN_KID, key: ContentKey.parse('00112233445566778899aabbccddeeff') },
  { kid: TOKEN_KID, key: ContentKey.parse('0f0e0d0c0b0a09080706050403020100') },
  { kid: OTHER_KID, key: ContentKey.parse('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf') },
];

/** HS256 secrets (32 bytes, base64): primary and alternate verification keys. */
export const PRIMARY_SECRET = Buffer.alloc(32, 7).toString('base64');
export const ALTERNATE_SECRET = Buffer.alloc(32, 9).toString('base64');
export const WRONG_SECRET = Buffer.alloc(32, 1).toString('base64');
export const ISSUER = 'urn:keysmith:test-issuer';
export const AUDIENCE = 'urn:keysmith:test-audience';
export const CKID = 'urn:microsoft:azure:mediaservices:contentkeyidentifier';

export function restrictionJson(type: 'jwt' | 'swt' = 'jwt'): Record<string, unknown> {
  return {
    type,
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: [
      { kind: 'symmetric', key: PRIMARY_SECRET },
      { kind: 'symmetric', key: ALTERNATE_SECRET },
    ],
    requiredClaims: [{ type: CKID }],
  };
}

/** OPEN_KID open, everything else (listed or not) behind the token restriction. */
export function policyText(): string {
  return JSON.stringify({
    version: 1,
    default: { authorization: 'token', token: restrictionJson() },
    keys: {
      [OPEN_KID.uuid]: { authorization: 'open' },
      [TOKEN_KID.uuid]: { authorization: 'token', token: restrictionJson() },
    },
  });
}

export function testConfig(): ServeConfig {
  return makeServeConfig(KEYS, policyRules(parseKeysmithPolicy(policyText(), 'policy.json')), { keys: 'keys.json', policy: 'policy.json' });
}

export interface TokenSpec {
  kid?: KeyId;
  maxUses?: number;
  secret?: string;
  issuer?: string;
  audience?: string;
  /** Seconds from now. */
  expiresIn?: number;
  notBeforeIn?: number;
  type?: 'jwt' | 'swt';
  claims?: [string, string | number | boolean][];
}

export function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

export async function token(spec: TokenSpec = {}): Promise<string> {
  return issueToken({
    type: spec.type ?? 'jwt',
    key: signingKey('HS256', spec.secret ?? PRIMARY_SECRET),
    issuer: spec.issuer ?? ISSUER,
    audience: spec.audience ?? AUDIENCE,
    expiresAt: nowS() + (spec.expiresIn ?? 600),
    ...(spec.notBeforeIn === undefined ? {} : { notBefore: nowS() + spec.notBeforeIn }),
    ...(spec.kid ? { kid: spec.kid } : {}),
    ...(spec.maxUses === undefined ? {} : { maxUses: spec.maxUses }),
    ...(spec.claims ? { claims: spec.claims } : {}),
  });
}

export interface Running {
  server: KeyServer;
  url: string;
  store: ReplayStore;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startServer(options: Partial<KeyServerOptions> = {}): Promise<Running> {
  const store = options.store ?? new MemoryReplayStore();
  const logs: Record<string, unknown>[] = [];
  const server = new KeyServer({ config: testConfig(), store, log: (e) => logs.push({ ...e }), ...options });
  const url = await server.listen(0, '127.0.0.1');
  return { server, url, store, logs, close: () => server.close(1000) };
}

export function tempDir(t: TestContext, prefix = 'keysmith-serve-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** keys.json and policy.json in a temp dir. */
export function writeFixtureFiles(dir: string): { keys: string; policy: string } {
  const keys = join(dir, 'keys.json');
  const policy = join(dir, 'policy.json');
  writeFileSync(keys, formatKeyFile(KEYS), { mode: 0o600 });
  writeFileSync(policy, policyText());
  return { keys, policy };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const inCi = process.env.CI === 'true' || process.env.CI === '1';

/**
 * The Redis for the tests: KEYSMITH_TEST_REDIS (CI starts one in .ci/services);
 * else, outside CI, a redis-server of our own on a free port; in CI a missing
 * Redis fails the test. Returns undefined when the test was skipped.
 */
export async function testRedis(t: TestContext): Promise<string | undefined> {
  const env = process.env.KEYSMITH_TEST_REDIS;
  if (env) return env;
  if (inCi) throw new Error('KEYSMITH_TEST_REDIS is not set: CI must run the Redis tests (.ci/services starts redis-server)');
  if (!hasTool('redis-server')) {
    t.skip('redis-server is not installed (apt-get install redis-server)');
    return undefined;
  }
  const port = await freePort();
  const dir = tempDir(t, 'keysmith-redis-');
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  t.after(() => {
    child.kill('SIGTERM');
  });
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
    if (r.stdout.trim() === 'PONG') return `redis://127.0.0.1:${port}`;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('redis-server did not start');
}

/** A raw HTTP exchange with fetch-like results, for tests. */
export async function get(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: Buffer; json: () => any }> {
  const r = await fetch(url, init);
  const body = Buffer.from(await r.arrayBuffer());
  return { status: r.status, headers: r.headers, body, json: () => JSON.parse(body.toString('utf8')) };
}
