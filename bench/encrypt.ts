/**
 * Encrypt throughput: keysmith encrypt (cenc, cbcs) vs Shaka Packager
 * writing the same encrypted fragmented MP4 (all tracks, raw key, same
 * fragment duration), measured in the same run on the same input.
 *
 *   npx tsx bench/encrypt.ts [--seconds 120] [--runs 2]
 *
 * Input: a 120 s 1080p 8 Mbit/s H.264 + AAC clip made by ffmpeg, cached
 * under bench/out/ (git-ignored). Prints MB/s of input, the ratio
 * keysmith/Shaka, and the peak RSS of each (GNU time -v).
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, KEY, KID, OUT, SHAKA, arg, best, makeInput, timed, type Run } from './media-input.js';

const SECONDS = arg('seconds', 120);
const RUNS = arg('runs', 2);

const input = makeInput(SECONDS);
const mb = statSync(input).size / 1e6;
console.log(`input: ${input} (${mb.toFixed(1)} MB, ${SECONDS} s 1080p H.264 8 Mbit/s + AAC); best of ${RUNS} runs\n`);
const rows: string[] = [];
for (const scheme of ['cenc', 'cbcs'] as const) {
  const ours: Run[] = [];
  const theirs: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    const o = join(OUT, `ks-${scheme}.mp4`);
    rmSync(o, { force: true });
    ours.push(timed(process.execPath, [BIN, 'encrypt', input, '-o', o, '--scheme', scheme, '--key', `${KID}:${KEY}`, '--fragment-duration', '2', '--quiet']));
    const sv = join(OUT, `shaka-${scheme}-v.mp4`);
    const sa = join(OUT, `shaka-${scheme}-a.mp4`);
    theirs.push(timed(SHAKA, [
      `in=${input},stream=video,output=${sv}`,
      `in=${input},stream=audio,output=${sa}`,
      '--enable_raw_key_encryption', '--protection_scheme', scheme, '--clear_lead', '0', '--segment_duration', '2', '--fragment_duration', '2',
      '--keys', `label=:key_id=${KID}:key=${KEY}`, '--quiet',
    ]));
  }
  const a = best(ours);
  const b = best(theirs);
  const ratio = a.seconds > 0 ? b.seconds / a.seconds : NaN;
  rows.push(
    `${scheme}: keysmith ${(mb / a.seconds).toFixed(1)} MB/s (${a.seconds.toFixed(2)} s wall, ${a.cpu.toFixed(2)} s cpu, peak RSS ${a.rssMb.toFixed(0)} MB) | ` +
      `shaka-packager ${(mb / b.seconds).toFixed(1)} MB/s (${b.seconds.toFixed(2)} s wall, ${b.cpu.toFixed(2)} s cpu, peak RSS ${b.rssMb.toFixed(0)} MB) | ` +
      `ratio ${ratio.toFixed(2)}x wall, ${(b.cpu / a.cpu).toFixed(2)}x cpu`,
  );
  console.log(rows[rows.length - 1]);
}
console.log('\ntarget: ratio >= 2x, keysmith RSS < 300 MB');
