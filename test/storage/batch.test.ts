/** Directory trees: mirrored outputs with .ks, one corrupt file reported while the rest continue. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatKeyFile, planTree, runBatch } from '../../src/storage/index.js';
import { runInProcess } from '../helpers/cli.js';
import { KEY_A, pattern, tempDir } from './helpers.js';

const dir = tempDir();
const p = (...s: string[]) => join(dir, ...s);
writeFileSync(p('a.key'), formatKeyFile(KEY_A), { mode: 0o600 });
mkdirSync(p('masters', 'season1', 'ep1'), { recursive: true });
mkdirSync(p('masters', 'empty'), { recursive: true });
const files: Record<string, Buffer> = {
  'intro.mov': pattern(5000),
  'season1/ep1/master.mxf': pattern(300_000),
  'season1/ep1/notes.txt': Buffer.from('colour grade v3\n'),
  'season1/zero.bin': Buffer.alloc(0),
};
for (const [name, data] of Object.entries(files)) writeFileSync(p('masters', name), data);
symlinkSync(p('masters', 'intro.mov'), p('masters', 'link.mov'));

type Summary = { operation: string; files: number; succeeded: number; failed: { path: string; code: string; message: string }[]; skipped: { path: string; reason: string }[]; plaintextBytes: number };

test('encrypt -r mirrors the tree under -o with .ks added, in parallel, with a --json summary', async () => {
  const r = await runInProcess(['--json', 'storage', 'encrypt', '-r', '-j', '3', '-k', p('a.key'), '-o', p('vault'), p('masters')]);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as Summary;
  assert.equal(s.files, 4);
  assert.equal(s.succeeded, 4);
  assert.deepEqual(s.failed, []);
  assert.deepEqual(s.skipped, [{ path: 'link.mov', reason: 'symbolic link (not followed)' }]);
  assert.equal(s.plaintextBytes, Object.values(files).reduce((n, b) => n + b.length, 0));
  for (const name of Object.keys(files)) assert.ok(existsSync(p('vault', `${name}.ks`)), name);
});

test('decrypt -r with one corrupt file: reported, the rest written, exit 1', async () => {
  const bad = p('vault', 'season1', 'ep1', 'master.mxf.ks');
  const b = readFileSync(bad);
  b[b.length - 40]! ^= 1;
  writeFileSync(bad, b);
  writeFileSync(p('vault', 'README'), 'not encrypted');
  const r = await runInProcess(['--json', 'storage', 'decrypt', '-r', '-k', p('a.key'), '-o', p('restored'), p('vault')]);
  assert.equal(r.status, 1);
  const s = JSON.parse(r.stdout) as Summary;
  assert.equal(s.files, 4);
  assert.equal(s.succeeded, 3);
  assert.deepEqual(s.failed.map((f) => [f.path, f.code]), [[join('season1', 'ep1', 'master.mxf.ks'), 'ERR_STORAGE_TAMPERED']]);
  assert.deepEqual(s.skipped, [{ path: 'README', reason: 'no .ks suffix' }]);
  assert.equal(existsSync(p('restored', 'season1', 'ep1', 'master.mxf')), false);
  for (const name of ['intro.mov', 'season1/ep1/notes.txt', 'season1/zero.bin']) assert.deepEqual(readFileSync(p('restored', name)), files[name]);
  // Human mode: a summary line on stdout, each failure on stderr.
  const h = await runInProcess(['storage', 'decrypt', '-r', '--force', '-k', p('a.key'), '-o', p('restored'), p('vault')]);
  assert.equal(h.status, 1);
  assert.match(h.stdout, /decrypted 3 of 4 files/);
  assert.match(h.stderr, /master\.mxf\.ks: payload authentication failed/);
  assert.match(h.stderr, /1 of 4 files failed/);
});

test('existing outputs fail per file without --force', async () => {
  const r = await runInProcess(['--json', 'storage', 'encrypt', '-r', '-k', p('a.key'), '-o', p('vault'), p('masters')]);
  assert.equal(r.status, 1);
  const s = JSON.parse(r.stdout) as Summary;
  assert.ok(s.failed.every((f) => f.code === 'ERR_EXISTS'));
});

test('an output tree inside the input tree is not walked into', async () => {
  const plan = await planTree(p('masters'), p('masters', 'out'), 'encrypt');
  mkdirSync(p('masters', 'out'), { recursive: true });
  writeFileSync(p('masters', 'out', 'x.ks'), 'x');
  const again = await planTree(p('masters'), p('masters', 'out'), 'encrypt');
  assert.deepEqual(again.items.map((i) => i.relative), plan.items.map((i) => i.relative));
});

test('runBatch never runs more than --jobs at once', async () => {
  let running = 0;
  let peak = 0;
  const items = Array.from({ length: 12 }, (_, i) => ({ input: `${i}`, output: p('jobs', `${i}`), relative: `${i}` }));
  const out = await runBatch(items, 3, async (item) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    if (item.input === '7') throw new Error('boom');
    return item.input;
  });
  assert.equal(peak, 3);
  assert.equal(out.filter((o) => !o.ok).length, 1);
});

test('-r usage errors: no -o, a file instead of a directory, --range', async () => {
  assert.equal((await runInProcess(['storage', 'encrypt', '-r', '-k', p('a.key'), p('masters')])).status, 2);
  assert.equal((await runInProcess(['storage', 'encrypt', '-r', '-k', p('a.key'), '-o', p('v2'), p('a.key')])).status, 2);
  assert.equal((await runInProcess(['storage', 'decrypt', '-r', '--range', '0-1', '-k', p('a.key'), '-o', p('v2'), p('vault')])).status, 2);
});
