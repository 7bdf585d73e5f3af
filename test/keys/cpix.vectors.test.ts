/**
 * CPIX import against the DASH-IF CPIX test vectors (see cpix-fixtures.ts):
 * every valid document parses to its keys, every Invalid_* is refused with a
 * precise error, weak certificates are refused, hostile XML is bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { KeysmithError } from '../../src/errors.js';
import { buildCpix, parseCpix } from '../../src/keys/cpix.js';
import { loadCertificate } from '../../src/keys/x509.js';
import { generateContentKey } from '../../src/keys/content-keys.js';
import { seededRandom } from '../../src/crypto/index.js';
import { requireTool } from '../helpers/tools.js';
import { CPIX_VECTORS, pfxToPem, vector, vectorsPresent } from './cpix-fixtures.js';

const keys = new Map<string, KeyObject>();
function keyOf(name: string): KeyObject {
  let k = keys.get(name);
  if (!k) {
    const c = pfxToPem(name);
    k = c.key;
    c.cleanup();
    keys.set(name, k);
  }
  return k;
}

function errCode(fn: () => unknown): string {
  try {
    fn();
    return 'OK';
  } catch (err) {
    assert.ok(err instanceof KeysmithError, String(err));
    assert.ok(!err.message.includes('\n'));
    return err.code;
  }
}

const ready = (t: import('node:test').TestContext) => {
  if (!vectorsPresent()) {
    if (process.env.CI === 'true') throw new Error(`CPIX vectors missing at ${CPIX_VECTORS}`);
    t.skip(`CPIX vectors missing at ${CPIX_VECTORS}`);
    return false;
  }
  return requireTool(t, 'openssl');
};

test('EncryptedContentKeys.xml with Cert1 yields the four keys of the Readme', (t) => {
  if (!ready(t)) return;
  const doc = parseCpix(vector('EncryptedContentKeys.xml'), { privateKey: keyOf('Cert1') });
  assert.deepEqual(
    doc.keys.map((k) => [k.kid.uuid, k.key?.exportBase64()]),
    [
      ['bd5adf51-cf04-410f-aac3-ec63a69e929e', '3rWoHYasQubO6HbJGrGtLw=='],
      ['d2920429-87ab-41e6-a4c5-a8c836b6312e', 'O5w9FdZiwmQK4uIXzAziaQ=='],
      ['e17ba4b8-faff-4d30-bcba-7485e3f2e884', 'Cwu/3hSBBRQ7SurBdZD5ow=='],
      ['0ae6b9ad-92d2-4ebe-882b-1d07dee70715', 'FB6/Eck9Y9SXy6bY8UU/Mw=='],
    ],
  );
  assert.ok(doc.keys.every((k) => k.encrypted));
});

test('every recipient of EncryptedContentKeysWithMultipleRecipients.xml decrypts the same keys', (t) => {
  if (!ready(t)) return;
  const results = ['Cert1', 'Cert2', 'Cert3', 'Cert4'].map((c) =>
    parseCpix(vector('EncryptedContentKeysWithMultipleRecipients.xml'), { privateKey: keyOf(c) }).keys.map((k) => `${k.kid.uuid}=${k.key!.exportHex()}`),
  );
  assert.equal(results[0]!.length, 4);
  for (const r of results) assert.deepEqual(r, results[0]);
});

test('every valid vector parses; signed ones verify; keys decrypt where Cert1 is a recipient', (t) => {
  if (!ready(t)) return;
  const valid = readdirSync(CPIX_VECTORS).filter((f) => f.endsWith('.xml') && !f.startsWith('Invalid_'));
  assert.ok(valid.length >= 10);
  const expectSignatures: Record<string, number> = { 'Complex.xml': 9, 'EvenMoreComplex.xml': 6 };
  for (const f of valid) {
    const plain = parseCpix(vector(f));
    assert.equal(plain.signatures.length, expectSignatures[f] ?? 0, f);
    assert.ok(plain.signatures.every((s) => s.valid), f);
    const encrypted = plain.keys.some((k) => k.encrypted);
    if (encrypted && plain.recipients.length > 0 && f !== 'RecipientsWithoutContentKeys.xml') {
      const doc = parseCpix(vector(f), { privateKey: keyOf('Cert1') });
      assert.ok(doc.keys.every((k) => k.key !== undefined), f);
    } else {
      assert.ok(plain.keys.every((k) => k.key !== undefined), f);
    }
  }
  assert.equal(parseCpix(vector('ClearContentKeysOnly.xml')).keys[0]!.key!.exportBase64(), 'gPxt0PMwrHM4TdjwdQmhhQ==');
  const rotation = parseCpix(vector('KeyRotationMultiKeyMulitPeriod.xml'));
  assert.deepEqual(rotation.periods, [{ id: 'now', index: 1 }, { id: 'next', index: 2 }]);
  assert.deepEqual(rotation.usageRules[0]!.filters.map((f) => f.type), ['KeyPeriodFilter', 'VideoFilter']);
  assert.equal(rotation.keys[0]!.explicitIV, 'f45bcebb-f0df-4a34-bf4e-c24edfcf6289');
  const complex = parseCpix(vector('Complex.xml'));
  assert.equal(complex.drmSystems.length, 12);
  assert.ok(complex.drmSystems.some((d) => d.system === 'FairPlay Streaming' && d.hlsSignalingData.length === 2));
  assert.ok(complex.drmSystems.filter((d) => d.systemId === '9a04f079-9840-4286-ab92-e65be0885f95').every((d) => d.smoothStreamingProtectionHeaderData));
  // Only Cert3 and Cert4 are recipients here.
  assert.equal(parseCpix(vector('RecipientsWithoutContentKeys.xml'), { privateKey: keyOf('Cert3') }).recipients.filter((r) => r.matchesPrivateKey).length, 1);
  assert.equal(errCode(() => parseCpix(vector('RecipientsWithoutContentKeys.xml'), { privateKey: keyOf('Cert1') })), 'ERR_CPIX_RECIPIENT');
});

test('every Invalid_* vector is refused with a precise error', (t) => {
  if (!ready(t)) return;
  assert.equal(errCode(() => parseCpix(vector('Invalid_BadContentKeysSignature.xml'))), 'ERR_CPIX_SIGNATURE');
  assert.equal(errCode(() => parseCpix(vector('Invalid_BadDocumentSignature.xml'))), 'ERR_CPIX_SIGNATURE');
  // Readme: loading succeeds without decrypting; decrypting with Cert1 must fail on the MAC.
  assert.equal(errCode(() => parseCpix(vector('Invalid_WrongMac.xml'))), 'OK');
  assert.equal(errCode(() => parseCpix(vector('Invalid_WrongMac.xml'), { privateKey: keyOf('Cert1') })), 'ERR_CPIX_MAC');
});

test('weak certificates are refused with a hint (SHA-1 signature, small RSA key)', (t) => {
  if (!ready(t)) return;
  const entry = generateContentKey(seededRandom('weak'));
  for (const name of ['WeakCert_Sha1.cer', 'WeakCert_SmallKey.cer']) {
    const cert = loadCertificate(vector(name), name);
    assert.throws(
      () => buildCpix({ keys: [entry], recipients: [cert] }),
      (e: KeysmithError) => e.code === 'ERR_CPIX_CERTIFICATE' && (e.hint ?? '').length > 0,
      name,
    );
  }
  assert.equal(errCode(() => parseCpix(vector('ClearContentKeysOnly.xml'), { privateKey: keyOf('WeakCert_SmallKey') })), 'ERR_CPIX_CERTIFICATE');
});

test('hostile XML is refused quickly: entity expansion, absurd depth, wrong root, duplicate lists', () => {
  const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><CPIX xmlns="urn:dashif:org:cpix">&lol2;</CPIX>`;
  assert.equal(errCode(() => parseCpix(laughs)), 'ERR_CPIX_XML');
  const deep = `<CPIX xmlns="urn:dashif:org:cpix">${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</CPIX>`;
  assert.equal(errCode(() => parseCpix(deep)), 'ERR_CPIX_XML');
  assert.equal(errCode(() => parseCpix('<CPIX xmlns="urn:other"/>')), 'ERR_CPIX_FORMAT');
  assert.equal(errCode(() => parseCpix('<CPIX xmlns="urn:dashif:org:cpix"><ContentKeyList/><ContentKeyList/></CPIX>')), 'ERR_CPIX_FORMAT');
  assert.equal(errCode(() => parseCpix('<CPIX xmlns="urn:dashif:org:cpix"><ContentKeyList>')), 'ERR_CPIX_XML');
  assert.equal(errCode(() => parseCpix('<CPIX xmlns="urn:dashif:org:cpix">&unknown;</CPIX>')), 'ERR_CPIX_XML');
  const kidTwice = '<CPIX xmlns="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc"><ContentKeyList>' +
    '<ContentKey kid="40d02dd1-61a3-4787-a155-572325d47b80"/><ContentKey kid="40d02dd1-61a3-4787-a155-572325d47b80"/></ContentKeyList></CPIX>';
  assert.equal(errCode(() => parseCpix(kidTwice)), 'ERR_CPIX_FORMAT');
});
