/**
 * X25519 recipients (wrap type 3): RFC 7748 vectors, age's key encoding
 * checked against age-keygen and age themselves, the format vector, round
 * trips and failures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { SecretKey, scriptedRandom } from '../../src/crypto/index.js';
import {
  bech32Decode,
  encryptStream,
  formatIdentity,
  formatRecipient,
  parseIdentityFile,
  parseRecipient,
  publicKeyOf,
  recipientKeyId,
  streamSource,
  wrapKeyFor,
  x25519,
} from '../../src/storage/index.js';
import { runInProcess } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';
import { collector, pattern, tempDir, unseal } from './helpers.js';

const hex = (s: string) => Buffer.from(s, 'hex');
const V = JSON.parse(readFileSync(new URL('../vectors/storage-v1.json', import.meta.url), 'utf8')) as {
  dataKey: string;
  noncePrefix: string;
  wrapNonce: string;
  vectors: Record<string, string>[];
};
const XV = V.vectors.find((v) => v.recipient)!;
const dir = tempDir();

test('RFC 7748 §6.1 X25519 vectors', () => {
  const alice = new SecretKey(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'), [32]);
  const bob = new SecretKey(hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'), [32]);
  assert.equal(publicKeyOf(alice).toString('hex'), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  assert.equal(publicKeyOf(bob).toString('hex'), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  assert.equal(x25519(alice.bytes, publicKeyOf(bob)).toString('hex'), '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
});

test('a low-order share (all-zero result) is refused', () => {
  assert.throws(() => x25519(Buffer.alloc(32, 9), Buffer.alloc(32)), { code: 'ERR_STORAGE_HEADER' });
});

test('bech32: encoding round trip, bad checksum and mixed case refused', () => {
  const id = new SecretKey(hex(XV.x25519Identity!), [32]);
  assert.equal(formatIdentity(id), XV.x25519IdentityAge);
  assert.equal(formatRecipient(publicKeyOf(id)), XV.recipient);
  assert.deepEqual(parseRecipient(XV.recipient!), publicKeyOf(id));
  const flipped = XV.recipient!.slice(0, -1) + (XV.recipient!.endsWith('j') ? 'q' : 'j');
  assert.equal(bech32Decode(flipped), undefined);
  assert.equal(bech32Decode(XV.recipient!.slice(0, 10).toUpperCase() + XV.recipient!.slice(10)), undefined);
  assert.throws(() => parseRecipient('age1qqqq'), { code: 'ERR_STORAGE_KEY_FILE' });
});

test('vector: X25519 recipient → exact bytes, and the identity opens it', async () => {
  const pub = parseRecipient(XV.recipient!);
  assert.equal(recipientKeyId(pub).toString('hex'), XV.recipientKeyId);
  const wrap = await wrapKeyFor({ type: 'recipient', publicKey: pub }, scriptedRandom(hex(XV.ephemeralSecret!)));
  assert.equal(wrap.ephemeral!.toString('hex'), XV.ephemeralShare);
  const sink = collector();
  await encryptStream(streamSource(Readable.from([Buffer.from(XV.plaintextUtf8!)])), sink, {
    wrap,
    chunkSize: 1024,
    random: scriptedRandom(hex(V.dataKey), hex(V.noncePrefix), hex(V.wrapNonce)),
  });
  assert.equal(sink.bytes().toString('hex'), XV.file);
  const secrets = parseIdentityFile(Buffer.from(`# comment\n${XV.x25519IdentityAge}\n`));
  assert.equal((await unseal(hex(XV.file!), { cred: { type: 'identity', secrets } })).toString(), XV.plaintextUtf8);
});

test('identities made by age-keygen work, and age reads identities made by keysmith', async (t) => {
  if (!requireTool(t, 'age-keygen', 'apt-get install age') || !requireTool(t, 'age', 'apt-get install age')) return;
  const ageId = join(dir, 'age.id');
  assert.equal(spawnSync('age-keygen', ['-o', ageId]).status, 0);
  const recipient = /public key: (age1\w+)/.exec(readFileSync(ageId, 'utf8'))![1]!;
  assert.equal(formatRecipient(publicKeyOf(parseIdentityFile(readFileSync(ageId))[0]!)), recipient);
  writeFileSync(join(dir, 'f'), pattern(70_000));
  const e = await runInProcess(['storage', 'encrypt', '--recipient', recipient, '-o', join(dir, 'f.ks'), join(dir, 'f')]);
  assert.equal(e.status, 0, e.stderr);
  const d = await runInProcess(['storage', 'decrypt', '-i', ageId, join(dir, 'f.ks')]);
  assert.equal(d.status, 0, d.stderr);
  assert.deepEqual(d.stdoutBytes, pattern(70_000));
  // The other way: age encrypts to the recipient of a keysmith identity and decrypts with it.
  const k = await runInProcess(['--json', 'storage', 'keygen', '--x25519', '-o', join(dir, 'ks.id')]);
  assert.equal(k.status, 0);
  const ours = (JSON.parse(k.stdout) as { recipient: string }).recipient;
  const enc = spawnSync('age', ['-r', ours], { input: 'through age\n' });
  const dec = spawnSync('age', ['-d', '-i', join(dir, 'ks.id')], { input: enc.stdout });
  assert.equal(dec.status, 0, dec.stderr.toString());
  assert.equal(dec.stdout.toString(), 'through age\n');
});

test('CLI: wrong identity, tampered share, rewrap to a recipient', async () => {
  const a = join(dir, 'a.id');
  const b = join(dir, 'b.id');
  const ka = JSON.parse((await runInProcess(['--json', 'storage', 'keygen', '--x25519', '-o', a])).stdout) as { recipient: string; keyId: string };
  await runInProcess(['storage', 'keygen', '--x25519', '-o', b]);
  const plain = join(dir, 'p');
  writeFileSync(plain, pattern(5000));
  const ks = join(dir, 'p.ks');
  assert.equal((await runInProcess(['storage', 'encrypt', '--recipient', ka.recipient, '-o', ks, plain])).status, 0);
  const wrong = await runInProcess(['--json', 'storage', 'decrypt', '-i', b, '-o', join(dir, 'x'), ks]);
  assert.equal(wrong.status, 1);
  const err = (JSON.parse(wrong.stdout) as { error: { code: string; message: string } }).error;
  assert.equal(err.code, 'ERR_STORAGE_WRONG_KEY');
  assert.match(err.message, new RegExp(ka.keyId));
  const bad = readFileSync(ks);
  bad[40]! ^= 1; // inside the ephemeral share
  writeFileSync(join(dir, 'bad.ks'), bad);
  const t = await runInProcess(['--json', 'storage', 'decrypt', '-i', a, join(dir, 'bad.ks')]);
  assert.equal(t.status, 1);
  assert.equal((JSON.parse(t.stderr) as { error: { code: string } }).error.code, 'ERR_STORAGE_HEADER');
  // key file → recipient and back.
  const key = join(dir, 'm.key');
  await runInProcess(['storage', 'keygen', '-o', key]);
  const kf = join(dir, 'k.ks');
  await runInProcess(['storage', 'encrypt', '-k', key, '-o', kf, plain]);
  const rw = await runInProcess(['storage', 'rewrap', '-k', key, '--new-recipient', ka.recipient, kf]);
  assert.equal(rw.status, 0, rw.stderr);
  assert.equal((await runInProcess(['storage', 'decrypt', '-k', key, kf])).status, 1);
  assert.deepEqual((await runInProcess(['storage', 'decrypt', '-i', a, kf])).stdoutBytes, pattern(5000));
  assert.equal((await runInProcess(['storage', 'decrypt', '--recipient', ka.recipient, kf])).status, 2);
});
