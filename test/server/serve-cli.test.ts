/**
 * `keysmith serve` as a process: the start line, replay limits across two
 * processes sharing Redis (and the same check for memory and file: in one
 * process), SIGHUP reload, SIGTERM drain, usage and environment errors.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runBinary } from '../helpers/cli.js';
import { OPEN_KID, TOKEN_KID, get, tempDir, testRedis, token, writeFixtureFiles } from './helpers.js';
import { startServe } from './serve-process.js';

describe('keysmith serve (process)', () => {
  test('--json prints one JSON line with the URL and the endpoints', async (t) => {
    const files = writeFixtureFiles(tempDir(t));
    const p = await startServe(t, ['--keys', files.keys, '--policy', files.policy]);
    assert.equal(p.start.event, 'listening');
    assert.match(p.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(p.start.endpoints.some((e: { path: string }) => e.path === '/keys/clearkey'));
    assert.equal(p.start.store, 'memory');
    assert.equal(p.start.keys, 3);
    const r = await get(`${p.url}/keys/aes/${OPEN_KID.uuid}`);
    assert.equal(r.status, 200);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
  });

  const stores: { name: string; spec(t: import('node:test').TestContext, dir: string): Promise<string | undefined>; processes: number }[] = [
    { name: 'memory', spec: () => Promise.resolve('memory'), processes: 1 },
    { name: 'file', spec: (_t, dir) => Promise.resolve(`file:${join(dir, 'state')}`), processes: 1 },
    { name: 'redis, two processes', spec: (t) => testRedis(t), processes: 2 },
  ];
  for (const s of stores) {
    test(`replay: 200 concurrent key requests with one maxuses 5 token, exactly 5 succeed (${s.name})`, async (t) => {
      const dir = tempDir(t);
      const spec = await s.spec(t, dir);
      if (spec === undefined) return;
      const files = writeFixtureFiles(dir);
      const procs = await Promise.all(Array.from({ length: s.processes }, () => startServe(t, ['--keys', files.keys, '--policy', files.policy, '--store', spec, '--json-logs'])));
      const tok = await token({ kid: TOKEN_KID, maxUses: 5 });
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => get(`${procs[i % procs.length]!.url}/keys/aes/${TOKEN_KID.uuid}`, { headers: { Authorization: `Bearer ${tok}` } })),
      );
      const ok = results.filter((r) => r.status === 200);
      assert.equal(ok.length, 5);
      assert.ok(results.filter((r) => r.status !== 200).every((r) => r.status === 401 && r.json().error.code === 'ERR_TOKEN_MAXUSES_EXCEEDED'));
      for (const p of procs) p.child.kill('SIGTERM');
      for (const p of procs) assert.equal(await p.exited, 0);
      if (s.processes === 2) {
        // Both processes served part of the load (their access logs, read once they have exited).
        const perProc = procs.map((p) => (p.stderr().match(/"status":/g) ?? []).length);
        assert.deepEqual(perProc, [100, 100], `requests per process: ${perProc.join(', ')}`);
      }
      if (s.name === 'file') {
        // The counts survived the restart.
        const again = await startServe(t, ['--keys', files.keys, '--policy', files.policy, '--store', spec]);
        const r = await get(`${again.url}/keys/aes/${TOKEN_KID.uuid}`, { headers: { Authorization: `Bearer ${tok}` } });
        assert.equal(r.status, 401);
        again.child.kill('SIGTERM');
        assert.equal(await again.exited, 0);
      }
    });
  }

  test('SIGHUP reloads keys and policy; a bad file keeps the old config and says why', async (t) => {
    const dir = tempDir(t);
    const files = writeFixtureFiles(dir);
    const p = await startServe(t, ['--keys', files.keys, '--policy', files.policy, '--json-logs']);
    assert.equal((await get(`${p.url}/keys/aes/${OPEN_KID.uuid}`)).status, 200);
    const waitFor = async (re: RegExp): Promise<void> => {
      for (let i = 0; i < 200 && !re.test(p.stderr()); i++) await new Promise((r) => setTimeout(r, 25));
      assert.match(p.stderr(), re);
    };
    // Bad policy: old config stays.
    writeFileSync(files.policy, '{"version":1,"default":{"authorization":"sometimes"}}');
    p.child.kill('SIGHUP');
    await waitFor(/"event":"reload","ok":false/);
    assert.match(p.stderr(), /"code":"ERR_TEMPLATE_INVALID"/);
    assert.equal((await get(`${p.url}/keys/aes/${OPEN_KID.uuid}`)).status, 200);
    // Good policy: everything denied now.
    writeFileSync(files.policy, '{"version":1,"default":{"authorization":"deny"}}');
    p.child.kill('SIGHUP');
    await waitFor(/"event":"reload","ok":true/);
    assert.equal((await get(`${p.url}/keys/aes/${OPEN_KID.uuid}`)).status, 401);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
  });

  test('SIGTERM drains an in-flight request, then exits 0', async (t) => {
    const files = writeFixtureFiles(tempDir(t));
    const p = await startServe(t, ['--keys', files.keys, '--policy', files.policy]);
    const u = new URL(p.url);
    const body = JSON.stringify({ kids: [OPEN_KID.base64url], type: 'temporary' });
    let sentHead!: () => void;
    const headSent = new Promise<void>((r) => (sentHead = r));
    const inflight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path: '/keys/clearkey', method: 'POST', headers: { 'Content-Length': String(body.length) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 5), () => sentHead());
      (globalThis as { finish?: () => void }).finish = () => req.end(body.slice(5));
    });
    await headSent;
    // Wait until the server has the request in flight (the /metrics request itself is the other one).
    while (!/keysmith_requests_in_flight 2/.test((await get(`${p.url}/metrics`)).body.toString())) await new Promise((r) => setTimeout(r, 20));
    p.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(p.child.exitCode, null, 'still draining');
    (globalThis as { finish?: () => void }).finish!();
    const r = await inflight;
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).keys.length, 1);
    assert.equal(await p.exited, 0);
  });

  test('without --json: the URL and every endpoint on stdout, a warning without --policy', async (t) => {
    const files = writeFixtureFiles(tempDir(t));
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../helpers/cli.js');
    const child = spawn(process.execPath, [BIN, 'serve', '--keys', files.keys, '--port', '0'], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => child.kill('SIGKILL'));
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('/metrics')) resolve();
      });
      child.once('close', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    assert.match(out, /^keysmith serve: listening on http:\/\/127\.0\.0\.1:\d+$/m);
    for (const path of ['/keys/aes/:kid', '/?kid=:kid', '/keys/clearkey', '/healthz', '/readyz', '/metrics']) assert.ok(out.includes(path), path);
    const closed = new Promise((r) => child.once('close', r));
    child.kill('SIGINT');
    await closed;
    assert.equal(child.exitCode, 0);
    assert.match(err, /warning: no --policy: every key is served to anyone/);
  });

  test('--help teaches: endpoints, token transport, signals, examples', async () => {
    const r = await runBinary(['serve', '--help']);
    assert.equal(r.status, 0);
    for (const needle of ['--keys', '--policy', '--store', '/keys/aes/<kid>', '/keys/clearkey', 'Authorization: Bearer', 'SIGHUP', 'Examples:']) assert.ok(r.stdout.includes(needle), needle);
  });

  test('usage and environment errors', async (t) => {
    const dir = tempDir(t);
    const files = writeFixtureFiles(dir);
    const noKeys = await runBinary(['serve', '--port', '0']);
    assert.equal(noKeys.status, 2);
    const badPort = await runBinary(['serve', '--keys', files.keys, '--port', '99999']);
    assert.equal(badPort.status, 2);
    const tlsHalf = await runBinary(['serve', '--keys', files.keys, '--port', '0', '--tls-cert', files.keys]);
    assert.equal(tlsHalf.status, 2);
    const missing = await runBinary(['serve', '--keys', join(dir, 'nope.json'), '--port', '0']);
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /nope\.json/);
    const redisDown = await runBinary(['--json', 'serve', '--keys', files.keys, '--port', '0', '--store', 'redis://127.0.0.1:1']);
    assert.equal(redisDown.status, 3);
    assert.match(redisDown.stdout, /ERR_STORE_UNAVAILABLE/);
    const busy = await startServe(t, ['--keys', files.keys]);
    const inUse = await runBinary(['serve', '--keys', files.keys, '--port', new URL(busy.url).port]);
    assert.equal(inUse.status, 3);
    assert.match(inUse.stderr, /address already in use/);
    busy.child.kill('SIGTERM');
    await busy.exited;
  });
});
