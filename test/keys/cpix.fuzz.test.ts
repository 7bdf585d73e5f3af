/**
 * Seeded mutation fuzz of CPIX import: mutants of real documents (DASH-IF
 * vectors, test/vectors/cpix) either parse or fail with one-line
 * ERR_CPIX_* errors — never another exception, never a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/crypto/index.js';
import { KeysmithError } from '../../src/errors.js';
import { parseCpix } from '../../src/keys/cpix.js';
import { vector, vectorsPresent } from './cpix-fixtures.js';

test('two hundred seeded mutants of CPIX documents are parsed or refused cleanly', (t) => {
  if (!vectorsPresent()) {
    t.skip('CPIX vectors missing');
    return;
  }
  const seeds = ['ClearContentKeysOnly.xml', 'KeyRotationMultiKeyMulitPeriod.xml', 'Invalid_BadContentKeysSignature.xml'].map((f) => vector(f));
  const rnd = seededRandom('cpix-fuzz');
  const alphabet = Buffer.from('<>/="\'&;:# \nabcAB01-xmlns!?[]');
  const codes = new Map<string, number>();
  for (let i = 0; i < 200; i++) {
    let m = Buffer.from(seeds[i % seeds.length]!);
    const n = 1 + (rnd.bytes(1)[0]! % 3);
    for (let j = 0; j < n; j++) {
      const at = rnd.bytes(2).readUInt16BE(0) % m.length;
      const op = rnd.bytes(1)[0]! % 3;
      const ch = alphabet[rnd.bytes(1)[0]! % alphabet.length]!;
      if (op === 0) m[at] = ch;
      else if (op === 1) m = Buffer.concat([m.subarray(0, at), m.subarray(at + 1 + (at % 13))]);
      else m = Buffer.concat([m.subarray(0, at), Buffer.from([ch]), m.subarray(at)]);
    }
    try {
      parseCpix(m);
      codes.set('OK', (codes.get('OK') ?? 0) + 1);
    } catch (err) {
      assert.ok(err instanceof KeysmithError, `mutant ${i}: ${String(err)}`);
      assert.match(err.code, /^ERR_CPIX_/);
      assert.ok(!err.message.includes('\n'));
      codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
    }
  }
  assert.ok((codes.get('ERR_CPIX_XML') ?? 0) > 20, JSON.stringify([...codes]));
});
