/** Round trips through the library: sizes around chunk edges, counters past 2^32, passphrases. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GCM_TAG } from '../../src/crypto/index.js';
import { parseHeader, MAX_COUNTER } from '../../src/storage/index.js';
import { KEY_B, KEY_HEADER, keyCred, pattern, seal, unseal } from './helpers.js';

const C = 1024;

for (const size of [0, 1, C - 1, C, C + 1, 2 * C, 3 * C + 5, 5 * 1024 * 1024 + 17]) {
  test(`round trip of ${size} bytes (chunk size ${C})`, async () => {
    const pt = pattern(size);
    const file = await seal(pt, { chunkSize: C });
    const chunks = Math.max(1, Math.ceil(size / C));
    assert.equal(file.length, KEY_HEADER + size + chunks * GCM_TAG);
    assert.equal(parseHeader(file).core.chunkSize, C);
    assert.deepEqual(await unseal(file), pt);
  });
}

test('default chunk size round trip, and a fresh data key and nonce prefix per file', async () => {
  const pt = pattern(3000);
  const a = await seal(pt, { chunkSize: 1024 * 1024 });
  const b = await seal(pt, { chunkSize: 1024 * 1024 });
  assert.notDeepEqual(a.subarray(14, 20), b.subarray(14, 20));
  assert.notDeepEqual(a.subarray(KEY_HEADER), b.subarray(KEY_HEADER));
  assert.deepEqual(await unseal(a), pt);
});

test('multi-TiB counters (simulated by an internal start offset) cross 2^32 and round trip', async () => {
  const pt = pattern(4 * C + 3);
  const offset = 2 ** 32 - 2; // chunks 2^32-2 .. 2^32+2
  const file = await seal(pt, { chunkSize: C, counterOffset: offset });
  assert.deepEqual(await unseal(file, { counterOffset: offset }), pt);
  // The counter is in the nonce: read from 0, the same file fails.
  await assert.rejects(unseal(file), { code: 'ERR_STORAGE_TAMPERED' });
});

test('the counter refuses to wrap past 2^40 chunks', async () => {
  await assert.rejects(seal(pattern(3 * C), { chunkSize: C, counterOffset: MAX_COUNTER - 1 }), { code: 'ERR_STORAGE_LIMIT' });
});

test('passphrase round trip (scrypt parameters stored in the header)', async () => {
  const cred = { type: 'passphrase' as const, passphrase: Buffer.from('pässwörd'), logN: 10 };
  const file = await seal(pattern(2500), { cred });
  const h = parseHeader(file);
  assert.equal(h.wrap.type, 'scrypt');
  assert.deepEqual({ logN: h.wrap.scrypt!.logN, r: h.wrap.scrypt!.r, p: h.wrap.scrypt!.p }, { logN: 10, r: 8, p: 1 });
  assert.deepEqual(await unseal(file, { cred }), pattern(2500));
  await assert.rejects(unseal(file, { cred: { type: 'passphrase', passphrase: Buffer.from('passwort') } }), { code: 'ERR_STORAGE_WRONG_KEY', message: 'wrong passphrase' });
  await assert.rejects(unseal(file, { cred: keyCred() }), { code: 'ERR_STORAGE_WRONG_KEY' });
});

test('wrong key names the key id the file needs, never key bytes', async () => {
  const file = await seal(pattern(10));
  const err = (await unseal(file, { cred: keyCred(KEY_B) }).then(
    () => assert.fail('decrypted with the wrong key'),
    (e: unknown) => e,
  )) as Error & { code: string };
  assert.equal(err.code, 'ERR_STORAGE_WRONG_KEY');
  assert.match(err.message, /^this file was encrypted with key id [0-9a-f]{16}, not [0-9a-f]{16}$/);
  assert.ok(!err.message.includes(KEY_B.exportHex()) && !err.message.includes('a1a1a1a1'));
});
