/** --range: random access at chunk edges, only the needed chunks read, bad ranges are usage errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChunkCipher, decryptRange, formatKeyFile, layoutOf, openEncryptedFile, openHeader, parseRange } from '../../src/storage/index.js';
import { runInProcess } from '../helpers/cli.js';
import { KEY_A, collector, keyCred, pattern, seal, tempDir } from './helpers.js';

const C = 1024;
const dir = tempDir();
const key = join(dir, 'a.key');
writeFileSync(key, formatKeyFile(KEY_A), { mode: 0o600 });
const PLAIN = pattern(10 * C + 300);
const input = join(dir, 'in.ks');
writeFileSync(input, await seal(PLAIN, { chunkSize: C }));

const cases: [string, number, number][] = [
  ['0-0', 0, 0],
  ['0-1023', 0, 1023],
  ['1023-1024', 1023, 1024],
  ['1024-2047', 1024, 2047],
  ['2047-4096', 2047, 4096],
  [`${10 * C}-${10 * C + 299}`, 10 * C, 10 * C + 299],
  ['5000-', 5000, PLAIN.length - 1],
  ['-10', PLAIN.length - 10, PLAIN.length - 1],
  ['-999999', 0, PLAIN.length - 1],
  [`100-${PLAIN.length + 5000}`, 100, PLAIN.length - 1],
];
for (const [text, start, end] of cases) {
  test(`--range ${text} returns plaintext bytes ${start}..${end}`, async () => {
    const r = await runInProcess(['storage', 'decrypt', '-k', key, '--range', text, input]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdoutBytes, PLAIN.subarray(start, end + 1));
  });
}

for (const bad of ['abc', '5-3', '-', '', '1-2-3', '-0', '1e3-2000', `${PLAIN.length}-`, `${PLAIN.length + 10}-${PLAIN.length + 20}`]) {
  test(`--range '${bad}' is a usage error (exit 2)`, async () => {
    const r = await runInProcess(['--json', 'storage', 'decrypt', '-k', key, '--range', bad, input]);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.equal((JSON.parse(r.stderr || r.stdout) as { error: { code: string } }).error.code, 'ERR_USAGE');
  });
}

test('--range on stdin is a usage error', async () => {
  const r = await runInProcess(['storage', 'decrypt', '-k', key, '--range', '0-1'], { stdin: Buffer.alloc(10) });
  assert.equal(r.status, 2);
});

test('any range of an empty plaintext is past its end', () => {
  assert.throws(() => parseRange('0-0', 0), { code: 'ERR_USAGE' });
  assert.throws(() => parseRange('-5', 0), { code: 'ERR_USAGE' });
});

test('a range reads only the chunks it needs plus the final chunk', async () => {
  const file = await openEncryptedFile(input);
  const reads: number[] = [];
  const counting = new Proxy(file.handle, {
    get(target, prop, receiver) {
      if (prop === 'read') {
        return (buf: Buffer, off: number, len: number, pos: number) => {
          reads.push(Math.floor((pos - file.layout.payloadOffset) / (C + 16)));
          return target.read(buf, off, len, pos);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const { keys } = await openHeader(file.header, keyCred());
  const cipher = new ChunkCipher({ key: keys.payloadKey, noncePrefix: file.header.core.noncePrefix, aad: file.header.coreBytes });
  const sink = collector();
  await decryptRange(counting, cipher, layoutOf(file.header, file.layout.payloadOffset + file.layout.payloadLength), { start: 3 * C + 10, end: 4 * C + 5 }, sink);
  await file.close();
  assert.deepEqual(sink.bytes(), PLAIN.subarray(3 * C + 10, 4 * C + 6));
  assert.deepEqual([...new Set(reads)].sort((a, b) => a - b), [3, 4, 10]);
});

test('a range on a file cut at a chunk boundary fails (the final chunk authenticates the size)', async () => {
  const cut = join(dir, 'cut.ks');
  const whole = readFileSync(input);
  writeFileSync(cut, whole.subarray(0, 124 + 5 * (C + 16)));
  const r = await runInProcess(['--json', 'storage', 'decrypt', '-k', key, '--range', '0-10', cut]);
  assert.equal(r.status, 1);
  assert.equal((JSON.parse(r.stderr) as { error: { code: string } }).error.code, 'ERR_STORAGE_TRUNCATED');
});
