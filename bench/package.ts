/**
 * Packaging throughput: `keysmith package --dash --hls` (cenc, cbcs) vs
 * Shaka Packager producing DASH + HLS from the same input in the same run
 * (raw key, common-system PSSH, 4 s segments, video + audio).
 *
 *   npm run build && npx tsx bench/package.ts [--seconds 120] [--runs 2]
 *
 * Input: a 120 s 1080p 8 Mbit/s H.264 + AAC clip made by ffmpeg, cached
 * under bench/out/ (git-ignored; shared with bench/encrypt.ts). Prints MB/s
 * of input, the ratio keysmith/Shaka (target >= 2x) and the peak RSS of each
 * (GNU time -v; target < 300 MB).
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, KEY, KID, OUT, SHAKA, arg, best, makeInput, timed, type Run } from './media-input.js';

const SECONDS = arg('seconds', 120);
const RUNS = arg('runs', 2);

function treeBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? treeBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

function shakaArgs(input: string, scheme: string, o: string): string[] {
  return [
    `in=${input},stream=video,init_segment=${o}/v/init.mp4,segment_template=${o}/v/$Number$.m4s,playlist_name=v.m3u8`,
    `in=${input},stream=audio,init_segment=${o}/a/init.mp4,segment_template=${o}/a/$Number$.m4s,playlist_name=a.m3u8,hls_group_id=audio`,
    '--segment_duration', '4',
    '--protection_scheme', scheme,
    '--clear_lead', '0',
    '--enable_raw_key_encryption',
    '--keys', `label=:key_id=${KID}:key=${KEY}`,
    '--protection_systems', 'CommonSystem',
    '--mpd_output', `${o}/manifest.mpd`,
    '--hls_master_playlist_output', `${o}/master.m3u8`,
    '--quiet',
  ];
}

const input = makeInput(SECONDS);
const mb = statSync(input).size / 1e6;
console.log(`input: ${input} (${mb.toFixed(1)} MB, ${SECONDS} s 1080p H.264 8 Mbit/s + AAC); DASH + HLS, 4 s segments; best of ${RUNS} runs\n`);
const rows: string[] = [];
for (const scheme of ['cenc', 'cbcs'] as const) {
  const ours: Run[] = [];
  const theirs: Run[] = [];
  let oursBytes = 0;
  let theirBytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const o = join(OUT, `ks-package-${scheme}`);
    rmSync(o, { recursive: true, force: true });
    ours.push(timed(process.execPath, [BIN, 'package', input, '-o', o, '--dash', '--hls', '--encryption', scheme, '--key', `${KID}:${KEY}`, '--segment-duration', '4']));
    oursBytes = treeBytes(o);
    rmSync(o, { recursive: true, force: true });
    const s = join(OUT, `shaka-package-${scheme}`);
    rmSync(s, { recursive: true, force: true });
    mkdirSync(s, { recursive: true });
    theirs.push(timed(SHAKA, shakaArgs(input, scheme, s)));
    theirBytes = treeBytes(s);
    rmSync(s, { recursive: true, force: true });
  }
  const a = best(ours);
  const b = best(theirs);
  rows.push(
    `${scheme}: keysmith ${(mb / a.seconds).toFixed(1)} MB/s (${a.seconds.toFixed(2)} s, cpu ${a.cpu.toFixed(2)} s, peak RSS ${a.rssMb.toFixed(0)} MB, ${(oursBytes / 1e6).toFixed(1)} MB out)` +
      ` | Shaka Packager ${(mb / b.seconds).toFixed(1)} MB/s (${b.seconds.toFixed(2)} s, cpu ${b.cpu.toFixed(2)} s, peak RSS ${b.rssMb.toFixed(0)} MB, ${(theirBytes / 1e6).toFixed(1)} MB out)` +
      ` | ratio ${(b.seconds / a.seconds).toFixed(2)}x wall, ${(b.cpu / a.cpu).toFixed(2)}x cpu`,
  );
  console.log(rows[rows.length - 1]);
}
