/**
 * `keysmith pssh new|inspect` end to end, in process, against the published
 * vectors in test/vectors/drm-vectors.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInProcess } from '../helpers/cli.js';

const V = JSON.parse(readFileSync(new URL('../vectors/drm-vectors.json', import.meta.url), 'utf8'));
const asciiHex = (s: string) => Buffer.from(s, 'latin1').toString('hex');

test('pssh new writes the published common and Widevine boxes byte for byte', async () => {
  const common = await runInProcess(['pssh', 'new', '--system', 'common', '--kid', V.common.kidsAscii.map(asciiHex).join(','), '-f', 'box-hex']);
  assert.equal(common.status, 0, common.stderr);
  assert.equal(common.stdout.trim(), V.common.box);
  const wv = await runInProcess(['pssh', 'new', '-s', 'widevine', '-k', asciiHex(V.widevine.kidsAscii[0]), '-k', asciiHex(V.widevine.kidsAscii[1]), '-f', 'box-hex']);
  assert.equal(wv.stdout.trim(), V.widevine.cencBox);
  const json = await runInProcess(['pssh', 'new', '-s', 'widevine', '-k', asciiHex(V.widevine.kidsAscii[0]), '--json']);
  assert.equal(JSON.parse(json.stdout).boxes[0].systemId, 'edef8ba9-79d6-4ace-a3c8-27dcd51d21ed');
});

test('pssh new refuses FairPlay, unknown systems and bad KIDs with exit 2', async () => {
  const fp = await runInProcess(['pssh', 'new', '-s', 'fairplay', '-k', '00112233445566778899aabbccddeeff', '--protection-scheme', 'cbcs']);
  assert.equal(fp.status, 2);
  assert.match(fp.stderr, /skd:\/\//);
  const unknown = await runInProcess(['pssh', 'new', '-s', 'marlin', '-k', '00112233445566778899aabbccddeeff']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /widevine, playready, clearkey, fairplay/);
  const noKid = await runInProcess(['pssh', 'new', '-s', 'widevine']);
  assert.equal(noKid.status, 2);
});

test('pssh inspect decodes base64, hex, stdin and files, with KIDs as UUIDs', async (t) => {
  const b64 = Buffer.from(V.common.box, 'hex').toString('base64');
  const r = await runInProcess(['pssh', 'inspect', b64, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.boxes[0].version, 1);
  assert.deepEqual(doc.boxes[0].kids, ['30313233-3435-3637-3839-303132333435', '41424344-4546-4748-494a-4b4c4d4e4f50']);
  const hex = await runInProcess(['pssh', 'inspect', V.widevine.cencBox]);
  assert.match(hex.stdout, /Widevine data:\n {4}Key ID: 6b657969-6431-7e7e-7e7e-7e7e7e7e7e7e/);
  const stdin = await runInProcess(['pssh', 'inspect', '-'], { stdin: `${b64}\n` });
  assert.match(stdin.stdout, /W3C Common/);
  const dir = mkdtempSync(join(tmpdir(), 'ks-cli-pssh-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'boxes.bin');
  writeFileSync(file, Buffer.concat([Buffer.from(V.common.box, 'hex'), Buffer.from(V.widevine.cencBox, 'hex')]));
  const two = await runInProcess(['pssh', 'inspect', file, '--json']);
  assert.equal(JSON.parse(two.stdout).boxes.length, 2);
  const pro = await runInProcess(['pssh', 'inspect', V.playready40Object.object]);
  assert.match(pro.stdout, /Header version: 4\.0\.0\.0/);
  assert.match(pro.stdout, /LA_URL: https:\/\/profficialsite/);
});

test('hostile input: one error line, exit 1, never a trace', async (t) => {
  const box = Buffer.from(V.common.box, 'hex');
  const past = Buffer.from(box);
  past.writeUInt32BE(0x1000, 0);
  const huge = Buffer.from(box);
  huge.writeUInt32BE(0xffffffff, 0);
  const kids = Buffer.from(box);
  kids.writeUInt32BE(0x0fffffff, 28);
  for (const [bytes, codeRe] of [
    [past, /ERR_PSSH_TRUNCATED/],
    [huge, /ERR_PSSH_SIZE/],
    [kids, /ERR_PSSH_KID_COUNT/],
  ] as const) {
    const r = await runInProcess(['pssh', 'inspect', bytes.toString('hex')]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('keysmith: error:')).length, 1);
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
    const j = await runInProcess(['pssh', 'inspect', bytes.toString('hex'), '--json']);
    assert.match(JSON.parse(j.stdout).error.code, codeRe);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ks-cli-pssh-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const junk = join(dir, 'junk.mp4');
  writeFileSync(junk, Buffer.from([0, 0, 0, 8, 0xff, 0xfe, 0, 1, 9, 9]));
  const m = await runInProcess(['pssh', 'inspect', junk, '--json']);
  assert.equal(m.status, 1);
  assert.equal(JSON.parse(m.stdout).error.code, 'ERR_PSSH_MP4');
  const missing = await runInProcess(['pssh', 'inspect', join(dir, 'missing.mp4')]);
  assert.equal(missing.status, 3);
  const notB64 = await runInProcess(['pssh', 'inspect', 'hello!']);
  assert.equal(notB64.status, 2);
});
