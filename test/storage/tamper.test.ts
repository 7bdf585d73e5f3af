/**
 * Every tampering the issue names fails with exit 1, an ERR_STORAGE_* code,
 * one line (plus hint) that reveals no offset or plaintext, and leaves
 * nothing at the output path (no temp files either).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatKeyFile } from '../../src/storage/index.js';
import { runInProcess } from '../helpers/cli.js';
import { KEY_A, KEY_B, KEY_HEADER, listing, pattern, seal, tempDir } from './helpers.js';

const C = 1024;
const S = C + 16;
const dir = tempDir();
const keyA = join(dir, 'a.key');
const keyB = join(dir, 'b.key');
writeFileSync(keyA, formatKeyFile(KEY_A), { mode: 0o600 });
writeFileSync(keyB, formatKeyFile(KEY_B), { mode: 0o600 });
const PLAIN = pattern(4 * C + 100); // chunks: 4 full + 1 of 100 bytes
const good = await seal(PLAIN, { chunkSize: C });
const chunkAt = (i: number) => KEY_HEADER + i * S;

async function expectFailure(name: string, bytes: Buffer, code: string, key = keyA): Promise<void> {
  const sub = join(dir, name.replace(/\W+/g, '-'));
  const { mkdirSync } = await import('node:fs');
  mkdirSync(sub);
  const input = join(sub, 'in.ks');
  writeFileSync(input, bytes);
  const out = join(sub, 'out.bin');
  const j = await runInProcess(['--json', 'storage', 'decrypt', '-k', key, '-o', out, input]);
  assert.equal(j.status, 1, j.stdout + j.stderr);
  assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, code);
  const h = await runInProcess(['storage', 'decrypt', '-k', key, '-o', out, input]);
  assert.equal(h.status, 1);
  const lines = h.stderr.trimEnd().split('\n');
  assert.match(lines[0]!, /^keysmith: error: /);
  assert.ok(lines.length <= 2 && (lines.length === 1 || lines[1]!.startsWith('hint: ')), h.stderr);
  assert.doesNotMatch(h.stderr, /\bat .*:\d+:\d+|chunk \d|offset|byte \d/i);
  assert.equal(existsSync(out), false);
  assert.deepEqual(listing(sub), ['in.ks']);
}

const edit = (f: (b: Buffer) => Buffer | void) => {
  const b = Buffer.from(good);
  return f(b) ?? b;
};

test('sanity: the untouched file decrypts', async () => {
  const input = join(dir, 'good.ks');
  writeFileSync(input, good);
  const r = await runInProcess(['storage', 'decrypt', '-k', keyA, input]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdoutBytes, PLAIN);
});

test('flipped bit in a middle chunk → ERR_STORAGE_TAMPERED', () => expectFailure('flip middle', edit((b) => void (b[chunkAt(2) + 10]! ^= 0x04)), 'ERR_STORAGE_TAMPERED'));
test('flipped bit in the final tag → ERR_STORAGE_TAMPERED', () => expectFailure('flip tag', edit((b) => void (b[b.length - 1]! ^= 0x80)), 'ERR_STORAGE_TAMPERED'));
test('swapped chunks → ERR_STORAGE_TAMPERED', () =>
  expectFailure('swap', edit((b) => { const c1 = Buffer.from(b.subarray(chunkAt(1), chunkAt(2))); b.copy(b, chunkAt(1), chunkAt(2), chunkAt(3)); c1.copy(b, chunkAt(2)); }), 'ERR_STORAGE_TAMPERED'));
test('dropped middle chunk → ERR_STORAGE_TAMPERED', () => expectFailure('drop', Buffer.concat([good.subarray(0, chunkAt(1)), good.subarray(chunkAt(2))]), 'ERR_STORAGE_TAMPERED'));
test('truncated at a chunk boundary → ERR_STORAGE_TRUNCATED', () => expectFailure('cut boundary', good.subarray(0, chunkAt(3)), 'ERR_STORAGE_TRUNCATED'));
test('truncated inside a chunk → ERR_STORAGE_TAMPERED', () => expectFailure('cut inside', good.subarray(0, chunkAt(3) + 500), 'ERR_STORAGE_TAMPERED'));
test('truncated inside a tag → ERR_STORAGE_TAMPERED', () => expectFailure('cut tag', good.subarray(0, good.length - 5), 'ERR_STORAGE_TAMPERED'));
test('header without payload → ERR_STORAGE_TRUNCATED', () => expectFailure('header only', good.subarray(0, KEY_HEADER), 'ERR_STORAGE_TRUNCATED'));
test('truncated inside the header → ERR_STORAGE_TRUNCATED', () => expectFailure('cut header', good.subarray(0, 60), 'ERR_STORAGE_TRUNCATED'));
test('appended one byte → ERR_STORAGE_TAMPERED', () => expectFailure('append 1', Buffer.concat([good, Buffer.from([0])]), 'ERR_STORAGE_TAMPERED'));
test('appended a tag-sized block → ERR_STORAGE_TAMPERED', () => expectFailure('append 16', Buffer.concat([good, good.subarray(good.length - 16)]), 'ERR_STORAGE_TAMPERED'));
test('appended a copy of a chunk → ERR_STORAGE_TAMPERED', () => expectFailure('append chunk', Buffer.concat([good, good.subarray(chunkAt(0), chunkAt(1))]), 'ERR_STORAGE_TAMPERED'));
test('edited chunk size in the header → ERR_STORAGE_HEADER', () => expectFailure('chunk size', edit((b) => void b.writeUInt32BE(2048, 10)), 'ERR_STORAGE_HEADER'));
test('edited nonce prefix → ERR_STORAGE_HEADER', () => expectFailure('prefix', edit((b) => void (b[15]! ^= 1)), 'ERR_STORAGE_HEADER'));
test('edited wrapped data key → ERR_STORAGE_HEADER', () => expectFailure('wrapped', edit((b) => void (b[50]! ^= 1)), 'ERR_STORAGE_HEADER'));
test('edited header MAC → ERR_STORAGE_HEADER', () => expectFailure('mac', edit((b) => void (b[KEY_HEADER - 1]! ^= 1)), 'ERR_STORAGE_HEADER'));
test('edited reserved byte → ERR_STORAGE_HEADER', () => expectFailure('reserved', edit((b) => void (b[23] = 1)), 'ERR_STORAGE_HEADER'));
test('edited header length → ERR_STORAGE_HEADER', () => expectFailure('length', edit((b) => void b.writeUInt16BE(200, 20)), 'ERR_STORAGE_HEADER'));
test('edited key id → ERR_STORAGE_WRONG_KEY', () => expectFailure('key id', edit((b) => void (b[24]! ^= 1)), 'ERR_STORAGE_WRONG_KEY'));
test('unknown version → ERR_STORAGE_VERSION', () => expectFailure('version', edit((b) => void (b[8] = 2)), 'ERR_STORAGE_VERSION'));
test('bad magic → ERR_STORAGE_NOT_KEYSMITH', () => expectFailure('magic', edit((b) => void (b[0] = 0x00)), 'ERR_STORAGE_NOT_KEYSMITH'));
test('empty input → ERR_STORAGE_NOT_KEYSMITH', () => expectFailure('empty', Buffer.alloc(0), 'ERR_STORAGE_NOT_KEYSMITH'));
test('wrong key → ERR_STORAGE_WRONG_KEY', () => expectFailure('wrong key', good, 'ERR_STORAGE_WRONG_KEY', keyB));

test('hostile scrypt parameters are refused before any work → ERR_STORAGE_LIMIT', async () => {
  const file = await seal(pattern(10), { cred: { type: 'passphrase', passphrase: Buffer.from('pw'), logN: 10 } });
  const pw = join(dir, 'pw.txt');
  writeFileSync(pw, 'pw\n');
  for (const [off, value] of [[48, 40], [49, 255], [50, 255], [48, 19]] as const) {
    const b = Buffer.from(file);
    b[off] = value;
    if (off === 48 && value === 19) b[49] = 32; // 128 · 32 · 2^19 = 2 GiB
    const input = join(dir, `hostile-${off}-${value}.ks`);
    writeFileSync(input, b);
    const r = await runInProcess(['--json', 'storage', 'decrypt', '--passphrase-file', pw, input]);
    assert.equal(r.status, 1);
    assert.equal((JSON.parse(r.stderr || r.stdout) as { error: { code: string } }).error.code, 'ERR_STORAGE_LIMIT');
  }
});

test('to a pipe, only verified chunks are written before a failure, then exit 1', async () => {
  const b = Buffer.from(good);
  b[chunkAt(2) + 3]! ^= 1;
  const input = join(dir, 'pipe-tamper.ks');
  writeFileSync(input, b);
  const r = await runInProcess(['storage', 'decrypt', '-k', keyA, input]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ERR_STORAGE_TAMPERED|payload authentication failed/);
  // Chunks 0 and 1 were verified and written; nothing of chunk 2 or later.
  assert.ok(r.stdoutBytes.length <= 2 * C);
  assert.deepEqual(r.stdoutBytes, PLAIN.subarray(0, r.stdoutBytes.length));
});
