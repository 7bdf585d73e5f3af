/**
 * The pssh codec (ISO/IEC 23001-7 §8.1.1) round-trips and refuses hostile
 * boxes with ERR_PSSH_* codes. Boxes come from test/vectors/drm-vectors.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KeyId, seededRandom } from '../../src/crypto/index.js';
import { KeysmithError } from '../../src/errors.js';
import {
  buildPlayReadyObject,
  buildPsshBox,
  drmByName,
  inspectPsshBytes,
  parsePlayReadyObject,
  parsePsshBox,
  parsePsshBoxes,
  PLAYREADY_SYSTEM_ID,
  WIDEVINE_SYSTEM_ID,
} from '../../src/drm/index.js';

const V = JSON.parse(readFileSync(new URL('../vectors/drm-vectors.json', import.meta.url), 'utf8'));
const common = Buffer.from(V.common.box, 'hex');
const widevine = Buffer.from(V.widevine.cencBox, 'hex');
const kid = KeyId.parse('8ba94ade-6eb9-449d-b44f-a5beefaf43b0');

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof KeysmithError, `expected a KeysmithError, got ${String(err)}`);
    return err.code;
  }
  return 'OK';
}

test('a built box parses back to the same fields (v0 and v1)', () => {
  const data = Buffer.from('hello');
  for (const version of [0, 1] as const) {
    const box = buildPsshBox({ systemId: WIDEVINE_SYSTEM_ID, version, ...(version === 1 ? { kids: [kid] } : {}), data });
    const p = parsePsshBox(box);
    assert.equal(p.systemId, WIDEVINE_SYSTEM_ID);
    assert.equal(p.version, version);
    assert.equal(p.size, box.length);
    assert.deepEqual(p.data, data);
    assert.equal(p.kids.length, version);
  }
});

test('several concatenated boxes parse in order', () => {
  const boxes = parsePsshBoxes(Buffer.concat([widevine, common]));
  assert.deepEqual(boxes.map((b) => b.systemId), [WIDEVINE_SYSTEM_ID, '1077efec-c0b2-4d02-ace3-3c1e52e2fb4b']);
});

test('hostile boxes are refused with precise codes', () => {
  const withSize = (b: Buffer, size: number) => {
    const c = Buffer.from(b);
    c.writeUInt32BE(size, 0);
    return c;
  };
  assert.equal(code(() => parsePsshBox(withSize(common, common.length + 1))), 'ERR_PSSH_TRUNCATED');
  assert.equal(code(() => parsePsshBox(withSize(common, 0))), 'ERR_PSSH_SIZE');
  assert.equal(code(() => parsePsshBox(withSize(common, 0xffffffff))), 'ERR_PSSH_SIZE');
  assert.equal(code(() => parsePsshBox(withSize(common, 4))), 'ERR_PSSH_SIZE');
  const manyKids = Buffer.from(common);
  manyKids.writeUInt32BE(0x10000000, 28); // KID_count that cannot fit
  assert.equal(code(() => parsePsshBox(manyKids)), 'ERR_PSSH_KID_COUNT');
  const v2 = Buffer.from(common);
  v2[8] = 2;
  assert.equal(code(() => parsePsshBox(v2)), 'ERR_PSSH_VERSION');
  const dataSize = Buffer.from(widevine);
  dataSize.writeUInt32BE(0x23, 28);
  assert.equal(code(() => parsePsshBox(dataSize)), 'ERR_PSSH_DATA_SIZE');
  const notPssh = Buffer.from(widevine);
  notPssh.write('moov', 4, 'latin1');
  assert.equal(code(() => parsePsshBox(notPssh)), 'ERR_PSSH_TYPE');
  assert.equal(code(() => parsePsshBox(Buffer.concat([widevine, Buffer.from([0])]))), 'ERR_PSSH_TRAILING');
  assert.equal(code(() => parsePsshBox(widevine.subarray(0, 20))), 'ERR_PSSH_TRUNCATED');
});

test('a PlayReady Object whose record lengths disagree is refused', () => {
  const pro = buildPlayReadyObject({ version: '4.0', kids: [{ kid }] });
  const longer = Buffer.from(pro);
  longer.writeUInt16LE(pro.readUInt16LE(8) + 2, 8); // record length past the end
  assert.equal(code(() => parsePlayReadyObject(longer)), 'ERR_PSSH_PLAYREADY');
  const total = Buffer.from(pro);
  total.writeUInt32LE(pro.length + 10, 0);
  assert.equal(code(() => parsePlayReadyObject(total)), 'ERR_PSSH_PLAYREADY');
  const count = Buffer.from(pro);
  count.writeUInt16LE(2, 4);
  assert.equal(code(() => parsePlayReadyObject(count)), 'ERR_PSSH_PLAYREADY');
  // Inside a valid pssh box, the bad data is reported, not thrown: the box itself is fine.
  const box = buildPsshBox({ systemId: PLAYREADY_SYSTEM_ID, data: longer });
  const d = drmByName('playready');
  assert.throws(() => d.parsePsshData!(parsePsshBox(box).data), (e: KeysmithError) => e.code === 'ERR_PSSH_PLAYREADY');
});

test('mutation fuzz: a few hundred seeded mutants of real boxes never crash the parsers', async () => {
  const pr = drmByName('playready').psshBox({ kids: [kid], scheme: 'cenc', laUrl: 'https://example.com/pr?x=1&y=2', playreadyVersion: '4.2' })!;
  const wvCbcs = drmByName('widevine').psshBox({ kids: [kid], scheme: 'cbcs', provider: 'keysmith', contentId: Buffer.from('movie') })!;
  const seeds = [common, widevine, pr, wvCbcs, Buffer.concat([widevine, pr])];
  const rnd = seededRandom('pssh-fuzz');
  let refused = 0;
  for (let i = 0; i < 400; i++) {
    const base = Buffer.from(seeds[i % seeds.length]!);
    const r = rnd.bytes(8);
    const mutations = 1 + (r[0]! % 4);
    let m = base;
    for (let j = 0; j < mutations; j++) {
      const op = rnd.bytes(1)[0]! % 4;
      const at = rnd.bytes(2).readUInt16BE(0) % Math.max(1, m.length);
      if (op === 0) m[at] = rnd.bytes(1)[0]!; // flip a byte
      else if (op === 1) m = m.subarray(0, at); // truncate
      else if (op === 2 && m.length >= 4) m.writeUInt32BE(rnd.bytes(4).readUInt32BE(0), Math.min(at, m.length - 4)); // clobber a length
      else m = Buffer.concat([m.subarray(0, at), rnd.bytes(1 + (at % 7)), m.subarray(at)]); // insert
    }
    try {
      await inspectPsshBytes(m);
    } catch (err) {
      assert.ok(err instanceof KeysmithError, `mutant ${i}: ${String(err)}`);
      assert.match(err.code, /^ERR_(PSSH|USAGE)_?/);
      assert.ok(!err.message.includes('\n'), 'one-line message');
      refused++;
    }
  }
  assert.ok(refused > 100, `expected most mutants refused, got ${refused}`);
});
