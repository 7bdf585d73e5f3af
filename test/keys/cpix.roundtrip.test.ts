/**
 * CPIX export → import round trips (clear and encrypted to several
 * recipients), DRMSystemList from the DRM table, periods and usage rules
 * kept, and an openssl cross-check of our encryption (RSA-OAEP/SHA-1,
 * AES-256-CBC, HMAC-SHA512 per DASH-IF CPIX 2.3 §6.3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeysmithError } from '../../src/errors.js';
import { seededRandom } from '../../src/crypto/index.js';
import { buildCpix, cpixKeyEntries, parseCpix } from '../../src/keys/cpix.js';
import { generateContentKey } from '../../src/keys/content-keys.js';
import { loadCertificate } from '../../src/keys/x509.js';
import { drmByName, parsePsshBox } from '../../src/drm/index.js';
import { requireTool } from '../helpers/tools.js';
import { pfxToPem, vector } from './cpix-fixtures.js';

const random = seededRandom('cpix-roundtrip');
const entries = [generateContentKey(random, undefined, 'HD'), generateContentKey(random, undefined, 'AUDIO'), generateContentKey(random)];
const hexes = (list: { kid: { uuid: string }; key: { exportHex(): string }; label?: string }[]) => list.map((e) => `${e.kid.uuid}=${e.key.exportHex()}/${e.label ?? ''}`);

test('clear export re-imports to the same keys and labels', () => {
  const xml = buildCpix({ keys: entries, contentId: 'movie-1' });
  const doc = parseCpix(xml);
  assert.equal(doc.version, '2.3');
  assert.equal(doc.contentId, 'movie-1');
  assert.deepEqual(hexes(cpixKeyEntries(doc)), hexes(entries));
});

test('encrypted export to two recipients: each decrypts, a stranger cannot', (t) => {
  if (!requireTool(t, 'openssl')) return;
  const recipients = [loadCertificate(vector('Cert1.cer')), loadCertificate(vector('Cert2.cer'))];
  const xml = buildCpix({ keys: entries, recipients, random });
  assert.ok(!xml.includes(entries[0]!.key.exportBase64()), 'no key in the clear');
  for (const name of ['Cert1', 'Cert2']) {
    const pem = pfxToPem(name);
    try {
      const doc = parseCpix(xml, { privateKey: pem.key });
      assert.ok(doc.keys.every((k) => k.encrypted));
      assert.deepEqual(hexes(cpixKeyEntries(doc)), hexes(entries));
    } finally {
      pem.cleanup();
    }
  }
  const stranger = pfxToPem('Cert3');
  try {
    assert.throws(() => parseCpix(xml, { privateKey: stranger.key }), (e: KeysmithError) => e.code === 'ERR_CPIX_RECIPIENT');
  } finally {
    stranger.cleanup();
  }
  // Without a key: loads, keys stay locked.
  assert.ok(parseCpix(xml).keys.every((k) => k.encrypted && k.key === undefined));
  // A flipped bit in a CipherValue fails the MAC.
  const tampered = xml.replace(/(<ContentKey [^>]*><Data><pskc:Secret><pskc:EncryptedValue>.*?<enc:CipherValue>)(.)/, (_m, a: string, c: string) => a + (c === 'A' ? 'B' : 'A'));
  const pem = pfxToPem('Cert1');
  try {
    assert.throws(() => parseCpix(tampered, { privateKey: pem.key }), (e: KeysmithError) => e.code === 'ERR_CPIX_MAC');
  } finally {
    pem.cleanup();
  }
});

test('openssl decrypts our document key and content key, and agrees on the MAC', (t) => {
  if (!requireTool(t, 'openssl')) return;
  const xml = buildCpix({ keys: [entries[0]!], recipients: [loadCertificate(vector('Cert1.cer'))], random });
  const values = [...xml.matchAll(/<enc:CipherValue>([^<]+)<\/enc:CipherValue>/g)].map((m) => Buffer.from(m[1]!, 'base64'));
  const mac = /<pskc:ValueMAC>([^<]+)</.exec(xml)![1]!;
  const dir = mkdtempSync(join(tmpdir(), 'ks-cpix-openssl-'));
  const pem = pfxToPem('Cert1');
  try {
    const rsa = (data: Buffer) => {
      writeFileSync(join(dir, 'in.bin'), data);
      const r = spawnSync('openssl', ['pkeyutl', '-decrypt', '-inkey', pem.pemPath, '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha1', '-in', join(dir, 'in.bin')]);
      assert.equal(r.status, 0, r.stderr.toString());
      return r.stdout;
    };
    const documentKey = rsa(values[0]!);
    const macKey = rsa(values[1]!);
    assert.equal(documentKey.length, 32);
    const cv = values[2]!;
    writeFileSync(join(dir, 'ct.bin'), cv.subarray(16));
    const dec = spawnSync('openssl', ['enc', '-d', '-aes-256-cbc', '-K', documentKey.toString('hex'), '-iv', cv.subarray(0, 16).toString('hex'), '-in', join(dir, 'ct.bin')]);
    assert.equal(dec.status, 0, dec.stderr.toString());
    assert.equal(dec.stdout.toString('hex'), entries[0]!.key.exportHex());
    writeFileSync(join(dir, 'cv.bin'), cv);
    const hmac = spawnSync('openssl', ['dgst', '-sha512', '-mac', 'HMAC', '-macopt', `hexkey:${macKey.toString('hex')}`, '-binary', join(dir, 'cv.bin')]);
    assert.equal(hmac.status, 0, hmac.stderr.toString());
    assert.equal(hmac.stdout.toString('base64'), mac);
  } finally {
    pem.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('DRMSystemList signalling comes from the DRM table', () => {
  const systems = ['widevine', 'playready', 'fairplay'].map(drmByName);
  const xml = buildCpix({ keys: entries.slice(0, 1), drm: { systems, scheme: 'cbcs', context: { laUrl: 'https://pr.example.com/' } } });
  const doc = parseCpix(xml);
  assert.equal(doc.keys[0]!.commonEncryptionScheme, 'cbcs');
  assert.deepEqual(doc.drmSystems.map((d) => d.systemId), systems.map((s) => s.systemId));
  const [wv, pr, fp] = doc.drmSystems;
  assert.equal(parsePsshBox(Buffer.from(wv!.pssh!, 'base64')).systemId, systems[0]!.systemId);
  assert.match(wv!.contentProtectionData!, /^<cenc:pssh xmlns:cenc="urn:mpeg:cenc:2013">/);
  assert.ok(pr!.smoothStreamingProtectionHeaderData);
  assert.match(pr!.contentProtectionData!, /<mspr:pro xmlns:mspr="urn:microsoft:playready">/);
  assert.equal(fp!.pssh, undefined);
  assert.deepEqual(fp!.hlsSignalingData.map((h) => h.playlist), ['media', 'master']);
  assert.match(fp!.hlsSignalingData[0]!.text, /^#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd:\/\//);
  assert.match(fp!.hlsSignalingData[1]!.text, /^#EXT-X-SESSION-KEY:/);
});

test('key periods and usage rules survive a round trip', () => {
  const original = parseCpix(vector('KeyRotationMultiKeyMulitPeriod.xml'));
  const again = parseCpix(buildCpix({ keys: cpixKeyEntries(original), periods: original.periods, usageRules: original.usageRules }));
  assert.deepEqual(again.periods, original.periods);
  assert.deepEqual(
    again.usageRules.map((r) => [r.kid.uuid, r.filters]),
    original.usageRules.map((r) => [r.kid.uuid, r.filters]),
  );
  const labels = parseCpix(vector('UsageRulesBasedOnLabels.xml'));
  assert.equal(cpixKeyEntries(labels)[0]!.label, 'AllAudioStreams');
});
