/**
 * inspect --json reports scheme, pattern, KIDs, IV size, PSSH systems and
 * per-track sample counts; bad input exits 1 with one ERR_* line naming the
 * box and offset, and leaves no output behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runInProcess } from '../helpers/cli.js';
import { mediaFixture } from '../fixtures/media.js';
import { KID, PAIR, tempDir } from './media-helpers.js';

const KID_UUID = '01234567-89ab-cdef-0123-456789abcdef';

test('inspect --json of our cbcs output with Widevine and PlayReady headers', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'enc.mp4');
  const r = await runInProcess(['encrypt', mediaFixture('h264-aac'), '-o', out, '--scheme', 'cbcs', '--key', PAIR, '--drm', 'widevine,playready']);
  assert.equal(r.status, 0, r.stderr);
  const i = await runInProcess(['inspect', '--json', out]);
  assert.equal(i.status, 0, i.stderr);
  const rep = JSON.parse(i.stdout);
  assert.equal(rep.fragmented, true);
  const [v, a] = rep.tracks;
  assert.equal(v.samples, 100);
  assert.equal(a.samples, 189);
  assert.deepEqual(v.encryption.pattern, { crypt: 1, skip: 9 });
  assert.equal(v.encryption.scheme, 'cbcs');
  assert.equal(v.encryption.kid, KID_UUID);
  assert.equal(v.encryption.ivSize, 0);
  assert.match(v.encryption.constantIv, /^[0-9a-f]{32}$/);
  assert.equal(v.encryption.samplesWithSubsamples, 100);
  assert.equal(a.encryption.samplesWithEncryptionInfo, 189);
  assert.deepEqual(v.problems, []);
  assert.deepEqual(rep.pssh.map((p: { systemId: string }) => p.systemId), [
    '1077efec-c0b2-4d02-ace3-3c1e52e2fb4b',
    'edef8ba9-79d6-4ace-a3c8-27dcd51d21ed',
    '9a04f079-9840-4286-ab92-e65be0885f95',
  ]);
  assert.deepEqual(rep.pssh[0].kids, [KID_UUID]);
  const boxes = await runInProcess(['inspect', '--json', '--boxes', out]);
  const paths = JSON.parse(boxes.stdout).boxes.map((b: { path: string }) => b.path);
  for (const p of ['moov/trak/mdia/minf/stbl/stsd/encv/sinf/schi/tenc', 'moof/traf/senc', 'moof/traf/saio', 'moov/pssh']) assert.ok(paths.includes(p), p);
});

test('encrypt without keys generates them beside the output (0600) and prints KIDs, keys only with --show-keys', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'movie.mp4');
  const r = await runInProcess(['encrypt', mediaFixture('h264-aac'), '-o', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.kids.length, 2);
  assert.equal(doc.keys, undefined);
  assert.ok(!r.stdout.includes(JSON.parse(readFileSync(join(dir, 'movie.keys.json'), 'utf8')).keys[0].key));
  assert.equal(statSync(join(dir, 'movie.keys.json')).mode & 0o777, 0o600);
  const d = await runInProcess(['decrypt', out, '-o', join(dir, 'clear.mp4'), '--keys', join(dir, 'movie.keys.json')]);
  assert.equal(d.status, 0, d.stderr);
  const s = await runInProcess(['encrypt', mediaFixture('aac'), '-o', join(dir, 'a.mp4'), '--json', '--show-keys']);
  assert.equal(JSON.parse(s.stdout).keys.length, 1);
});

function damaged(t: { after(fn: () => void): void }, name: string, edit: (b: Buffer) => Buffer): { dir: string; file: string } {
  const dir = tempDir(t);
  const file = join(dir, name);
  writeFileSync(file, edit(Buffer.from(readFileSync(mediaFixture('h264-aac')))));
  return { dir, file };
}

function boxAt(b: Buffer, path: string[]): number {
  let pos = 0;
  let end = b.length;
  let found = -1;
  for (const type of path) {
    found = -1;
    while (pos + 8 <= end) {
      const size = b.readUInt32BE(pos);
      if (b.toString('latin1', pos + 4, pos + 8) === type) {
        found = pos;
        end = pos + size;
        pos += 8;
        break;
      }
      pos += size;
    }
    if (found < 0) throw new Error(`no ${type}`);
  }
  return found;
}

const BAD: { name: string; code: RegExp; edit(b: Buffer): Buffer }[] = [
  { name: 'truncated', code: /ERR_BMFF_TRUNCATED|runs past the end/, edit: (b) => b.subarray(0, 3000) },
  { name: 'moov size past the end', code: /moov at offset \d+/, edit: (b) => { b.writeUInt32BE(0x7ffffff0, boxAt(b, ['moov'])); return b; } },
  { name: 'zero size inside moov', code: /moov\/\S+ at offset \d+|size/, edit: (b) => { b.writeUInt32BE(0, boxAt(b, ['moov', 'trak'])); return b; } },
  { name: 'sample table outside the file', code: /stbl at offset \d+: sample 1 /, edit: (b) => { const s = boxAt(b, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stco']); b.writeUInt32BE(0x7fff0000, s + 16); return b; } },
  { name: 'millions of constant-size samples in a small file', code: /stsz at offset \d+: sample count 5000000 exceeds/, edit: (b) => { const s = boxAt(b, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsz']); b.writeUInt32BE(1, s + 12); b.writeUInt32BE(5_000_000, s + 16); return b; } },
  { name: 'absurd sample count', code: /stsz at offset \d+/, edit: (b) => { const s = boxAt(b, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsz']); b.writeUInt32BE(0xfffffff0, s + 16); return b; } },
];

for (const bad of BAD) {
  for (const cmd of ['inspect', 'encrypt', 'decrypt'] as const) {
    test(`${cmd} of a file with ${bad.name}: exit 1, one error line, nothing written`, async (t) => {
      const { dir, file } = damaged(t, 'bad.mp4', bad.edit);
      const out = join(dir, 'out.mp4');
      const argv = cmd === 'inspect' ? ['inspect', file] : [cmd, file, '-o', out, '--key', PAIR];
      const r = await runInProcess(argv);
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('hint:'));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^keysmith: error: /);
      assert.match(lines[0]!, bad.code);
      assert.ok(!existsSync(out));
      assert.deepEqual(readdirSync(dir).sort(), ['bad.mp4']);
      const j = await runInProcess([...argv, '--json']);
      assert.match(JSON.parse(j.stdout).error.code, /^ERR_BMFF_/);
    });
  }
}

test('subsample totals exceeding the sample: decrypt fails with ERR_CENC_SUBSAMPLES', async (t) => {
  const dir = tempDir(t);
  const enc = join(dir, 'enc.mp4');
  assert.equal((await runInProcess(['encrypt', mediaFixture('h264-aac'), '-o', enc, '--key', PAIR])).status, 0);
  const b = readFileSync(enc);
  const moof = b.indexOf('moof') - 4;
  const senc = b.indexOf('senc', moof) - 4;
  // first sample: IV (8) then subsample count, then (clear u16, encrypted u32)
  b.writeUInt32BE(0x7fffffff, senc + 16 + 8 + 2 + 2);
  writeFileSync(enc, b);
  const r = await runInProcess(['decrypt', enc, '-o', join(dir, 'x.mp4'), '--key', `${KID}:00112233445566778899aabbccddeeff`]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ERR_CENC_SUBSAMPLES|subsamples of sample 1 cover/);
  assert.ok(!existsSync(join(dir, 'x.mp4')));
});
