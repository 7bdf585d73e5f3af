/** The storage command as a user meets it: keygen, --json shapes, guards, passphrases, rewrap, inspect. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { parseKeyFile, keyIdOf, keyIdHex } from '../../src/storage/index.js';
import { runInProcess } from '../helpers/cli.js';
import { listing, pattern, tempDir } from './helpers.js';

const dir = tempDir();
const p = (name: string) => join(dir, name);
const PLAIN = pattern(3 * 1024 * 1024 + 123);
writeFileSync(p('movie.mp4'), PLAIN);
writeFileSync(p('pw.txt'), 'correct horse battery staple\n');
writeFileSync(p('pw2.txt'), 'another one\r\n');

const json = <T = Record<string, unknown>>(s: string) => JSON.parse(s) as T;
const noTrace = (s: string) => assert.doesNotMatch(s, /\n\s+at .*:\d+:\d+/);

test('keygen writes a 0600 key file, prints its id, and never the key', async () => {
  const r = await runInProcess(['--json', 'storage', 'keygen', '-o', p('master.key')]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(statSync(p('master.key')).mode & 0o777, 0o600);
  const key = parseKeyFile(readFileSync(p('master.key')));
  const out = json<{ keyId: string; output: string }>(r.stdout);
  assert.deepEqual(out, { keyId: keyIdHex(keyIdOf(key)), output: p('master.key') });
  assert.ok(!r.stdout.includes(key.exportHex()) && !r.stderr.includes(key.exportHex()));
  assert.match(readFileSync(p('master.key'), 'utf8'), new RegExp(`# key id: ${out.keyId}`));
});

test('keygen never overwrites a key file without --force', async () => {
  const before = readFileSync(p('master.key'));
  const r = await runInProcess(['storage', 'keygen', '-o', p('master.key')]);
  assert.equal(r.status, 3);
  assert.match(r.stderr, /already exists/);
  assert.deepEqual(readFileSync(p('master.key')), before);
  const f = await runInProcess(['storage', 'keygen', '--force', '-o', p('master.key')]);
  assert.equal(f.status, 0);
  assert.notDeepEqual(readFileSync(p('master.key')), before);
  assert.equal(statSync(p('master.key')).mode & 0o777, 0o600);
  await runInProcess(['storage', 'keygen', '-o', p('other.key')]);
});

test('encrypt and decrypt files with -o; --json shapes carry sizes and key id, no secrets', async () => {
  const e = await runInProcess(['--json', 'storage', 'encrypt', '-k', p('master.key'), '-o', p('movie.mp4.ks'), p('movie.mp4')]);
  assert.equal(e.status, 0, e.stderr);
  const keyId = keyIdHex(keyIdOf(parseKeyFile(readFileSync(p('master.key')))));
  assert.deepEqual(json(e.stdout), { operation: 'encrypt', input: p('movie.mp4'), output: p('movie.mp4.ks'), plaintextBytes: PLAIN.length, keyId, chunkSize: 262144, wrapping: 'key' });
  const d = await runInProcess(['--json', 'storage', 'decrypt', '-k', p('master.key'), '-o', p('movie.out'), p('movie.mp4.ks')]);
  assert.equal(d.status, 0, d.stderr);
  assert.deepEqual(json(d.stdout), { operation: 'decrypt', input: p('movie.mp4.ks'), output: p('movie.out'), plaintextBytes: PLAIN.length, keyId, chunkSize: 262144, wrapping: 'key' });
  assert.deepEqual(readFileSync(p('movie.out')), PLAIN);
});

test('inspect shows the header (human and --json) without a key', async () => {
  const r = await runInProcess(['--json', 'storage', 'inspect', p('movie.mp4.ks')]);
  assert.equal(r.status, 0);
  const info = json<Record<string, unknown>>(r.stdout);
  assert.deepEqual(Object.keys(info), ['path', 'format', 'version', 'cipher', 'chunkSize', 'keyId', 'wrapping', 'headerBytes', 'encryptedBytes', 'plaintextBytes', 'chunks']);
  assert.equal(info.plaintextBytes, PLAIN.length);
  assert.equal(info.chunks, 13);
  const h = await runInProcess(['storage', 'inspect', p('movie.mp4.ks')]);
  assert.match(h.stdout, /key id\s+[0-9a-f]{16}/);
  assert.match(h.stdout, /plaintext\s+3145851 bytes in 13 chunks/);
  const s = await runInProcess(['--json', 'storage', 'inspect'], { stdin: readFileSync(p('movie.mp4.ks')) });
  assert.equal(json<{ keyId: string }>(s.stdout).keyId, info.keyId);
  const bad = await runInProcess(['storage', 'inspect', p('movie.mp4')]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /not a keysmith storage file/);
});

test('stdin to stdout with -', async () => {
  const e = await runInProcess(['storage', 'encrypt', '-k', p('master.key'), '-'], { stdin: PLAIN });
  assert.equal(e.status, 0, e.stderr);
  assert.equal(e.stderr, '');
  const d = await runInProcess(['storage', 'decrypt', '-k', p('master.key'), '-'], { stdin: e.stdoutBytes });
  assert.equal(d.status, 0, d.stderr);
  assert.deepEqual(d.stdoutBytes, PLAIN);
});

test('--json with payload on stdout goes to stderr', async () => {
  const e = await runInProcess(['--json', 'storage', 'encrypt', '-k', p('master.key')], { stdin: 'hello' });
  assert.equal(e.status, 0);
  assert.equal(json<{ plaintextBytes: number }>(e.stderr).plaintextBytes, 5);
});

test('refuses to write ciphertext to a terminal', async () => {
  const r = await runInProcess(['--json', 'storage', 'encrypt', '-k', p('master.key'), p('movie.mp4')], { stdoutTty: true });
  assert.equal(r.status, 2);
  const err = json<{ error: { code: string; message: string; hint: string } }>(r.stdout).error;
  assert.equal(err.code, 'ERR_USAGE');
  assert.match(err.message, /terminal/);
  assert.match(err.hint, /-o/);
  assert.equal(r.stdoutBytes.includes(Buffer.from('KSTORE')), false);
});

test('-o equal to the input is a usage error and the input is untouched', async () => {
  const r = await runInProcess(['storage', 'encrypt', '-k', p('master.key'), '-o', p('movie.mp4'), p('movie.mp4')]);
  assert.equal(r.status, 2);
  assert.deepEqual(readFileSync(p('movie.mp4')), PLAIN);
  const d = await runInProcess(['storage', 'decrypt', '-k', p('master.key'), '-o', p('movie.mp4.ks'), p('movie.mp4.ks')]);
  assert.equal(d.status, 2);
});

test('usage errors: no key, both key kinds, bad chunk size, directory without -r', async () => {
  for (const argv of [
    ['storage', 'encrypt', '-o', p('x.ks'), p('movie.mp4')],
    ['storage', 'encrypt', '-k', p('master.key'), '--passphrase-file', p('pw.txt'), '-o', p('x.ks'), p('movie.mp4')],
    ['storage', 'encrypt', '-k', p('master.key'), '--chunk-size', '12', '-o', p('x.ks'), p('movie.mp4')],
    ['storage', 'encrypt', '-k', p('master.key'), '--chunk-size', 'lots', '-o', p('x.ks'), p('movie.mp4')],
    ['storage', 'encrypt', '-k', p('master.key'), '-o', p('x.ks'), dir],
    ['storage', 'encrypt', '--bogus'],
  ]) {
    const r = await runInProcess(argv);
    assert.equal(r.status, 2, `${argv.join(' ')}: ${r.stderr}`);
    noTrace(r.stderr);
    assert.equal(existsSync(p('x.ks')), false);
  }
});

test('environment errors: missing input or key file (exit 3)', async () => {
  const a = await runInProcess(['storage', 'encrypt', '-k', p('master.key'), '-o', p('x.ks'), p('nope')]);
  assert.equal(a.status, 3);
  const b = await runInProcess(['storage', 'encrypt', '-k', p('nope.key'), '-o', p('x.ks'), p('movie.mp4')]);
  assert.equal(b.status, 3);
  noTrace(a.stderr + b.stderr);
});

test('a key file that is not one fails without echoing its content', async () => {
  writeFileSync(p('bad.key'), 'super secret words\n');
  const r = await runInProcess(['storage', 'encrypt', '-k', p('bad.key'), '-o', p('x.ks'), p('movie.mp4')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ERR_STORAGE_KEY_FILE|not a storage key file/);
  assert.doesNotMatch(r.stderr, /super secret/);
});

test('key files from openssl (64 hex digits, or 32 raw bytes) work; loose permissions warn', async () => {
  writeFileSync(p('hex.key'), `${'ab'.repeat(32)}\n`, { mode: 0o644 });
  chmodSync(p('hex.key'), 0o644);
  const r = await runInProcess(['storage', 'encrypt', '-k', p('hex.key'), '-o', p('hex.ks'), p('pw.txt')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /readable by other users/);
  writeFileSync(p('raw.key'), Buffer.from('ab'.repeat(32), 'hex'), { mode: 0o600 });
  const d = await runInProcess(['storage', 'decrypt', '-k', p('raw.key'), p('hex.ks')]);
  assert.equal(d.status, 0, d.stderr);
  assert.equal(d.stdout, 'correct horse battery staple\n');
});

test('passphrase path: scrypt work factor in the header; wrong passphrase fails', async () => {
  const e = await runInProcess(['storage', 'encrypt', '--passphrase-file', p('pw.txt'), '--scrypt-log-n', '10', '-o', p('pw.ks'), p('movie.mp4')]);
  assert.equal(e.status, 0, e.stderr);
  const i = json<{ wrapping: string; scrypt: unknown }>((await runInProcess(['--json', 'storage', 'inspect', p('pw.ks')])).stdout);
  assert.equal(i.wrapping, 'scrypt');
  assert.deepEqual(i.scrypt, { logN: 10, r: 8, p: 1 });
  const d = await runInProcess(['storage', 'decrypt', '--passphrase-file', p('pw.txt'), p('pw.ks')]);
  assert.equal(d.status, 0);
  assert.deepEqual(d.stdoutBytes, PLAIN);
  const w = await runInProcess(['--json', 'storage', 'decrypt', '--passphrase-file', p('pw2.txt'), '-o', p('pw.out'), p('pw.ks')]);
  assert.equal(w.status, 1);
  assert.equal(json<{ error: { code: string } }>(w.stdout).error.code, 'ERR_STORAGE_WRONG_KEY');
  assert.equal(existsSync(p('pw.out')), false);
  const k = await runInProcess(['storage', 'decrypt', '-k', p('master.key'), p('pw.ks')]);
  assert.equal(k.status, 1);
  assert.match(k.stderr, /passphrase/);
  const bad = await runInProcess(['storage', 'encrypt', '--passphrase-file', p('pw.txt'), '--scrypt-log-n', '30', '-o', p('x.ks'), p('movie.mp4')]);
  assert.equal(bad.status, 2);
});

test('rewrap: the new key opens the file, the old one no longer does, payload bytes unchanged', async () => {
  const before = readFileSync(p('movie.mp4.ks'));
  const r = await runInProcess(['--json', 'storage', 'rewrap', '-k', p('master.key'), '--new-key', p('other.key'), p('movie.mp4.ks')]);
  assert.equal(r.status, 0, r.stderr);
  const out = json<{ keyId: string; previousKeyId: string; wrapping: string }>(r.stdout);
  assert.notEqual(out.keyId, out.previousKeyId);
  const after = readFileSync(p('movie.mp4.ks'));
  assert.deepEqual(after.subarray(124), before.subarray(124));
  assert.deepEqual(after.subarray(0, 20), before.subarray(0, 20));
  const old = await runInProcess(['--json', 'storage', 'decrypt', '-k', p('master.key'), '-o', p('old.out'), p('movie.mp4.ks')]);
  assert.equal(old.status, 1);
  assert.equal(json<{ error: { code: string; details: { keyId: string } } }>(old.stdout).error.details.keyId, out.keyId);
  const d = await runInProcess(['storage', 'decrypt', '-k', p('other.key'), p('movie.mp4.ks')]);
  assert.equal(d.status, 0);
  assert.deepEqual(d.stdoutBytes, PLAIN);
  // Key file → passphrase → key file, with -o.
  const toPw = await runInProcess(['storage', 'rewrap', '-k', p('other.key'), '--new-passphrase-file', p('pw.txt'), '--scrypt-log-n', '10', '-o', p('rw.ks'), p('movie.mp4.ks')]);
  assert.equal(toPw.status, 0, toPw.stderr);
  const back = await runInProcess(['storage', 'decrypt', '--passphrase-file', p('pw.txt'), p('rw.ks')]);
  assert.deepEqual(back.stdoutBytes, PLAIN);
  const wrong = await runInProcess(['storage', 'rewrap', '-k', p('master.key'), '--new-key', p('other.key'), p('rw.ks')]);
  assert.equal(wrong.status, 1);
  assert.deepEqual(listing(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('help teaches with examples; no stack traces on errors', async () => {
  for (const sub of ['encrypt', 'decrypt', 'keygen', 'inspect', 'rewrap']) {
    const r = await runInProcess(['storage', sub, '--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Examples:/);
  }
  const r = await runInProcess(['storage', 'decrypt', '-k', p('master.key'), p('movie.mp4')]);
  assert.equal(r.status, 1);
  noTrace(r.stderr);
});

test('-o /dev/null verifies a file without writing one', async () => {
  const ok = await runInProcess(['storage', 'decrypt', '-k', p('other.key'), '-o', '/dev/null', p('movie.mp4.ks')]);
  assert.equal(ok.status, 0, ok.stderr);
  const bad = await runInProcess(['storage', 'decrypt', '-k', p('master.key'), '-o', '/dev/null', p('movie.mp4.ks')]);
  assert.equal(bad.status, 1);
});

test('progress only on a terminal stderr, and never fatal', async () => {
  // A stream that claims isTTY but cannot move the cursor: no spinner, no failure.
  const tty = await runInProcess(['storage', 'encrypt', '-k', p('master.key'), '-o', p('progress.ks'), p('movie.mp4')], { stderrTty: true });
  assert.equal(tty.status, 0, tty.stderr);
  const pipe = await runInProcess(['storage', 'decrypt', '-k', p('master.key'), '-o', p('progress.out'), p('progress.ks')]);
  assert.equal(pipe.status, 0);
  assert.equal(pipe.stderr, '');
});
