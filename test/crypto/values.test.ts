import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { ContentKey, KeyId, Iv, constantTimeEqual, parseBytes, seededRandom, swapGuidBytes, toUuid } from '../../src/crypto/index.js';

const KID_HEX = '0123456789abcdef0123456789abcdef';
const KID_UUID = '01234567-89ab-cdef-0123-456789abcdef';

test('a KID parses from hex, UUID (with braces, any case), base64 and base64url to the same bytes', () => {
  const bytes = Buffer.from(KID_HEX, 'hex');
  for (const text of [KID_HEX, KID_UUID, `{${KID_UUID.toUpperCase()}}`, bytes.toString('base64'), bytes.toString('base64url')]) {
    assert.deepEqual(KeyId.parse(text).bytes, bytes, text);
  }
  assert.equal(KeyId.parse(KID_HEX).uuid, KID_UUID);
  assert.equal(JSON.stringify({ kid: KeyId.parse(KID_HEX) }), `{"kid":"${KID_UUID}"}`);
});

test('a KID of the wrong length is refused with a precise message', () => {
  assert.throws(() => KeyId.parse('0123'), (e: Error & { code?: string }) => e.code === 'ERR_INVALID_VALUE' && /key id/.test(e.message));
  assert.throws(() => new KeyId(Buffer.alloc(15)), /expected length 16, got length=15/);
});

test('the Microsoft GUID order swaps the first three fields and is its own inverse', () => {
  const kid = KeyId.parse(KID_UUID);
  assert.equal(kid.guidBytes.toString('hex'), '67452301ab89efcd0123456789abcdef');
  assert.deepEqual(swapGuidBytes(kid.guidBytes), kid.bytes);
});

test('content keys never render their bytes', () => {
  const key = ContentKey.parse('00112233445566778899aabbccddeeff');
  const rendered = [String(key), JSON.stringify({ key }), inspect(key), `${key}`].join(' ');
  assert.ok(!rendered.includes('0011223344'), rendered);
  assert.equal(key.exportHex(), '00112233445566778899aabbccddeeff');
  assert.equal(key.exportBase64Url(), Buffer.from('00112233445566778899aabbccddeeff', 'hex').toString('base64url'));
});

test('IVs take 8 or 16 bytes of hex', () => {
  assert.equal(Iv.parse('0102030405060708').bytes.length, 8);
  assert.equal(Iv.parse('0x000102030405060708090a0b0c0d0e0f').bytes.length, 16);
  assert.throws(() => Iv.parse('010203'), /16 or 32 hex digits/);
});

test('parseBytes without a length accepts only hex and UUIDs', () => {
  assert.equal(parseBytes('abcd', 'x').notation, 'hex');
  assert.throws(() => parseBytes('q83v', 'x'), /hex, a UUID/);
});

test('constant-time compare handles different lengths', () => {
  assert.equal(constantTimeEqual(Buffer.from('abc'), Buffer.from('abc')), true);
  assert.equal(constantTimeEqual(Buffer.from('abc'), Buffer.from('abd')), false);
  assert.equal(constantTimeEqual(Buffer.from('abc'), Buffer.from('abcd')), false);
});

test('seeded randomness is reproducible and differs by seed', () => {
  assert.deepEqual(seededRandom('a').bytes(40), seededRandom('a').bytes(40));
  assert.notDeepEqual(seededRandom('a').bytes(16), seededRandom('b').bytes(16));
  assert.equal(toUuid(seededRandom('a').bytes(16)).length, 36);
});
