/**
 * Format v1 vectors (test/vectors/storage-v1.json, also printed in
 * docs/storage-format.md §7): fixed wrapping key, data key, nonce prefix and
 * wrap nonce → exact bytes. Cross-checked with raw node:crypto and with an
 * independent Python reader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { SecretKey, scriptedRandom } from '../../src/crypto/index.js';
import { chunkNonce, deriveFileKeys, encryptStream, keyIdOf, streamSource, wrapKeyFor, type Credential } from '../../src/storage/index.js';
import { collector, tempDir, unseal } from './helpers.js';
import { requireTool } from '../helpers/tools.js';

const V = JSON.parse(readFileSync(new URL('../vectors/storage-v1.json', import.meta.url), 'utf8')) as {
  wrappingKey: string;
  keyId: string;
  dataKey: string;
  payloadKey: string;
  headerKey: string;
  noncePrefix: string;
  wrapNonce: string;
  chunkSize: number;
  vectors: { name: string; plaintextUtf8?: string; plaintextPattern?: number; file?: string; payload?: string; fileLength?: number; fileSha256?: string; tags?: string[]; passphrase?: string; scryptSalt?: string }[];
};
const hex = (s: string) => Buffer.from(s, 'hex');
const kek = new SecretKey(hex(V.wrappingKey), [32]);

function plaintextOf(v: (typeof V.vectors)[number]): Buffer {
  if (v.plaintextPattern !== undefined) {
    const b = Buffer.alloc(v.plaintextPattern);
    for (let i = 0; i < b.length; i++) b[i] = i & 0xff;
    return b;
  }
  return Buffer.from(v.plaintextUtf8 ?? '', 'utf8');
}

function credOf(v: (typeof V.vectors)[number]): Credential {
  return v.passphrase ? { type: 'passphrase', passphrase: Buffer.from(v.passphrase), logN: 10 } : { type: 'key', key: kek };
}

async function produce(v: (typeof V.vectors)[number]): Promise<Buffer> {
  const wrap = await wrapKeyFor(credOf(v), scriptedRandom(...(v.scryptSalt ? [hex(v.scryptSalt)] : [])));
  const sink = collector();
  await encryptStream(streamSource(Readable.from([plaintextOf(v)])), sink, {
    wrap,
    chunkSize: V.chunkSize,
    random: scriptedRandom(hex(V.dataKey), hex(V.noncePrefix), hex(V.wrapNonce)),
  });
  return sink.bytes();
}

test('key id and derived keys match the vectors', () => {
  assert.equal(keyIdOf(kek).toString('hex'), V.keyId);
  const k = deriveFileKeys(new SecretKey(hex(V.dataKey), [32]));
  assert.equal(k.payloadKey.exportHex(), V.payloadKey);
  assert.equal(k.headerKey.toString('hex'), V.headerKey);
  // HKDF-SHA256 with an empty salt, computed directly (RFC 5869).
  assert.equal(Buffer.from(hkdfSync('sha256', hex(V.dataKey), Buffer.alloc(0), 'keysmith storage v1 payload', 32)).toString('hex'), V.payloadKey);
});

test('nonce layout: prefix ‖ 40-bit counter ‖ last flag', () => {
  assert.equal(chunkNonce(hex('a0a1a2a3a4a5'), 0, false).toString('hex'), 'a0a1a2a3a4a5000000000000');
  assert.equal(chunkNonce(hex('a0a1a2a3a4a5'), 2 ** 32 + 1, true).toString('hex'), 'a0a1a2a3a4a50100000001' + '01');
  assert.equal(chunkNonce(hex('a0a1a2a3a4a5'), 2 ** 40 - 1, false).toString('hex'), 'a0a1a2a3a4a5ffffffffff00');
  assert.throws(() => chunkNonce(hex('a0a1a2a3a4a5'), 2 ** 40, false), { code: 'ERR_STORAGE_LIMIT' });
});

// X25519 vectors are checked in x25519.test.ts (they need an ephemeral secret).
for (const v of V.vectors.filter((x) => !('recipient' in x))) {
  test(`vector: ${v.name} → exact bytes`, async () => {
    const file = await produce(v);
    if (v.file) assert.equal(file.toString('hex'), v.file);
    if (v.payload) assert.equal(file.subarray(124).toString('hex'), v.payload);
    if (v.fileSha256) {
      assert.equal(file.length, v.fileLength);
      assert.equal(createHash('sha256').update(file).digest('hex'), v.fileSha256);
      const tags = [0, 1, 2].map((i) => {
        const end = Math.min(file.length, 124 + (i + 1) * (V.chunkSize + 16));
        return file.subarray(end - 16, end).toString('hex');
      });
      assert.deepEqual(tags, v.tags);
    }
    assert.deepEqual(await unseal(file, { cred: credOf(v) }), plaintextOf(v));
  });
}

test('vector chunks open with raw node:crypto AES-256-GCM from the documented layout', () => {
  const v = V.vectors[0]!;
  const file = hex(v.file!);
  const d = createDecipheriv('aes-256-gcm', hex(V.payloadKey), Buffer.concat([hex(V.noncePrefix), Buffer.alloc(5), Buffer.from([1])]));
  d.setAAD(file.subarray(0, 20));
  d.setAuthTag(file.subarray(file.length - 16));
  const pt = Buffer.concat([d.update(file.subarray(124, file.length - 16)), d.final()]);
  assert.equal(pt.toString('utf8'), v.plaintextUtf8);
});

test('an independent reader (Python cryptography) decrypts our output', (t) => {
  if (!requireTool(t, 'python3', 'apt-get install python3 python3-cryptography')) return;
  const probe = spawnSync('python3', ['-c', 'import cryptography']);
  if (probe.status !== 0) {
    if (process.env.CI === 'true' || process.env.CI === '1') throw new Error('python3-cryptography missing: CI must not skip interop tests');
    t.skip('python3-cryptography is not installed');
    return;
  }
  const script = fileURLToPath(new URL('./independent-decrypt.py', import.meta.url));
  const dir = tempDir();
  for (const v of V.vectors.filter((x) => x.file) as ((typeof V.vectors)[number] & { x25519Identity?: string })[]) {
    const p = join(dir, 'v.ks');
    writeFileSync(p, hex(v.file!));
    const args = v.passphrase ? ['--passphrase', v.passphrase] : v.x25519Identity ? ['--identity', v.x25519Identity] : [V.wrappingKey];
    const r = spawnSync('python3', [script, ...args, p]);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.deepEqual(r.stdout, plaintextOf(v));
  }
  return produce(V.vectors[2]!).then((file) => {
    const p = join(dir, 'three.ks');
    writeFileSync(p, file);
    const r = spawnSync('python3', [script, V.wrappingKey, p]);
    assert.equal(r.status, 0);
    assert.deepEqual(r.stdout, plaintextOf(V.vectors[2]!));
    // And it rejects a flipped payload bit, as we do.
    file[file.length - 100]! ^= 1;
    writeFileSync(p, file);
    assert.equal(spawnSync('python3', [script, V.wrappingKey, p]).status, 1);
  });
});

test('docs/storage-format.md prints the same vectors as the JSON file', () => {
  const doc = readFileSync(new URL('../../docs/storage-format.md', import.meta.url), 'utf8');
  const block = (title: string): string => {
    const i = doc.indexOf(title);
    const j = doc.indexOf('```', i);
    const k = doc.indexOf('```', j + 3);
    return doc
      .slice(j + 3, k)
      .trim()
      .split('\n')
      .map((l) => l.replace(/\s{2,}.*$/, '').replace(/\s/g, ''))
      .join('');
  };
  assert.equal(block('**Vector 1**'), V.vectors[0]!.file);
  assert.equal(block('**Vector 4**'), V.vectors[3]!.file);
  assert.equal(block('**Vector 5**'), V.vectors[4]!.file);
  for (const field of ['wrappingKey', 'keyId', 'dataKey', 'payloadKey', 'headerKey', 'noncePrefix', 'wrapNonce'] as const) assert.ok(doc.includes(V[field]), field);
  assert.ok(doc.includes(V.vectors[2]!.fileSha256!) && doc.includes(V.vectors[1]!.payload!));
});
