/**
 * The ladder is the single-segment interface a just-in-time origin calls:
 * any segment made alone, in any order, is byte-identical to the file the
 * packager wrote (same keys and the same seeded randomness for the IVs).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../src/crypto/random.js';
import { aesCbcDecrypt } from '../../src/crypto/aes.js';
import { parseKeyPair } from '../../src/keys/content-keys.js';
import { parseDrmList } from '../../src/drm/index.js';
import { openLadder } from '../../src/package/ladder.js';
import { packagePresentation } from '../../src/package/package.js';
import type { PackageMode } from '../../src/package/modes.js';
import { mediaFixture } from '../fixtures/media.js';
import { requireTool } from '../helpers/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'keysmith-ladder-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const keys = [parseKeyPair('0a1b2c3d4e5f60718293a4b5c6d7e8f9:a1b2c3d4e5f60718293a4b5c6d7e8f90')];

for (const mode of ['cenc', 'cbcs', 'cbc', 'none'] as const satisfies readonly PackageMode[]) {
  test(`${mode}: every segment made alone, backwards, equals the packaged file`, async (t) => {
    if (!requireTool(t, 'ffmpeg')) return;
    const inputs = [mediaFixture('ladder-360'), mediaFixture('ladder-240')];
    const out = join(dir, mode);
    const k = mode === 'none' ? [] : keys;
    const drm = mode === 'cenc' || mode === 'cbcs' ? parseDrmList('clearkey,widevine') : [];
    await packagePresentation({
      inputs, output: out, mode, dash: mode !== 'cbc', hls: true, keys: k, drm, segmentDuration: 2, force: false,
      random: seededRandom('ladder'), generateKey: () => { throw new Error('no key generation expected'); },
    });
    const ladder = await openLadder(inputs, { mode, keys: k, drm, segmentDuration: 2, random: seededRandom('ladder') });
    try {
      assert.deepEqual(ladder.renditions.map((r) => r.id), ['video-360p', 'audio', 'video-240p']);
      for (const r of ladder.renditions) {
        assert.ok(ladder.initSegment(r.id).equals(readFileSync(join(out, r.id, 'init.mp4'))), `${r.id} init`);
        for (let i = r.segments.length - 1; i >= 0; i--) {
          const alone = await ladder.mediaSegment(r.id, i);
          assert.ok(alone.equals(readFileSync(join(out, r.id, `${i + 1}.m4s`))), `${r.id} segment ${i + 1}`);
        }
      }
      if (mode === 'cbc') {
        // The envelope: the init segment decrypts (PKCS#7) to ftyp … with its playlist IV.
        const r = ladder.renditions[0]!;
        const clear = aesCbcDecrypt(keys[0]!.key, r.initIv!, readFileSync(join(out, r.id, 'init.mp4')), { padding: true });
        assert.equal(clear.subarray(4, 8).toString('latin1'), 'ftyp');
        assert.match(readFileSync(join(out, `${r.id}.m3u8`), 'utf8'), new RegExp(`IV=0x${r.initIv!.toString('hex').toUpperCase()}\\n#EXT-X-MAP`));
      }
      await assert.rejects(ladder.mediaSegment('video-360p', 99), { code: 'ERR_PACKAGE_NO_SEGMENT' });
      assert.throws(() => ladder.initSegment('nope'), { code: 'ERR_PACKAGE_NO_RENDITION' });
    } finally {
      await ladder.close();
    }
  });
}
