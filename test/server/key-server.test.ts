/**
 * The key server over real HTTP, in process, with the real token library:
 * AES keys, ClearKey licenses, authorization per key, refusals, replay,
 * fail-closed stores, limits, CORS, metrics, logs and reload.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { TOKEN_ERRORS } from '../../src/tokens/index.js';
import { KeysmithError } from '../../src/errors.js';
import { makeServeConfig, policyRules } from '../../src/server/config.js';
import { parseKeysmithPolicy } from '../../src/tokens/index.js';
import { hasTool } from '../helpers/tools.js';
import { storeUnavailable, type ReplayStore } from '../../src/server/replay-store.js';
import { RedisReplayStore } from '../../src/server/store-redis.js';
import { spawn } from 'node:child_process';
import { AUDIENCE, CKID, ISSUER, KEYS, OPEN_KID, OTHER_KID, PRIMARY_SECRET, TOKEN_KID, UNKNOWN_KID, WRONG_SECRET, ALTERNATE_SECRET, freePort, get, startServer, token, tempDir } from './helpers.js';

const keyOf = (kid: { hex: string }) => KEYS.find((k) => k.kid.hex === kid.hex)!.key.bytes;

describe('AES-128 key delivery', () => {
  test('an open key: GET at /keys/aes/<kid> answers the raw 16 bytes, never cached', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    const r = await get(`${s.url}/keys/aes/${OPEN_KID.uuid}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, keyOf(OPEN_KID));
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.headers.get('content-type'), 'application/octet-stream');
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
  });

  test('POST (SDK clients), ?kid= and the Azure form /?kid= answer the same key', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    const tok = await token({ kid: TOKEN_KID });
    const auth = { Authorization: `Bearer ${tok}` };
    for (const [url, init] of [
      [`${s.url}/keys/aes/${TOKEN_KID.uuid}`, { method: 'POST', headers: auth }],
      [`${s.url}/keys/aes?kid=${TOKEN_KID.uuid}`, { headers: auth }],
      [`${s.url}/?kid=${TOKEN_KID.uuid}&token=${encodeURIComponent(tok)}`, {}],
      [`${s.url}/keys/aes/${TOKEN_KID.hex}?token=${encodeURIComponent(tok)}`, { method: 'POST' }],
    ] as const) {
      const r = await get(url, init);
      assert.equal(r.status, 200, url);
      assert.deepEqual(r.body, keyOf(TOKEN_KID));
    }
  });

  test('the alternate verification key is accepted; JWT and SWT restrictions both work', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    const tok = await token({ kid: TOKEN_KID, secret: ALTERNATE_SECRET });
    assert.equal((await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}`, { headers: { Authorization: `Bearer ${tok}` } })).status, 200);
  });

  test('a malformed key id is a 400', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    const r = await get(`${s.url}/keys/aes/not-a-kid`);
    assert.equal(r.status, 400);
    assert.equal(r.json().error.code, 'ERR_BAD_REQUEST');
  });
});

describe('restriction forms (Azure v2 XML with SWT, Azure v3 JSON with JWT)', () => {
  const v2xml = (secret: string) => `<TokenRestrictionTemplate xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/Azure/MediaServices/KeyDelivery/TokenRestrictionTemplate/v1"><AlternateVerificationKeys /><Audience>${AUDIENCE}</Audience><Issuer>${ISSUER}</Issuer><PrimaryVerificationKey i:type="SymmetricVerificationKey"><KeyValue>${secret}</KeyValue></PrimaryVerificationKey><RequiredClaims><TokenClaim><ClaimType>${CKID}</ClaimType><ClaimValue i:nil="true" /></TokenClaim></RequiredClaims><TokenType>SWT</TokenType></TokenRestrictionTemplate>`;
  const v3json = (secret: string) => ({
    '@odata.type': '#Microsoft.Media.ContentKeyPolicyTokenRestriction',
    issuer: ISSUER,
    audience: AUDIENCE,
    primaryVerificationKey: { '@odata.type': '#Microsoft.Media.ContentKeyPolicySymmetricTokenKey', keyValue: WRONG_SECRET },
    alternateVerificationKeys: [{ '@odata.type': '#Microsoft.Media.ContentKeyPolicySymmetricTokenKey', keyValue: secret }],
    requiredClaims: [{ claimType: CKID, claimValue: null }],
    restrictionTokenType: 'Jwt',
  });
  const config = () =>
    makeServeConfig(
      KEYS,
      policyRules(
        parseKeysmithPolicy(
          JSON.stringify({
            version: 1,
            keys: {
              [TOKEN_KID.uuid]: { authorization: 'token', token: v2xml(PRIMARY_SECRET) },
              [OTHER_KID.uuid]: { authorization: 'token', token: v3json(ALTERNATE_SECRET) },
            },
          }),
        ),
      ),
      { keys: 'k' },
    );

  test('an SWT under an Azure v2 XML template, in the header and URL-encoded in the query', async (t) => {
    const s = await startServer({ config: config() });
    t.after(() => s.close());
    const swt = await token({ kid: TOKEN_KID, type: 'swt', maxUses: 5 });
    assert.match(swt, /&HMACSHA256=/);
    const a = await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}`, { headers: { Authorization: `Bearer ${swt}` } });
    assert.equal(a.status, 200);
    const b = await get(`${s.url}/?kid=${TOKEN_KID.uuid}&token=${encodeURIComponent(swt)}`);
    assert.equal(b.status, 200);
    assert.deepEqual(b.body, keyOf(TOKEN_KID));
    assert.equal(s.logs[1]!.uses, 2, 'one replay count for the SWT, whatever the transport');
    const jwt = await token({ kid: TOKEN_KID });
    assert.equal((await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}?token=${jwt}`)).json().error.code, 'ERR_TOKEN_TYPE');
  });

  test('a JWT under an Azure v3 restriction, verified by its alternate key', async (t) => {
    const s = await startServer({ config: config() });
    t.after(() => s.close());
    const jwt = await token({ kid: OTHER_KID, secret: ALTERNATE_SECRET });
    assert.equal((await get(`${s.url}/keys/aes/${OTHER_KID.uuid}?token=${jwt}`)).status, 200);
    const forged = await token({ kid: OTHER_KID, secret: PRIMARY_SECRET });
    assert.equal((await get(`${s.url}/keys/aes/${OTHER_KID.uuid}?token=${forged}`)).json().error.code, 'ERR_TOKEN_SIGNATURE');
  });
});

describe('refusals', () => {
  test('no token: 401 ERR_TOKEN_MISSING with WWW-Authenticate', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    const r = await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}`);
    assert.equal(r.status, 401);
    assert.equal(r.json().error.code, 'ERR_TOKEN_MISSING');
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  test('an unknown KID and a refused token look alike to a caller without a valid token', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    const bad = await token({ kid: TOKEN_KID, secret: WRONG_SECRET });
    for (const headers of [{}, { Authorization: `Bearer ${bad}` }] as Record<string, string>[]) {
      const known = await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}`, { headers });
      const unknown = await get(`${s.url}/keys/aes/${UNKNOWN_KID.uuid}`, { headers });
      assert.equal(known.status, 401);
      assert.equal(unknown.status, known.status);
      assert.deepEqual(unknown.body, known.body);
      assert.deepEqual([...unknown.headers].filter(([k]) => k !== 'date'), [...known.headers].filter(([k]) => k !== 'date'));
    }
  });

  test('an authorized caller learns that a key does not exist (404)', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    const tok = await token({ kid: UNKNOWN_KID });
    const r = await get(`${s.url}/keys/aes/${UNKNOWN_KID.uuid}`, { headers: { Authorization: `Bearer ${tok}` } });
    assert.equal(r.status, 404);
    assert.equal(r.json().error.code, 'ERR_KEY_NOT_FOUND');
  });

  const REAL: [string, () => Promise<string>][] = [
    ['ERR_TOKEN_SIGNATURE', () => token({ kid: TOKEN_KID, secret: WRONG_SECRET })],
    ['ERR_TOKEN_EXPIRED', () => token({ kid: TOKEN_KID, expiresIn: -3600 })],
    ['ERR_TOKEN_NOT_YET_VALID', () => token({ kid: TOKEN_KID, notBeforeIn: 3600 })],
    ['ERR_TOKEN_ISSUER', () => token({ kid: TOKEN_KID, issuer: 'urn:someone-else' })],
    ['ERR_TOKEN_AUDIENCE', () => token({ kid: TOKEN_KID, audience: 'urn:other' })],
    ['ERR_TOKEN_CLAIM_MISSING', () => token({})],
    ['ERR_TOKEN_KID_MISMATCH', () => token({ kid: OTHER_KID })],
    ['ERR_TOKEN_MAXUSES_EXPIRY', () => token({ kid: TOKEN_KID, maxUses: 2, expiresIn: 7200 })],
    ['ERR_TOKEN_TYPE', () => token({ kid: TOKEN_KID, type: 'swt' })],
    ['ERR_TOKEN_MALFORMED', () => Promise.resolve('a.b.c')],
  ];
  for (const [code, make] of REAL) {
    test(`a real token refused by the token library reaches HTTP: 401 ${code}`, async (t) => {
      const s = await startServer();
      t.after(() => s.close());
      const r = await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}`, { headers: { Authorization: `Bearer ${await make()}` } });
      assert.equal(r.status, 401);
      assert.equal(r.json().error.code, code);
    });
  }

  test('every ERR_TOKEN_* code of the token library maps to 401 with that code', async (t) => {
    let next = '';
    const s = await startServer({
      verify: () => Promise.reject(new KeysmithError(next, TOKEN_ERRORS[next as keyof typeof TOKEN_ERRORS])),
    });
    t.after(() => s.close());
    for (const code of Object.keys(TOKEN_ERRORS).filter((c) => c.startsWith('ERR_TOKEN_'))) {
      next = code;
      const r = await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}?token=x`);
      assert.equal(r.status, 401, code);
      assert.equal(r.json().error.code, code);
    }
    const m = await get(`${s.url}/metrics`);
    assert.match(m.body.toString(), /keysmith_refusals_total\{reason="ERR_TOKEN_EXPIRED"\} 1/);
  });

  test('a verifier bug is a 500 without detail, never a key', async (t) => {
    const s = await startServer({ verify: () => Promise.reject(new Error('boom: secret detail')) });
    t.after(() => s.close());
    const r = await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}?token=x`);
    assert.equal(r.status, 500);
    assert.doesNotMatch(r.body.toString(), /secret detail/);
  });

  test('a key with no policy and no default is refused for everyone (deny)', async (t) => {
    const s = await startServer({ config: makeServeConfig(KEYS, { byKid: new Map([[OPEN_KID.hex, { kind: 'open' }]]), fallback: { kind: 'deny' } }, { keys: 'k' }) });
    t.after(() => s.close());
    const a = await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}`);
    const b = await get(`${s.url}/keys/aes/${UNKNOWN_KID.uuid}`);
    assert.equal(a.status, 401);
    assert.equal(a.json().error.code, 'ERR_NOT_AUTHORIZED');
    assert.deepEqual(a.body, b.body);
  });
});

describe('replay (maxuses)', () => {
  test('a maxuses 3 token fetches three keys, the fourth request is refused', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    const tok = await token({ kid: TOKEN_KID, maxUses: 3, expiresIn: 600 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}?token=${tok}`)).status);
    assert.deepEqual(statuses, [200, 200, 200, 401]);
    const r = await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}?token=${tok}`);
    assert.equal(r.json().error.code, 'ERR_TOKEN_MAXUSES_EXCEEDED');
  });

  test('200 concurrent requests with one maxuses 5 token: exactly 5 succeed (memory)', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    const tok = await token({ kid: TOKEN_KID, maxUses: 5 });
    const rs = await Promise.all(Array.from({ length: 200 }, () => get(`${s.url}/keys/aes/${TOKEN_KID.uuid}`, { headers: { Authorization: `Bearer ${tok}` } })));
    assert.equal(rs.filter((r) => r.status === 200).length, 5);
    assert.equal(rs.filter((r) => r.status === 401).length, 195);
  });

  test('a token without maxuses never touches the store', async (t) => {
    const store: ReplayStore = { description: 'broken', consume: () => Promise.reject(storeUnavailable('x')), ping: () => Promise.resolve(), close: () => Promise.resolve() };
    const s = await startServer({ store });
    t.after(() => s.close());
    const tok = await token({ kid: TOKEN_KID });
    assert.equal((await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}?token=${tok}`)).status, 200);
  });
});

describe('fail closed', () => {
  test('a store that cannot answer gives 503 and no key; /readyz says so', async (t) => {
    const store: ReplayStore = { description: 'broken', consume: () => Promise.reject(storeUnavailable('down')), ping: () => Promise.reject(storeUnavailable('down')), close: () => Promise.resolve() };
    const s = await startServer({ store });
    t.after(() => s.close());
    const tok = await token({ kid: TOKEN_KID, maxUses: 2 });
    const r = await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}?token=${tok}`);
    assert.equal(r.status, 503);
    assert.equal(r.json().error.code, 'ERR_STORE_UNAVAILABLE');
    assert.equal(r.body.length < 200 && !r.body.includes(keyOf(TOKEN_KID)), true);
    assert.equal((await get(`${s.url}/readyz`)).status, 503);
    assert.equal((await get(`${s.url}/healthz`)).status, 200);
  });

  test('a real Redis that stops: 503 for maxuses tokens, never a key', async (t) => {
    if (!hasTool('redis-server')) {
      if (process.env.CI === 'true' || process.env.CI === '1') throw new Error('redis-server is not installed: CI must run this test');
      return t.skip('redis-server is not installed');
    }
    const port = await freePort();
    const dir = tempDir(t, 'keysmith-redis-down-');
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    t.after(() => child.kill('SIGKILL'));
    let store: RedisReplayStore | undefined;
    for (let i = 0; i < 100 && !store; i++) {
      store = await RedisReplayStore.open(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 300 }).catch(() => undefined);
      if (!store) await new Promise((r) => setTimeout(r, 50));
    }
    if (!store) {
      if (process.env.CI === 'true') throw new Error('redis-server did not start');
      return t.skip('redis-server not available');
    }
    const s = await startServer({ store });
    t.after(() => s.close());
    const tok = await token({ kid: TOKEN_KID, maxUses: 10 });
    assert.equal((await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}?token=${tok}`)).status, 200);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const r = await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}?token=${tok}`);
    assert.equal(r.status, 503);
    assert.equal((await get(`${s.url}/readyz`)).status, 503);
  });
});

describe('ClearKey licenses', () => {
  const req = (kids: { base64url: string }[]) => JSON.stringify({ kids: kids.map((k) => k.base64url), type: 'temporary' });

  test('answers the JWK set (EME §9.1.4) for an open key', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    const r = await get(`${s.url}/keys/clearkey`, { method: 'POST', body: req([OPEN_KID]), headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { keys: [{ kty: 'oct', kid: OPEN_KID.base64url, k: keyOf(OPEN_KID).toString('base64url') }], type: 'temporary' });
    assert.equal(r.headers.get('cache-control'), 'no-store');
  });

  test('answers only the KIDs the caller is authorized for', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    const tok = await token({ kid: TOKEN_KID });
    const r = await get(`${s.url}/keys/clearkey`, { method: 'POST', body: req([TOKEN_KID, OTHER_KID, OPEN_KID]), headers: { Authorization: `Bearer ${tok}` } });
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.json().keys.map((k: { kid: string }) => k.kid),
      [TOKEN_KID.base64url, OPEN_KID.base64url],
    );
  });

  test('nothing authorized: 401 with the reason', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    const r = await get(`${s.url}/keys/clearkey`, { method: 'POST', body: req([TOKEN_KID]) });
    assert.equal(r.status, 401);
    assert.equal(r.json().error.code, 'ERR_TOKEN_MISSING');
  });

  test('bad requests: not JSON, no kids, bad kid, too many kids', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    for (const body of ['nope', '{}', '{"kids":[]}', '{"kids":["abc"]}', JSON.stringify({ kids: Array.from({ length: 65 }, () => OPEN_KID.base64url) }), '{"kids":["DpfQwlpDTXubTAx9nGweEQ"],"type":"forever"}']) {
      const r = await get(`${s.url}/keys/clearkey`, { method: 'POST', body });
      assert.equal(r.status, 400, body.slice(0, 40));
      assert.equal(r.json().error.code, 'ERR_BAD_REQUEST');
    }
  });
});

function rawRequest(url: string, head: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const sock = connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    sock.write(head);
    if (body !== undefined) sock.write(body);
  });
}

describe('HTTP limits and routing', () => {
  test('oversized bodies: 413 (declared length and chunked)', async (t) => {
    const s = await startServer({ limits: { maxBodyBytes: 1024 } });
    t.after(() => s.close());
    const big = 'x'.repeat(4096);
    const a = await get(`${s.url}/keys/clearkey`, { method: 'POST', body: big });
    assert.equal(a.status, 413);
    assert.equal(a.json().error.code, 'ERR_PAYLOAD_TOO_LARGE');
    const chunked = await rawRequest(
      s.url,
      'POST /keys/clearkey HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
      `${(2048).toString(16)}\r\n${'y'.repeat(2048)}\r\n0\r\n\r\n`,
    );
    assert.match(chunked, /^HTTP\/1\.1 413 /);
  });

  test('oversized headers: 431', async (t) => {
    const s = await startServer({ limits: { maxHeaderBytes: 2048 } });
    t.after(() => s.close());
    const answer = await rawRequest(s.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'z'.repeat(4096)}\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 431 /);
  });

  test('a slow client (headers never finished) is cut off with 408', async (t) => {
    const s = await startServer({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, timeoutCheckMs: 50 } });
    t.after(() => s.close());
    const answer = await rawRequest(s.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n'); // never sends the blank line
    assert.match(answer, /^HTTP\/1\.1 408 /);
  });

  test('a slow body is cut off with 408', async (t) => {
    const s = await startServer({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, timeoutCheckMs: 50 } });
    t.after(() => s.close());
    const answer = await rawRequest(s.url, 'POST /keys/clearkey HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n', '{"kids":');
    assert.match(answer, /408/);
  });

  test('unknown paths 404, wrong methods 405 with Allow', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    assert.equal((await get(`${s.url}/nope`)).status, 404);
    assert.equal((await get(`${s.url}/`)).status, 404);
    const r = await get(`${s.url}/keys/clearkey`);
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'POST, OPTIONS');
    assert.equal((await get(`${s.url}/keys/aes/${OPEN_KID.uuid}`, { method: 'DELETE' })).status, 405);
  });

  test('CORS preflight allows the Authorization header', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    const r = await get(`${s.url}/keys/clearkey`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://player.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.match(r.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    assert.match(r.headers.get('access-control-allow-methods') ?? '', /POST/);
  });
});

describe('operations', () => {
  test('metrics: requests, grants, refusals by reason, latency histogram', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    await get(`${s.url}/keys/aes/${OPEN_KID.uuid}`);
    await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}`);
    const text = (await get(`${s.url}/metrics`)).body.toString();
    assert.match(text, /keysmith_requests_total\{endpoint="aes-key",method="GET",status="200"\} 1/);
    assert.match(text, /keysmith_key_grants_total\{endpoint="aes-key"\} 1/);
    assert.match(text, /keysmith_refusals_total\{reason="ERR_TOKEN_MISSING"\} 1/);
    assert.match(text, /keysmith_request_duration_seconds_bucket\{endpoint="aes-key",le="\+Inf"\} 2/);
    assert.match(text, /# TYPE keysmith_request_duration_seconds histogram/);
  });

  test('access logs carry no token and no key: a 16-hex identity digest at most', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    const tok = await token({ kid: TOKEN_KID, maxUses: 4 });
    await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}?token=${encodeURIComponent(tok)}`);
    await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}`, { headers: { Authorization: `Bearer ${tok}` } });
    await get(`${s.url}/keys/aes/${TOKEN_KID.uuid}?token=${encodeURIComponent(tok.slice(0, -3))}xyz`);
    const text = JSON.stringify(s.logs);
    for (const part of tok.split('.')) assert.ok(!text.includes(part), 'no token segment in the logs');
    assert.ok(!text.includes(keyOf(TOKEN_KID).toString('hex')));
    assert.ok(!text.includes('token='));
    assert.equal(s.logs[0]!.token, (s.logs[1]!.token as string));
    assert.match(String(s.logs[0]!.token), /^[0-9a-f]{16}$/);
    assert.equal(s.logs[1]!.uses, 2);
    assert.match(String(s.logs[2]!.code), /^ERR_TOKEN_/);
    assert.equal(s.logs[2]!.token, undefined, 'a refused token leaves no digest');
  });

  test('reload swaps keys and policy in one step', async (t) => {
    const s = await startServer();
    t.after(() => s.close());
    assert.equal((await get(`${s.url}/keys/aes/${OPEN_KID.uuid}`)).status, 200);
    s.server.reload(makeServeConfig(KEYS, { byKid: new Map(), fallback: { kind: 'deny' } }, { keys: 'k' }));
    assert.equal((await get(`${s.url}/keys/aes/${OPEN_KID.uuid}`)).status, 401);
  });

  test('close drains: an in-flight request finishes, new connections are refused', async (t) => {
    const s = await startServer();
    const u = new URL(s.url);
    const body = JSON.stringify({ kids: [OPEN_KID.base64url], type: 'temporary' });
    const inflight = new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: u.hostname, port: u.port, path: '/keys/clearkey', method: 'POST', headers: { 'Content-Length': String(body.length) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => req.end(body.slice(10)), 200);
    });
    while (s.server.requestsInFlight === 0) await new Promise((r) => setTimeout(r, 10));
    const closing = s.server.close(5000);
    assert.equal(await inflight, 200);
    await closing;
    await assert.rejects(fetch(`${s.url}/healthz`));
    void t;
  });

  test('serves HTTPS with --tls-cert/--tls-key', async (t) => {
    const { spawnSync } = await import('node:child_process');
    const dir = tempDir(t);
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${dir}/k.pem`, '-out', `${dir}/c.pem`, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    if (r.status !== 0) {
      if (process.env.CI === 'true') throw new Error(`openssl failed: ${r.stderr}`);
      return t.skip('openssl not available');
    }
    const { readFileSync } = await import('node:fs');
    const s = await startServer({ tls: { cert: readFileSync(`${dir}/c.pem`), key: readFileSync(`${dir}/k.pem`) } });
    t.after(() => s.close());
    assert.match(s.url, /^https:/);
    const { request } = await import('node:https');
    const body = await new Promise<Buffer>((resolve, reject) => {
      request(`${s.url}/keys/aes/${OPEN_KID.uuid}`, { ca: readFileSync(`${dir}/c.pem`) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      })
        .on('error', reject)
        .end();
    });
    assert.deepEqual(body, keyOf(OPEN_KID));
  });
});

