/**
 * Interop with Shaka Packager (the static binary shipped in the npm package
 * `shaka-packager`): the pssh boxes it writes are found and decoded by
 * `pssh inspect`, its PlayReady and common-system boxes are byte-identical to
 * ours, and boxes we build are carried into its output unchanged via --pssh.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyId, ContentKey } from '../../src/crypto/index.js';
import { bufferSource, drmByName, findPsshBoxes } from '../../src/drm/index.js';
import { mediaFixture } from '../fixtures/media.js';
import { requireTool, SHAKA_PACKAGER } from '../helpers/tools.js';
import { runInProcess } from '../helpers/cli.js';

const KID = '8ba94ade6eb9449db44fa5beefaf43b0';
const KEY = 'dbfd6922c321c4bb486f4a1c44097ed6';
const kid = KeyId.parse(KID);
const key = ContentKey.parse(KEY);

function pack(input: string, output: string, extra: string[]): void {
  const r = spawnSync(
    SHAKA_PACKAGER,
    [`in=${input},stream=video,output=${output}`, '--enable_raw_key_encryption', '--keys', `label=:key_id=${KID}:key=${KEY}`, '--clear_lead', '0', ...extra],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
}

test('pssh inspect reads the boxes Shaka Packager writes, and they match ours', async (t) => {
  if (!requireTool(t, SHAKA_PACKAGER, 'npm ci (shaka-packager)') || !requireTool(t, 'ffmpeg')) return;
  const dir = mkdtempSync(join(tmpdir(), 'ks-pssh-shaka-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'enc.mp4');
  pack(mediaFixture('h264-aac'), out, ['--protection_systems', 'Widevine,PlayReady,CommonSystem']);
  const r = await runInProcess(['pssh', 'inspect', out, '--json', '--key', `${KID}:${KEY}`]);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { input: string; boxes: { drm: string; kids: string[]; data: Record<string, unknown>; checksums?: { match: boolean }[]; location: { path: string } }[] };
  assert.equal(doc.input, 'mp4');
  assert.deepEqual(doc.boxes.map((b) => b.drm).sort(), ['clearkey', 'playready', 'widevine']);
  assert.ok(doc.boxes.every((b) => b.location.path === 'moov'));
  assert.deepEqual((doc.boxes.find((b) => b.drm === 'widevine')!.data.keyIds as string[]), [kid.uuid]);
  assert.deepEqual(doc.boxes.find((b) => b.drm === 'playready')!.checksums!.map((c) => c.match), [true]);
  // Byte-exact: Shaka's PlayReady 4.0 header (with checksum) and W3C common box equal ours.
  const found = await findPsshBoxes(bufferSource(readFileSync(out)));
  const ctx = { kids: [kid], keys: [{ kid, key }], scheme: 'cenc' as const };
  for (const name of ['playready', 'clearkey']) {
    const row = drmByName(name);
    const theirs = found.find((f) => f.box.systemId === row.systemId)!;
    assert.equal(Buffer.from(readFileSync(out).subarray(theirs.offset, theirs.offset + theirs.box.size)).toString('hex'), row.psshBox(ctx)!.toString('hex'), name);
  }
});

test('Shaka Packager carries our cbcs Widevine and PlayReady 4.3 boxes unchanged', async (t) => {
  if (!requireTool(t, SHAKA_PACKAGER, 'npm ci (shaka-packager)') || !requireTool(t, 'ffmpeg')) return;
  const dir = mkdtempSync(join(tmpdir(), 'ks-pssh-shaka-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const made = await runInProcess(['pssh', 'new', '--system', 'widevine,playready', '--kid', KID, '--key', KEY, '--protection-scheme', 'cbcs', '--la-url', 'https://pr.example.com/rightsmanager.asmx', '-f', 'box-hex']);
  assert.equal(made.status, 0, made.stderr);
  const ours = made.stdout.trim();
  const out = join(dir, 'enc.mp4');
  pack(mediaFixture('h264-aac'), out, ['--pssh', ours, '--protection_scheme', 'cbcs']);
  const file = readFileSync(out);
  const found = await findPsshBoxes(bufferSource(file));
  assert.equal(found.map((f) => file.subarray(f.offset, f.offset + f.box.size).toString('hex')).join(''), ours);
});
