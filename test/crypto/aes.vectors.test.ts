import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCtr,
  aesEcbEncryptBlock,
  createCtrStream,
  gcmOpen,
  gcmSeal,
} from '../../src/crypto/index.js';

interface Vectors {
  plaintext: string;
  ecb: { key: string; ciphertext: string }[];
  cbc: { name: string; key: string; iv: string; ciphertext: string }[];
  ctr: { name: string; key: string; counter: string; ciphertext: string }[];
  gcm: { name: string; key: string; iv: string; plaintext: string; aad: string; ciphertext: string; tag: string }[];
}
const v = JSON.parse(readFileSync(new URL('../vectors/nist-aes.json', import.meta.url), 'utf8')) as Vectors;
const hex = (s: string) => Buffer.from(s, 'hex');
const pt = hex(v.plaintext);

test('ECB-AES128 block encryption matches SP 800-38A F.1.1', () => {
  for (const c of v.ecb) {
    for (let i = 0; i < 4; i++) {
      assert.equal(aesEcbEncryptBlock(hex(c.key), pt.subarray(i * 16, i * 16 + 16)).toString('hex'), c.ciphertext.slice(i * 32, i * 32 + 32));
    }
  }
});

for (const c of v.cbc) {
  test(`CBC ${c.name} encrypts and decrypts without padding`, () => {
    assert.equal(aesCbcEncrypt(hex(c.key), hex(c.iv), pt, { padding: false }).toString('hex'), c.ciphertext);
    assert.deepEqual(aesCbcDecrypt(hex(c.key), hex(c.iv), hex(c.ciphertext), { padding: false }), pt);
  });
}

test('CBC with PKCS#7 padding adds a whole block to aligned input and round-trips', () => {
  const c = v.cbc[0]!;
  const sealed = aesCbcEncrypt(hex(c.key), hex(c.iv), pt, { padding: true });
  assert.equal(sealed.length, pt.length + 16);
  assert.equal(sealed.subarray(0, 64).toString('hex'), c.ciphertext);
  assert.deepEqual(aesCbcDecrypt(hex(c.key), hex(c.iv), sealed, { padding: true }), pt);
});

test('CBC without padding refuses partial blocks', () => {
  assert.throws(() => aesCbcEncrypt(hex(v.cbc[0]!.key), hex(v.cbc[0]!.iv), pt.subarray(0, 17), { padding: false }), /multiple of 16/);
});

for (const c of v.ctr) {
  test(`CTR ${c.name} matches, and a stream continues mid-block`, () => {
    assert.equal(aesCtr(hex(c.key), hex(c.counter), pt).toString('hex'), c.ciphertext);
    const s = createCtrStream(hex(c.key), hex(c.counter));
    const parts = [s.update(pt.subarray(0, 5)), s.update(pt.subarray(5, 37)), s.update(pt.subarray(37))];
    assert.equal(Buffer.concat(parts).toString('hex'), c.ciphertext);
  });
}

for (const c of v.gcm) {
  test(`GCM ${c.name} seals to the published ciphertext and tag and opens`, () => {
    const sealed = gcmSeal(hex(c.key), hex(c.iv), hex(c.plaintext), hex(c.aad));
    assert.equal(sealed.toString('hex'), c.ciphertext + c.tag);
    assert.deepEqual(gcmOpen(hex(c.key), hex(c.iv), sealed, hex(c.aad)), hex(c.plaintext));
  });
}

test('GCM open returns null for a flipped bit, a wrong AAD or a short input', () => {
  const c = v.gcm[2]!;
  const sealed = gcmSeal(hex(c.key), hex(c.iv), hex(c.plaintext), hex(c.aad));
  const flipped = Buffer.from(sealed);
  flipped[3]! ^= 1;
  assert.equal(gcmOpen(hex(c.key), hex(c.iv), flipped, hex(c.aad)), null);
  assert.equal(gcmOpen(hex(c.key), hex(c.iv), sealed, Buffer.from('other')), null);
  assert.equal(gcmOpen(hex(c.key), hex(c.iv), sealed.subarray(0, 10), hex(c.aad)), null);
});

test('key lengths other than 16/24/32 are refused with the length named', () => {
  assert.throws(() => aesCtr(Buffer.alloc(15), Buffer.alloc(16), pt), /expected length 16\/24\/32, got length=15/);
});
