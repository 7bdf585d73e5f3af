/**
 * The tiny bounded MP4 walker (ISO/IEC 14496-12 §4.2 box headers): pssh
 * boxes at top level, in moov and in moof (key rotation), 64-bit sizes,
 * size 0 (to end of file), and hostile layouts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyId } from '../../src/crypto/index.js';
import { KeysmithError } from '../../src/errors.js';
import { bufferSource, drmByName, findPsshBoxes } from '../../src/drm/index.js';

const kid = KeyId.parse('00112233445566778899aabbccddeeff');
const common = drmByName('common').psshBox({ kids: [kid], scheme: 'cenc' })!;
const widevine = drmByName('widevine').psshBox({ kids: [kid], scheme: 'cenc' })!;

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const h = Buffer.alloc(8);
  h.writeUInt32BE(8 + body.length, 0);
  h.write(type, 4, 'latin1');
  return Buffer.concat([h, body]);
}

test('finds pssh boxes in moov and in every moof, in file order', async () => {
  const file = Buffer.concat([
    box('ftyp', Buffer.from('isom\0\0\0\0')),
    box('moov', box('mvhd', Buffer.alloc(100)), common, box('trak', box('tkhd', Buffer.alloc(80)))),
    box('moof', box('mfhd', Buffer.alloc(8)), widevine),
    box('mdat', Buffer.alloc(50)),
    box('moof', box('mfhd', Buffer.alloc(8)), widevine),
  ]);
  const found = await findPsshBoxes(bufferSource(file));
  assert.deepEqual(found.map((f) => `${f.path}:${f.box.systemId.slice(0, 8)}`), ['moov:1077efec', 'moof:edef8ba9', 'moof:edef8ba9']);
  assert.equal(file.subarray(found[0]!.offset, found[0]!.offset + found[0]!.box.size).toString('hex'), common.toString('hex'));
});

test('64-bit largesize and a final size-0 box are understood', async () => {
  const large = Buffer.alloc(16);
  large.writeUInt32BE(1, 0);
  large.write('free', 4, 'latin1');
  large.writeBigUInt64BE(24n, 8);
  const last = Buffer.alloc(8);
  last.write('mdat', 4, 'latin1'); // size 0: to the end of the file
  const file = Buffer.concat([large, Buffer.alloc(8), box('moov', common), last, Buffer.alloc(30)]);
  assert.equal((await findPsshBoxes(bufferSource(file))).length, 1);
});

test('hostile layouts fail with ERR_PSSH_MP4, bounded in boxes walked', async () => {
  const code = async (bytes: Buffer, maxBoxes?: number) => {
    try {
      await findPsshBoxes(bufferSource(bytes), maxBoxes === undefined ? {} : { maxBoxes });
      return 'OK';
    } catch (err) {
      assert.ok(err instanceof KeysmithError);
      return err.code;
    }
  };
  const past = box('moov', common);
  past.writeUInt32BE(past.length + 100, 0);
  assert.equal(await code(past), 'ERR_PSSH_MP4');
  const tiny = box('free');
  tiny.writeUInt32BE(3, 0);
  assert.equal(await code(tiny), 'ERR_PSSH_MP4');
  assert.equal(await code(Buffer.concat([box('free'), Buffer.alloc(5)])), 'ERR_PSSH_MP4');
  assert.equal(await code(Buffer.concat(Array.from({ length: 50 }, () => box('free'))), 10), 'ERR_PSSH_MP4');
  // A pssh inside moov whose own sizes are wrong keeps its pssh code.
  const bad = Buffer.from(common);
  bad.writeUInt32BE(0x0fffffff, 28);
  assert.equal(await code(box('moov', bad)), 'ERR_PSSH_KID_COUNT');
});
