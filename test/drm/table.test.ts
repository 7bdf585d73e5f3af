/**
 * The DRM table: one row per system, looked up by name or SystemID, and the
 * signalling each row produces for DASH (ISO/IEC 23009-1, DASH-IF IOP),
 * HLS (RFC 8216, Apple HLS authoring spec) and Smooth (MS-SSTR).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContentKey, KeyId } from '../../src/crypto/index.js';
import { KeysmithError } from '../../src/errors.js';
import {
  DRM_SYSTEMS,
  drmByName,
  drmBySystemId,
  formatHlsKeyTag,
  mp4ProtectionContentProtection,
  namespacesUsed,
  parseDrmList,
  parsePsshBox,
  renderDashContentProtection,
  LEGACY_CLEARKEY_SYSTEM_ID,
} from '../../src/drm/index.js';

const kid = KeyId.parse('8ba94ade-6eb9-449d-b44f-a5beefaf43b0');
const key = ContentKey.parse('dbfd6922c321c4bb486f4a1c44097ed6');

test('every row has a distinct SystemID, and lookups agree', () => {
  assert.deepEqual(DRM_SYSTEMS.map((s) => s.name), ['widevine', 'playready', 'clearkey', 'fairplay']);
  assert.equal(new Set(DRM_SYSTEMS.map((s) => s.systemId)).size, DRM_SYSTEMS.length);
  for (const s of DRM_SYSTEMS) {
    assert.equal(drmByName(s.name), s);
    assert.equal(drmBySystemId(s.systemId.toUpperCase()), s);
    assert.equal(drmBySystemId(`urn:uuid:${s.systemId}`), s);
  }
  assert.equal(drmByName('common').name, 'clearkey');
  assert.equal(drmBySystemId(LEGACY_CLEARKEY_SYSTEM_ID)?.name, 'clearkey');
  assert.equal(drmBySystemId('79f0049a-4098-8642-ab92-e65be0885f95')?.name, 'playready'); // little-endian GUID form
  assert.equal(drmBySystemId('00000000-0000-0000-0000-000000000000'), undefined);
  assert.deepEqual(parseDrmList('playready, widevine,playready').map((s) => s.name), ['playready', 'widevine']);
});

test('an unknown name is a usage error that lists the valid ones', () => {
  assert.throws(
    () => drmByName('primetime'),
    (e: KeysmithError) => e.code === 'ERR_USAGE' && e.exit === 2 && /widevine, playready, clearkey, fairplay, common/.test(e.hint ?? ''),
  );
});

test('PlayReady versions follow the header specification rules', () => {
  const pr = drmByName('playready');
  const xmlOf = (ctx: Parameters<typeof pr.psshBox>[0]) => (pr.parsePsshData!(parsePsshBox(pr.psshBox(ctx)!).data) as { header: { xml: string; version: string } }).header;
  assert.equal(xmlOf({ kids: [kid], scheme: 'cenc' }).version, '4.0.0.0');
  assert.equal(xmlOf({ kids: [kid, KeyId.parse('00112233445566778899aabbccddeeff')], scheme: 'cenc' }).version, '4.2.0.0');
  const cbcs = xmlOf({ kids: [kid], keys: [{ kid, key }], scheme: 'cbcs' });
  assert.equal(cbcs.version, '4.3.0.0');
  assert.match(cbcs.xml, /<KID ALGID="AESCBC" VALUE="3kqpi7lunUS0T6W\+769DsA=="><\/KID>/); // no CHECKSUM for AESCBC (§3.3.1)
  assert.throws(() => pr.psshBox({ kids: [kid], scheme: 'cbcs', playreadyVersion: '4.2' }), (e: KeysmithError) => e.code === 'ERR_USAGE' && /4\.3/.test(e.hint ?? ''));
  assert.throws(() => pr.psshBox({ kids: [kid, KeyId.parse('00112233445566778899aabbccddeeff')], scheme: 'cenc', playreadyVersion: '4.1' }), /one KID/);
  assert.match(xmlOf({ kids: [kid], keys: [{ kid, key }], scheme: 'cenc', playreadyVersion: '4.1' }).xml, /<PROTECTINFO><KID ALGID="AESCTR" CHECKSUM="Me48z71nuqY=" VALUE="3kqpi7lunUS0T6W\+769DsA=="><\/KID><\/PROTECTINFO>/);
  assert.match(xmlOf({ kids: [kid], scheme: 'cenc', laUrl: 'https://x/?a=1&b=2' }).xml, /<LA_URL>https:\/\/x\/\?a=1&amp;b=2<\/LA_URL>/);
});

test('DASH descriptors: generic mp4protection plus one per system', () => {
  const ctx = { kids: [kid], keys: [{ kid, key }], scheme: 'cenc' as const, laUrl: 'https://keys.example.com/clearkey' };
  const generic = mp4ProtectionContentProtection(ctx);
  assert.equal(
    renderDashContentProtection(generic),
    '<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc" cenc:default_KID="8ba94ade-6eb9-449d-b44f-a5beefaf43b0"/>',
  );
  const wv = drmByName('widevine').dashContentProtection(ctx);
  assert.equal(wv.schemeIdUri, 'urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed');
  assert.equal(wv.children[0]!.name, 'cenc:pssh');
  const pr = drmByName('playready').dashContentProtection(ctx);
  assert.equal(pr.value, 'MSPR 2.0');
  assert.deepEqual(pr.children.map((c) => c.name), ['cenc:pssh', 'mspr:pro']);
  const ck = drmByName('clearkey').dashContentProtection(ctx);
  assert.equal(ck.schemeIdUri, `urn:uuid:${LEGACY_CLEARKEY_SYSTEM_ID}`);
  assert.match(renderDashContentProtection(ck), /<dashif:Laurl Lic_type="EME-1.0">https:\/\/keys.example.com\/clearkey<\/dashif:Laurl>/);
  // The common-system pssh rides in the ClearKey descriptor (Chromium fires 'encrypted' on it).
  assert.equal(parsePsshBox(Buffer.from(ck.children[1]!.text!, 'base64')).systemId, '1077efec-c0b2-4d02-ace3-3c1e52e2fb4b');
  assert.deepEqual(Object.keys(namespacesUsed([generic, wv, pr, ck])).sort(), ['cenc', 'dashif', 'mspr']);
});

test('HLS key lines per system, FairPlay with skd:// and no pssh', () => {
  const cbcs = { kids: [kid], scheme: 'cbcs' as const };
  const fp = drmByName('fairplay');
  assert.equal(fp.psshBox(cbcs), undefined);
  assert.equal(
    formatHlsKeyTag(fp.hlsKey({ ...cbcs, keyUri: 'skd://8ba94ade6eb9449db44fa5beefaf43b0' })),
    '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://8ba94ade6eb9449db44fa5beefaf43b0",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1"',
  );
  assert.throws(() => fp.hlsKey({ kids: [kid], scheme: 'cenc' }), (e: KeysmithError) => e.code === 'ERR_USAGE' && /cbcs/.test(e.hint ?? ''));
  const wv = drmByName('widevine').hlsKey({ kids: [kid], scheme: 'cenc' });
  assert.equal(wv.method, 'SAMPLE-AES-CTR');
  assert.equal(wv.keyformat, 'urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed');
  assert.equal(wv.keyId, '0x8BA94ADE6EB9449DB44FA5BEEFAF43B0');
  assert.ok(wv.uri.startsWith('data:text/plain;base64,AAAA'));
  const pr = drmByName('playready').hlsKey(cbcs);
  assert.equal(pr.keyformat, 'com.microsoft.playready');
  assert.ok(pr.uri.startsWith('data:text/plain;charset=UTF-16;base64,'));
  assert.match(formatHlsKeyTag(drmByName('clearkey').hlsKey(cbcs), 'EXT-X-SESSION-KEY'), /^#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI="data:text\/plain;base64,i6lK3m65RJ20T6W\+769DsA==",KEYID=0x8BA94ADE/);
});

test('Smooth ProtectionHeader carries the PlayReady Object', () => {
  const header = drmByName('playready').smoothProtectionHeader!({ kids: [kid], scheme: 'cenc' });
  assert.match(header, /^<ProtectionHeader SystemID="9A04F079-9840-4286-AB92-E65BE0885F95">[A-Za-z0-9+/=]+<\/ProtectionHeader>$/);
  for (const s of DRM_SYSTEMS) if (s.name !== 'playready') assert.equal(s.smoothProtectionHeader, undefined);
});
