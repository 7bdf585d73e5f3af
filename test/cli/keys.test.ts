/**
 * `keysmith keys …` end to end, in process. Vectors: test/vectors/drm-vectors.json
 * (key seed) and test/vectors/cpix (DASH-IF CPIX test vectors).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInProcess } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';
import { CPIX_VECTORS, pfxToPem } from '../keys/cpix-fixtures.js';

function tmp(t: import('node:test').TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'ks-cli-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('keys new writes a 0600 keys.json, refuses to overwrite, and --force replaces it', async (t) => {
  const dir = tmp(t);
  const out = join(dir, 'keys.json');
  const r = await runInProcess(['keys', 'new', '--count', '2', '--label', 'HD', '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const doc = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(doc.keys.length, 2);
  assert.equal(doc.keys[0].label, 'HD');
  assert.ok(!r.stdout.includes(doc.keys[0].key), 'the key is not printed');
  const again = await runInProcess(['keys', 'new', '-o', out]);
  assert.equal(again.status, 3);
  assert.match(again.stderr, /already exists/);
  assert.equal((await runInProcess(['keys', 'new', '-o', out, '--force'])).status, 0);
});

test('keys new with a given KID (UUID or hex) to stdout', async () => {
  const r = await runInProcess(['keys', 'new', '--kid', '0123456789ABCDEF0123456789ABCDEF', '-o', '-']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).keys[0].kid, '01234567-89ab-cdef-0123-456789abcdef');
  const bad = await runInProcess(['keys', 'new', '--kid', 'xyz', '-o', '-']);
  assert.equal(bad.status, 2);
});

test('keys show hides keys unless --reveal, in every notation', async (t) => {
  const dir = tmp(t);
  const file = join(dir, 'k.json');
  await runInProcess(['keys', 'new', '--kid', '8ba94ade-6eb9-449d-b44f-a5beefaf43b0', '-o', file]);
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  const hidden = await runInProcess(['keys', 'show', file, '--json']);
  assert.equal(hidden.status, 0);
  assert.ok(!hidden.stdout.includes(doc.keys[0].key));
  assert.equal(JSON.parse(hidden.stdout).keys[0].kid, '8ba94ade-6eb9-449d-b44f-a5beefaf43b0');
  const pr = await runInProcess(['keys', 'show', file, '--format', 'playready-guid', '--reveal', '--json']);
  const row = JSON.parse(pr.stdout).keys[0];
  assert.equal(row.kid, '3kqpi7lunUS0T6W+769DsA==');
  assert.equal(Buffer.from(row.key, 'base64').toString('hex'), doc.keys[0].key);
  const hex = await runInProcess(['keys', 'show', file, '--format', 'hex', '--reveal']);
  assert.match(hex.stdout, new RegExp(`^8ba94ade6eb9449db44fa5beefaf43b0  ${doc.keys[0].key}`));
});

test('keys derive reproduces the published PlayReady key seed vector', async () => {
  const V = JSON.parse(readFileSync(new URL('../vectors/drm-vectors.json', import.meta.url), 'utf8')).keySeed[0];
  const r = await runInProcess(['keys', 'derive', '--seed', V.seed, '--kid', V.kid, '--format', 'base64', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).keys[0].key, V.key);
  const stdin = await runInProcess(['keys', 'derive', '--seed-file', '-', '--kid', V.kid.replace(/-/g, ''), '--format', 'base64'], { stdin: `${V.seed}\n` });
  assert.match(stdin.stdout, new RegExp(V.key.replace(/[+/=]/g, (c: string) => `\\${c}`)));
  const short = await runInProcess(['keys', 'derive', '--seed', 'AAAA', '--kid', V.kid]);
  assert.equal(short.status, 2);
  assert.match(short.stderr, /at least 30 bytes/);
});

test('keys export → import with a recipient certificate round-trips; the output is 0600', async (t) => {
  if (!requireTool(t, 'openssl')) return;
  const dir = tmp(t);
  const keys = join(dir, 'keys.json');
  await runInProcess(['keys', 'new', '--count', '3', '--label', 'SD', '-o', keys]);
  const cpix = join(dir, 'keys.cpix.xml');
  const exp = await runInProcess(['keys', 'export', keys, '--cpix', '--recipient', join(CPIX_VECTORS, 'Cert2.cer'), join(CPIX_VECTORS, 'Cert1.cer'), '--drm', 'widevine,playready', '-o', cpix]);
  assert.equal(exp.status, 0, exp.stderr);
  const pem = pfxToPem('Cert1');
  t.after(pem.cleanup);
  const back = join(dir, 'back.json');
  const imp = await runInProcess(['keys', 'import', cpix, '--private-key', pem.pemPath, '-o', back]);
  assert.equal(imp.status, 0, imp.stderr);
  assert.equal(statSync(back).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(readFileSync(back, 'utf8')), JSON.parse(readFileSync(keys, 'utf8')));
  const locked = await runInProcess(['keys', 'import', cpix, '-o', join(dir, 'x.json')]);
  assert.equal(locked.status, 1);
  assert.match(locked.stderr, /encrypted/);
  assert.match(locked.stderr, /--private-key/);
});

test('keys export without a recipient warns that keys are in the clear', async (t) => {
  const dir = tmp(t);
  const keys = join(dir, 'keys.json');
  await runInProcess(['keys', 'new', '-o', keys]);
  const r = await runInProcess(['keys', 'export', keys, '-o', '-']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /<pskc:PlainValue>/);
  assert.match(r.stderr, /in the clear/);
});

test('weak recipient certificates and broken documents fail with one error line and a hint', async (t) => {
  const dir = tmp(t);
  const keys = join(dir, 'keys.json');
  await runInProcess(['keys', 'new', '-o', keys]);
  const weak = await runInProcess(['keys', 'export', keys, '--recipient', join(CPIX_VECTORS, 'WeakCert_Sha1.cer'), '-o', join(dir, 'o.xml')]);
  assert.equal(weak.status, 1);
  assert.match(weak.stderr, /^keysmith: error: .*SHA-1.*\nhint: .+\n$/);
  const sig = await runInProcess(['keys', 'import', join(CPIX_VECTORS, 'Invalid_BadDocumentSignature.xml')]);
  assert.equal(sig.status, 1);
  assert.match(sig.stderr, /^keysmith: error: signature by CN=CPIX Example Entity 2 over document does not verify.*\nhint: .+\n$/);
  const json = await runInProcess(['keys', 'import', join(CPIX_VECTORS, 'Invalid_BadContentKeysSignature.xml'), '--json']);
  assert.equal(JSON.parse(json.stdout).error.code, 'ERR_CPIX_SIGNATURE');
});

test('keys import --json reports verified signatures, recipients, DRM systems and usage rules without keys', async () => {
  const r = await runInProcess(['keys', 'import', join(CPIX_VECTORS, 'Complex.xml'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.signatures.count, 9);
  assert.ok(doc.signatures.details.every((s: { valid: boolean }) => s.valid));
  assert.equal(doc.recipients.length, 2);
  assert.equal(doc.drmSystems.length, 12);
  assert.equal(doc.usageRules.length, 2);
  assert.ok(doc.keys.every((k: { encrypted: boolean; hasValue: boolean }) => k.encrypted && !k.hasValue));
  const human = await runInProcess(['keys', 'import', join(CPIX_VECTORS, 'ClearContentKeysOnly.xml')]);
  assert.match(human.stdout, /signatures: none in the document/);
});
