/**
 * CENC AES primitives against independent computations: NIST SP 800-38A
 * vectors (test/vectors/nist-aes.json) and plain one-shot AES-CTR/CBC/ECB
 * over hand-assembled block lists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { aesCbcDecrypt, aesCbcEncrypt, aesCtr, aesEcbEncryptBlock } from '../../src/crypto/aes.js';
import { CbcChain, CbcsCipher, CencCtr, CtrBatch, cbcIv, cbcsRange, checkPattern, nextIv, patternRuns } from '../../src/crypto/pattern.js';
import { seededRandom } from '../../src/crypto/random.js';

const v = JSON.parse(readFileSync(new URL('../vectors/nist-aes.json', import.meta.url), 'utf8')) as {
  plaintext: string;
  ctr: { key: string; counter: string; ciphertext: string }[];
  cbc: { key: string; iv: string; ciphertext: string }[];
};
const hex = (s: string) => Buffer.from(s, 'hex');
const rnd = seededRandom('pattern tests');
const key = rnd.bytes(16);

test('CencCtr matches SP 800-38A F.5.1 when fed in odd-sized pieces (keystream carries across partial blocks)', () => {
  const c = v.ctr[0]!;
  const data = hex(v.plaintext);
  const ctr = new CencCtr(hex(c.key), hex(c.counter));
  for (const [s, e] of [[0, 5], [5, 21], [21, 40], [40, 64]] as const) ctr.apply(data.subarray(s, e));
  assert.equal(data.toString('hex'), c.ciphertext);
  assert.equal(ctr.blocksUsed, 4);
});

test('CencCtr with an 8-byte IV uses IV ‖ 64-bit zero counter', () => {
  const iv = hex('0102030405060708');
  const data = rnd.bytes(50);
  const expected = aesCtr(key, hex('01020304050607080000000000000000'), data);
  const got = Buffer.from(data);
  new CencCtr(key, iv).apply(got);
  assert.deepEqual(got, expected);
});

test('CencCtr wraps the low 64 bits without carrying into the high half (§9.3)', () => {
  const iv = hex('a0a1a2a3a4a5a6a7fffffffffffffffe');
  const data = Buffer.alloc(48);
  new CencCtr(key, iv).apply(data);
  const ks = Buffer.concat([
    aesEcbEncryptBlock(key, hex('a0a1a2a3a4a5a6a7fffffffffffffffe')),
    aesEcbEncryptBlock(key, hex('a0a1a2a3a4a5a6a7ffffffffffffffff')),
    aesEcbEncryptBlock(key, hex('a0a1a2a3a4a5a6a70000000000000000')),
  ]);
  assert.deepEqual(data, ks);
  // node's own CTR would have carried into the high half:
  assert.notDeepEqual(aesCtr(key, iv, Buffer.alloc(48)), ks);
});

test('nextIv: 8-byte IVs +1 with a 64-bit wrap; 16-byte IVs + blocks on the low half', () => {
  assert.equal(nextIv(hex('00000000000000ff'), 99).toString('hex'), '0000000000000100');
  assert.equal(nextIv(hex('ffffffffffffffff'), 1).toString('hex'), '0000000000000000');
  assert.equal(nextIv(hex('11111111111111110000000000000010'), 7).toString('hex'), '11111111111111110000000000000017');
  assert.equal(nextIv(hex('1111111111111111fffffffffffffffe'), 3).toString('hex'), '11111111111111110000000000000001');
  assert.equal(nextIv(hex('00000000ffffffff'), 1).toString('hex'), '0000000100000000');
  assert.equal(nextIv(hex('aaaaaaaaaaaaaaaa00000000fffffff0'), 0x1_0000_0010).toString('hex'), 'aaaaaaaaaaaaaaaa0000000200000000');
  assert.throws(() => nextIv(Buffer.alloc(12), 1), { code: 'ERR_CENC_IV' });
});

test('patternRuns: 1:9, 2:3 with a short tail, 0:0 and N:0 mean every whole block', () => {
  assert.deepEqual(patternRuns(330, { crypt: 1, skip: 9 }), [[0, 16], [160, 176]]);
  assert.deepEqual(patternRuns(336, { crypt: 1, skip: 9 }), [[0, 16], [160, 176], [320, 336]]);
  assert.deepEqual(patternRuns(16 * 6, { crypt: 2, skip: 3 }), [[0, 32], [80, 96]]);
  assert.deepEqual(patternRuns(16 * 7 + 5, { crypt: 2, skip: 3 }), [[0, 32], [80, 112]]);
  assert.deepEqual(patternRuns(40, { crypt: 0, skip: 0 }), [[0, 32]]);
  assert.deepEqual(patternRuns(40, { crypt: 1, skip: 0 }), [[0, 32]]);
  assert.deepEqual(patternRuns(40), [[0, 32]]);
  assert.deepEqual(patternRuns(15, { crypt: 1, skip: 9 }), []);
});

test('checkPattern refuses 0:N and values beyond 4 bits', () => {
  assert.throws(() => checkPattern({ crypt: 0, skip: 9 }), { code: 'ERR_CENC_PATTERN' });
  assert.throws(() => checkPattern({ crypt: 16, skip: 0 }), { code: 'ERR_CENC_PATTERN' });
  checkPattern({ crypt: 1, skip: 9 });
  checkPattern(undefined);
});

test('cbcsRange 1:9 equals plain CBC over the hand-picked blocks; skipped blocks and the partial tail stay clear', () => {
  const iv = rnd.bytes(16);
  const plain = rnd.bytes(16 * 21 + 7); // blocks 0, 10, 20 encrypted; 7-byte tail clear
  const got = Buffer.from(plain);
  cbcsRange(key, iv, got, { crypt: 1, skip: 9 }, 'encrypt');
  const picked = Buffer.concat([plain.subarray(0, 16), plain.subarray(160, 176), plain.subarray(320, 336)]);
  const enc = aesCbcEncrypt(key, iv, picked, { padding: false });
  const expected = Buffer.from(plain);
  enc.copy(expected, 0, 0, 16);
  enc.copy(expected, 160, 16, 32);
  enc.copy(expected, 320, 32, 48);
  assert.deepEqual(got, expected);
  cbcsRange(key, iv, got, { crypt: 1, skip: 9 }, 'decrypt');
  assert.deepEqual(got, plain);
});

test('cbcsRange 0:0 encrypts every whole block; a range under 16 bytes is untouched', () => {
  const iv = rnd.bytes(16);
  const plain = rnd.bytes(16 * 3 + 9);
  const got = Buffer.from(plain);
  cbcsRange(key, iv, got, { crypt: 0, skip: 0 }, 'encrypt');
  const expected = Buffer.concat([aesCbcEncrypt(key, iv, plain.subarray(0, 48), { padding: false }), plain.subarray(48)]);
  assert.deepEqual(got, expected);
  const small = rnd.bytes(15);
  const copy = Buffer.from(small);
  cbcsRange(key, iv, copy, { crypt: 1, skip: 9 }, 'encrypt');
  assert.deepEqual(copy, small);
});

test('CbcChain (cbc1) chains across ranges: equals one CBC over the concatenated whole blocks', () => {
  const iv = rnd.bytes(16);
  const a = rnd.bytes(32);
  const b = rnd.bytes(48);
  const chain = new CbcChain(key, iv, 'encrypt');
  const ga = Buffer.from(a);
  const gb = Buffer.from(b);
  chain.apply(ga);
  chain.apply(gb);
  assert.deepEqual(Buffer.concat([ga, gb]), aesCbcEncrypt(key, iv, Buffer.concat([a, b]), { padding: false }));
  const dec = new CbcChain(key, iv, 'decrypt');
  dec.apply(ga);
  dec.apply(gb);
  assert.deepEqual(Buffer.concat([ga, gb]), Buffer.concat([a, b]));
  assert.deepEqual(aesCbcDecrypt(key, iv, aesCbcEncrypt(key, iv, a, { padding: false }), { padding: false }), a);
});

test('cbcIv pads 8-byte IVs with zeros', () => {
  assert.equal(cbcIv(hex('0102030405060708')).toString('hex'), '01020304050607080000000000000000');
  assert.throws(() => cbcIv(Buffer.alloc(4)), { code: 'ERR_CENC_IV' });
});

test('CencCtr.applyPattern (cens): the keystream covers only the encrypted blocks', () => {
  const iv = hex('0011223344556677');
  const plain = rnd.bytes(16 * 12);
  const got = Buffer.from(plain);
  new CencCtr(key, iv).applyPattern(got, { crypt: 1, skip: 9 });
  const picked = Buffer.concat([plain.subarray(0, 16), plain.subarray(160, 176)]);
  const ks = aesCtr(key, cbcIv(iv), picked);
  const expected = Buffer.from(plain);
  ks.copy(expected, 0, 0, 16);
  ks.copy(expected, 160, 16, 32);
  assert.deepEqual(got, expected);
});

test('CbcsCipher reused across ranges and IVs restarts exactly like a fresh CBC per range (encrypt and decrypt)', () => {
  const enc = new CbcsCipher(key, 'encrypt');
  const dec = new CbcsCipher(key, 'decrypt');
  for (let i = 0; i < 12; i++) {
    const iv = rnd.bytes(16);
    const pattern = [{ crypt: 1, skip: 9 }, { crypt: 0, skip: 0 }, { crypt: 2, skip: 1 }][i % 3]!;
    const plain = rnd.bytes(16 + ((i * 97) % 700));
    const got = Buffer.from(plain);
    enc.range(iv, got, pattern);
    const runs = patternRuns(plain.length, pattern);
    const ct = aesCbcEncrypt(key, iv, Buffer.concat(runs.map(([s, e]) => plain.subarray(s, e))), { padding: false });
    const expected = Buffer.from(plain);
    let o = 0;
    for (const [s, e] of runs) o += ct.copy(expected, s, o, o + (e - s));
    assert.deepEqual(got, expected, `range ${i}`);
    dec.range(iv, got, pattern);
    assert.deepEqual(got, plain, `range ${i} decrypt`);
  }
});

test('CtrBatch: many samples in one AES call give exactly the per-sample CencCtr keystreams', () => {
  // SP 800-38A F.5.1 through the batch, fed as odd-sized views.
  const c = v.ctr[0]!;
  const nist = hex(v.plaintext);
  const batch = new CtrBatch(hex(c.key));
  assert.equal(batch.add(hex(c.counter), [nist.subarray(0, 5), nist.subarray(5, 21), nist.subarray(21, 64)]), 4);
  batch.flush();
  assert.equal(nist.toString('hex'), c.ciphertext);
  // 8- and 16-byte IVs (one wrapping its low 64 bits mid-sample), sizes around block edges, an empty sample.
  const ivs = [hex('0102030405060708'), hex('a0a1a2a3a4a5a6a7fffffffffffffffe'), hex('00000000000000010000000ffffffff0'), hex('1112131415161718'), hex('ffffffffffffffff')];
  const sizes = [[50], [48], [3, 0, 29, 16], [], [17, 1]];
  const b = new CtrBatch(key);
  const got: Buffer[][] = [];
  const want: Buffer[][] = [];
  for (let k = 0; k < ivs.length; k++) {
    const views = sizes[k]!.map((n) => rnd.bytes(n));
    const expect = views.map((x) => Buffer.from(x));
    const ctr = new CencCtr(key, ivs[k]!);
    for (const x of expect) ctr.apply(x);
    assert.equal(b.add(ivs[k]!, views), ctr.blocksUsed, `blocks of sample ${k}`);
    got.push(views);
    want.push(expect);
  }
  b.flush(); // one AES call for all five samples
  assert.deepEqual(got, want);
});
