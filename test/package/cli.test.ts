/**
 * `keysmith package` as a user meets it: --json document (files, durations,
 * bitrates, KIDs, never keys unless --show-keys), generated keys 0600,
 * refusals (non-empty output, cbc with DASH, misaligned GOPs) that leave
 * nothing behind, and the ladder facts computed from the media.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mediaFixture } from '../fixtures/media.js';
import { runInProcess } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';
import { checkMpdConformance } from '../helpers/dash-conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'keysmith-package-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const KEY = '0a1b2c3d4e5f60718293a4b5c6d7e8f9:a1b2c3d4e5f60718293a4b5c6d7e8f90';

test('--json lists every file, the renditions with measured bitrates and the KIDs, never a key; generated keys go to keys.json 0600', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const out = join(dir, 'json');
  const r = await runInProcess(['--json', 'package', mediaFixture('ladder-480'), mediaFixture('ladder-360'), '-o', out, '--encryption', 'cenc', '--segment-duration', '2']);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    files: { path: string; bytes: number }[]; kids: string[]; renditions: { id: string; codecs: string; bandwidth: number; averageBandwidth: number; width?: number; segments: number }[];
    keysFile: string; duration: number; keys?: unknown;
  };
  assert.equal(doc.keys, undefined);
  const keys = JSON.parse(readFileSync(doc.keysFile, 'utf8')) as { keys: { kid: string; key: string }[] };
  assert.equal(statSync(doc.keysFile).mode & 0o777, 0o600);
  assert.ok(!r.stdout.includes(keys.keys[0]!.key), 'no key in --json');
  assert.deepEqual(doc.kids, [keys.keys[0]!.kid]);
  for (const f of doc.files) assert.equal(statSync(join(out, f.path)).size, f.bytes, f.path);
  assert.ok(doc.files.some((f) => f.path === 'manifest.mpd') && doc.files.some((f) => f.path === 'master.m3u8'));
  assert.deepEqual(doc.renditions.map((x) => [x.id, x.codecs, x.width]), [
    ['video-480p', 'avc1.64001e', 854],
    ['audio', 'mp4a.40.2', undefined],
    ['video-360p', 'avc1.64001e', 640],
  ]);
  for (const x of doc.renditions) {
    assert.equal(x.segments, 4);
    assert.ok(x.bandwidth >= x.averageBandwidth && x.averageBandwidth > 0);
  }
  assert.ok(Math.abs(doc.duration - 8) < 0.1);
  // DASH and HLS over the same segment files.
  const mpd = readFileSync(join(out, 'manifest.mpd'), 'utf8');
  const m3u8 = readFileSync(join(out, 'video-480p.m3u8'), 'utf8');
  assert.match(mpd, /media="video-480p\/\$Number\$.m4s"/);
  assert.match(m3u8, /^video-480p\/1.m4s$/m);
  assert.match(m3u8, /#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,.*KEYFORMAT="org.w3.clearkey"/);
  // The init segment carries the common-system pssh (SPECS §12).
  const init = readFileSync(join(out, 'video-480p', 'init.mp4'));
  assert.ok(init.includes(Buffer.from('1077efecc0b24d02ace33c1e52e2fb4b', 'hex')));
  assert.ok(init.includes(Buffer.from('encv')));
  // The real MPD passes the conformance rules; every URI in every manifest exists.
  checkMpdConformance(mpd, { scheme: 'cenc', segments: Object.fromEntries(doc.renditions.map((x) => [x.id, x.segments])) });
  for (const m of [...mpd.matchAll(/(?:initialization|media)="([^"]+)"/g)]) {
    const rendition = doc.renditions.find((x) => m[1]!.startsWith(`${x.id}/`))!;
    const names = m[1]!.includes('$Number$') ? Array.from({ length: rendition.segments }, (_, i) => m[1]!.replace('$Number$', String(i + 1))) : [m[1]!];
    for (const n of names) assert.ok(existsSync(join(out, n)), n);
  }
  for (const playlist of readdirSync(out).filter((n) => n.endsWith('.m3u8'))) {
    const text = readFileSync(join(out, playlist), 'utf8');
    const target = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(text)?.[1] ?? Infinity);
    for (const m of text.matchAll(/#EXTINF:([\d.]+),/g)) assert.ok(Math.round(Number(m[1])) <= target, `${playlist}: EXTINF ${m[1]} > target ${target}`);
    const uris = [...text.split('\n').filter((l) => l && !l.startsWith('#')), ...[...text.matchAll(/#EXT-X-(?:MAP|MEDIA)[^\n]*URI="([^"]+)"/g)].map((x) => x[1]!)];
    for (const u of uris) assert.ok(existsSync(join(out, u)), `${playlist}: ${u}`);
  }
  const shown = await runInProcess(['--json', 'package', mediaFixture('h264-aac'), '-o', join(dir, 'show'), '--key', KEY, '--show-keys']);
  assert.deepEqual((JSON.parse(shown.stdout) as { keys: unknown }).keys, [{ kid: '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9', key: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' }]);
});

test('a non-empty output directory needs --force; --force replaces it whole', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const out = join(dir, 'force');
  mkdirSync(out);
  writeFileSync(join(out, 'old.txt'), 'old');
  const refused = await runInProcess(['package', mediaFixture('h264-aac'), '-o', out, '--encryption', 'none']);
  assert.equal(refused.status, 3);
  assert.match(refused.stderr, /exists and is not empty[\s\S]*--force/);
  const forced = await runInProcess(['package', mediaFixture('h264-aac'), '-o', out, '--encryption', 'none', '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.ok(!existsSync(join(out, 'old.txt')));
  assert.ok(existsSync(join(out, 'manifest.mpd')));
  assert.ok(!readFileSync(join(out, 'manifest.mpd'), 'utf8').includes('ContentProtection'));
  assert.ok(!existsSync(join(out, 'keys.json')), 'none needs no key');
});

test('usage errors: cbc with DASH, FairPlay with cenc, a key for none', async () => {
  const input = join(dir, 'absent.mp4');
  const cases: [string[], RegExp][] = [
    [['--dash', '--encryption', 'cbc'], /cbc is HLS only/],
    [['--encryption', 'cenc', '--drm', 'fairplay'], /FairPlay.*cannot play cenc/i],
    [['--encryption', 'none', '--key', KEY], /none takes no key/],
    [['--encryption', 'cenc', '--hls-key-uri', 'https://x/k'], /--hls-key-uri applies to --encryption cbc/],
    [['--segment-duration', '0'], /--segment-duration/],
  ];
  for (const [args, message] of cases) {
    const r = await runInProcess(['package', input, '-o', join(dir, 'never'), ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.ok(!existsSync(join(dir, 'never')));
});

test('renditions whose key frames do not align are refused with a clear error, leaving nothing behind', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const odd = join(dir, 'gop37.mp4');
  const made = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25:duration=4',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '37', '-keyint_min', '37', '-sc_threshold', '0', odd]);
  assert.equal(made.status, 0, String(made.stderr));
  const out = join(dir, 'misaligned');
  const r = await runInProcess(['package', mediaFixture('h264-aac'), odd, '-o', out, '--encryption', 'cbcs', '--segment-duration', '2']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /key frames do not align/);
  assert.match(r.stderr, /hint: encode every input with the same fixed GOP/);
  assert.ok(!existsSync(out));
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes('partial')), [], 'no temporary directory left');
});

test('cbc with --hls-key-uri writes that URI and no key.bin', async (t) => {
  if (!requireTool(t, 'ffmpeg')) return;
  const out = join(dir, 'keyuri');
  const r = await runInProcess(['package', mediaFixture('h264-aac'), '-o', out, '--encryption', 'cbc', '--key', KEY, '--hls-key-uri', 'https://keys.example.com/k?kid=0a1b']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!existsSync(join(out, 'key.bin')));
  const playlist = readFileSync(join(out, 'video-240p.m3u8'), 'utf8');
  assert.match(playlist, /#EXT-X-KEY:METHOD=AES-128,URI="https:\/\/keys.example.com\/k\?kid=0a1b",IV=0x[0-9A-F]{32}\n#EXT-X-MAP/);
  // Every IV differs (no IV reuse under one key).
  const ivs = [...playlist.matchAll(/IV=(0x[0-9A-F]{32})/g)].map((m) => m[1]);
  assert.equal(new Set(ivs).size, ivs.length);
  assert.ok(!existsSync(join(out, 'manifest.mpd')), 'cbc writes HLS only');
});
