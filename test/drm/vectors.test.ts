/**
 * Byte-exact DRM headers against published vectors (sources in
 * test/vectors/drm-vectors.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ContentKey, KeyId, swapGuidBytes } from '../../src/crypto/index.js';
import {
  buildPlayReadyObject,
  buildPsshBox,
  buildWrmHeader,
  drmByName,
  parsePlayReadyPsshData,
  parsePsshBox,
  playReadyChecksum,
  WIDEVINE_SYSTEM_ID,
  COMMON_SYSTEM_ID,
} from '../../src/drm/index.js';
import { derivePlayReadyContentKey, parseKeySeed } from '../../src/keys/key-seed.js';

const V = JSON.parse(readFileSync(new URL('../vectors/drm-vectors.json', import.meta.url), 'utf8'));
const ascii = (s: string) => new KeyId(Buffer.from(s, 'latin1'));
const guidKid = (b64: string) => new KeyId(swapGuidBytes(Buffer.from(b64, 'base64')));

test('W3C common system box is byte-exact (EME cenc initData example)', () => {
  const kids = V.common.kidsAscii.map(ascii);
  const row = drmByName('common');
  assert.equal(row.systemId, COMMON_SYSTEM_ID);
  assert.equal(row.psshBox({ kids, scheme: 'cenc' })!.toString('hex'), V.common.box);
  const parsed = parsePsshBox(Buffer.from(V.common.box, 'hex'));
  assert.equal(parsed.version, 1);
  assert.deepEqual(parsed.kids.map((k) => k.hex), kids.map((k: KeyId) => k.hex));
  assert.equal(parsed.data.length, 0);
});

test('Widevine box is byte-exact against Shaka Packager (cenc and cbcs)', () => {
  const kids = V.widevine.kidsAscii.map(ascii);
  const wv = drmByName('widevine');
  assert.equal(wv.systemId, WIDEVINE_SYSTEM_ID);
  assert.equal(wv.psshBox({ kids, scheme: 'cenc' })!.toString('hex'), V.widevine.cencBox);
  const cbcs = wv.psshBox({ kids, scheme: 'cbcs' })!;
  const data = Buffer.from(V.widevine.cencBox, 'hex').subarray(32);
  const expected = buildPsshBox({ systemId: WIDEVINE_SYSTEM_ID, data: Buffer.concat([data, Buffer.from(V.widevine.cbcsField9, 'hex')]) });
  assert.equal(cbcs.toString('hex'), expected.toString('hex'));
  assert.equal(cbcs.readUInt32BE(0), 0x4a);
  const described = wv.parsePsshData!(parsePsshBox(cbcs).data);
  assert.equal(described.protectionScheme, 'cbcs');
  assert.deepEqual(described.keyIds, kids.map((k: KeyId) => k.uuid));
});

test('PlayReady 4.0 object is byte-exact against the specification example', () => {
  const v = V.playready40Object;
  // The spec's example orders KEYLEN before ALGID; we write the same order.
  const pro = buildPlayReadyObject({
    version: '4.0',
    kids: [{ kid: guidKid(v.kidValue), checksum: Buffer.from(v.checksum, 'base64') }],
    laUrl: v.laUrl,
    customAttributes: v.customAttributes,
  });
  assert.equal(pro.toString('base64'), v.object);
  const parsed = parsePlayReadyPsshData(Buffer.from(v.object, 'base64'));
  assert.equal(parsed.header!.version, '4.0.0.0');
  assert.equal(parsed.header!.kids[0]!.kid.guidBytes.toString('base64'), v.kidValue);
  assert.equal(parsed.header!.laUrl, v.laUrl);
});

test('PlayReady 4.2 and 4.3 headers match the specification examples', () => {
  const a = V.playready42;
  assert.equal(
    buildWrmHeader({
      version: '4.2',
      kids: a.kids.map((k: { value: string; checksum: string }) => ({ kid: guidKid(k.value), checksum: Buffer.from(k.checksum, 'base64') })),
      laUrl: a.laUrl,
      dsId: a.dsId,
    }),
    a.xml,
  );
  const b = V.playready43;
  assert.equal(buildWrmHeader({ version: '4.3', algId: 'AESCBC', kids: b.kids.map((k: string) => ({ kid: guidKid(k) })), laUrl: b.laUrl, dsId: b.dsId }), b.xml);
});

test('PlayReady key seed derivation matches published vectors, and so do checksum and header', () => {
  const [ams, chain] = V.keySeed;
  assert.equal(derivePlayReadyContentKey(parseKeySeed(ams.seed), KeyId.parse(ams.kid)).exportBase64(), ams.key);
  const kid = KeyId.parse(chain.kid);
  const key = derivePlayReadyContentKey(parseKeySeed(chain.seed), kid);
  assert.equal(key.exportHex(), chain.keyHex);
  assert.equal(playReadyChecksum(kid, key).toString('base64'), chain.checksum);
  const pr = drmByName('playready');
  const box = pr.psshBox({ kids: [kid], keys: [{ kid, key }], scheme: 'cenc', playreadyVersion: '4.2', laUrl: chain.laUrl })!;
  const described = pr.parsePsshData!(parsePsshBox(box).data) as { header: { xml: string } };
  assert.equal(described.header.xml, chain.wrmheader42);
});

test('the checksum is computed over the little-endian KID (the classic bug is the big-endian one)', () => {
  const kid = KeyId.parse('8ba94ade-6eb9-449d-b44f-a5beefaf43b0');
  const key = ContentKey.parse('dbfd6922c321c4bb486f4a1c44097ed6');
  const wrong = playReadyChecksum(new KeyId(kid.guidBytes), key); // pretends the LE bytes are the UUID
  assert.notEqual(wrong.toString('base64'), 'Me48z71nuqY=');
});
