/**
 * `keysmith token …` end to end: exit codes (0 valid, 1 refused, 2 usage,
 * 3 unreadable template/key file), reason codes in text and --json, no
 * secrets in --json, UNVERIFIED on inspect, key files 0600.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runBinary, runInProcess } from '../helpers/cli.js';
import { AUDIENCE, FIXTURES, ISSUER, KID, NOW, SECRET_B64 } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'keysmith-token-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const at = ['--at', String(NOW)];

async function issue(extra: string[] = [], type = 'jwt'): Promise<string> {
  const r = await runInProcess(['token', 'issue', '--type', type, '--key', SECRET_B64, '--issuer', ISSUER, '--audience', AUDIENCE, '--expires', '30m', ...at, ...extra]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

describe('keysmith token', () => {
  it('keygen writes a 64-byte base64 key with mode 0600', async () => {
    const file = join(dir, 'hs.key');
    const r = await runInProcess(['token', 'keygen', '-o', file, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const { readFileSync } = await import('node:fs');
    assert.equal(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').length, 64);
    assert.equal(r.stdout.includes(readFileSync(file, 'utf8').trim()), false, 'secret in --json');
  });

  it('keygen ES256 writes a private key (0600), public PEM and JWKS, and they sign/verify', async () => {
    const file = join(dir, 'es.pem');
    assert.equal((await runInProcess(['token', 'keygen', '--alg', 'ES256', '-o', file])).status, 0);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const t = await runInProcess(['token', 'issue', '--type', 'jwt', '--key-file', file, '--issuer', ISSUER, '--audience', AUDIENCE, '--expires', '10m', ...at]);
    assert.equal(t.status, 0, t.stderr);
    const v = await runInProcess(['token', 'verify', t.stdout.trim(), '--jwks', `${file}.jwks.json`, '--issuer', ISSUER, '--audience', AUDIENCE, ...at, '--json']);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.equal(JSON.parse(v.stdout).algorithm, 'ES256');
  });

  it('keygen refuses --json without -o (the key would be in JSON)', async () => {
    assert.equal((await runInProcess(['token', 'keygen', '--json'])).status, 2);
  });

  it('verify: valid token exits 0 with identity, maxuses and kid', async () => {
    const token = await issue(['--kid', KID.uuid, '--max-uses', '2']);
    const r = await runInProcess(['token', 'verify', token, '--template', join(FIXTURES, 'keysmith-jwt.json'), '--kid', KID.hex, ...at, '--json']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.valid, true);
    assert.equal(j.maxUses, 2);
    assert.match(j.identity, /^[0-9a-f]{64}$/);
    assert.equal(r.stdout.includes(SECRET_B64), false);
  });

  it('verify: refused exits 1 with the code in text and in --json', async () => {
    const token = await issue(['--kid', KID.uuid]);
    const later = ['--at', String(NOW + 7200)];
    const text = await runInProcess(['token', 'verify', token, '--template', join(FIXTURES, 'keysmith-jwt.json'), '--kid', KID.uuid, ...later]);
    assert.equal(text.status, 1);
    assert.match(text.stderr, /ERR_TOKEN_EXPIRED/);
    assert.equal(text.stderr.split('\n').filter((l) => l.includes('error')).length, 1);
    const json = await runInProcess(['token', 'verify', token, '--template', join(FIXTURES, 'keysmith-jwt.json'), '--kid', KID.uuid, ...later, '--json']);
    assert.equal(json.status, 1);
    assert.equal(JSON.parse(json.stdout).error.code, 'ERR_TOKEN_EXPIRED');
  });

  it('verify: SWT from stdin against the Azure v2 XML template', async () => {
    const token = await issue(['--kid', KID.uuid, '--claim', 'urn:myservice:claims:rental=true', '--issuer', 'http://sampleissuerurl/', '--audience', 'http://sampleaudience/'], 'swt');
    const r = await runInProcess(['token', 'verify', '-', '--template', join(FIXTURES, 'azure-v2-swt.xml'), '--kid', KID.uuid, ...at], { stdin: `Bearer ${token}\n` });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^valid SWT/);
  });

  it('verify: a per-key policy picks the rule by --kid (open, deny)', async () => {
    const token = await issue();
    const open = await runInProcess(['token', 'verify', token, '--template', join(FIXTURES, 'keysmith-policy.json'), '--kid', '0e7fd0c2-5a43-4d7b-9b4c-0c7d9c6c1e11', ...at]);
    assert.equal(open.status, 0);
    assert.match(open.stdout, /open/);
    const deny = await runInProcess(['token', 'verify', token, '--template', join(FIXTURES, 'keysmith-policy.json'), '--kid', '5d2c1b0a-0000-4000-8000-000000000002', ...at]);
    assert.equal(deny.status, 1);
  });

  it('verify: unreadable template exits 3, broken template exits 3', async () => {
    const token = await issue();
    assert.equal((await runInProcess(['token', 'verify', token, '--template', join(dir, 'missing.xml')])).status, 3);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"type":"jwt","issuer":"a","audience":"b","keys":[{"kind":"symmetric","key":"c2hvcnQ="}]}');
    assert.equal((await runInProcess(['token', 'verify', token, '--template', bad])).status, 3);
  });

  it('a broken key file exits 3 and never echoes the key, even with --verbose', async () => {
    const file = join(dir, 'broken.jwk');
    writeFileSync(file, `{"kty":"oct","k":"${SECRET_B64}"`);
    const r = await runInProcess(['token', 'issue', '--type', 'jwt', '--key-file', file, '--issuer', 'a', '--audience', 'b', '--expires', '1h', '--verbose', '--json']);
    assert.equal(r.status, 3);
    assert.equal((r.stdout + r.stderr).includes(SECRET_B64.slice(0, 16)), false);
  });

  it('usage errors exit 2', async () => {
    assert.equal((await runInProcess(['token', 'issue', '--type', 'jwt', '--key', SECRET_B64, '--issuer', 'a', '--audience', 'b'])).status, 2);
    assert.equal((await runInProcess(['token', 'issue', '--type', 'xml', '--key', SECRET_B64, '--issuer', 'a', '--audience', 'b', '--expires', '1h'])).status, 2);
    assert.equal((await runInProcess(['token', 'verify', 'x.y.z', '--template', join(FIXTURES, 'azure-v2-swt.xml')])).status, 2, 'kid required by template');
    assert.equal((await runInProcess(['token', 'verify', 'x.y.z', '--key', SECRET_B64, '--issuer', 'a', '--audience', 'b', '--kid', 'not-a-kid'])).status, 2);
  });

  it('inspect says UNVERIFIED plainly, in text and --json', async () => {
    const token = await issue();
    const text = await runInProcess(['token', 'inspect', token]);
    assert.equal(text.status, 0);
    assert.match(text.stdout, /^UNVERIFIED JWT/);
    const json = await runInProcess(['token', 'inspect', token, '--json']);
    const j = JSON.parse(json.stdout);
    assert.equal(j.verified, false);
    assert.match(j.warning, /UNVERIFIED/);
    assert.equal(j.claims.iss, ISSUER);
  });

  it('inspect refuses garbage with exit 1, no trace', async () => {
    const r = await runInProcess(['token', 'inspect', '%%%']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^keysmith: error: /);
    assert.doesNotMatch(r.stderr, /at .*\.ts:/);
  });

  it('the installed binary issues and verifies (exit codes end to end)', async () => {
    const i = await runBinary(['token', 'issue', '--type', 'swt', '--key', SECRET_B64, '--issuer', ISSUER, '--audience', AUDIENCE, '--expires', '30m', ...at]);
    assert.equal(i.status, 0, i.stderr);
    const ok = await runBinary(['token', 'verify', '-', '--key', SECRET_B64, '--issuer', ISSUER, '--audience', AUDIENCE, ...at], { stdin: i.stdout });
    assert.equal(ok.status, 0, ok.stderr);
    const no = await runBinary(['token', 'verify', '-', '--key', SECRET_B64, '--issuer', ISSUER, '--audience', 'urn:other', ...at], { stdin: i.stdout });
    assert.equal(no.status, 1);
    assert.match(no.stderr, /ERR_TOKEN_AUDIENCE/);
  });
});
