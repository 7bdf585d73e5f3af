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
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'bench', 'out');
const SHAKA = join(ROOT, 'node_modules', 'shaka-packager', 'bin', 'packager-linux-x64');
const BIN = join(ROOT, 'bin', 'keysmith');
const KID = '0123456789abcdef0123456789abcdef';
const KEY = '00112233445566778899aabbccddeeff';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const SECONDS = arg('seconds', 120);
const RUNS = arg('runs', 2);

function makeInput(): string {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `bench-${SECONDS}s-1080p.mp4`);
  if (existsSync(file)) return file;
  console.log(`making ${file} with ffmpeg (once; cached) …`);
  const tmp = `${file}.${process.pid}.tmp.mp4`;
  const r = spawnSync('ffmpeg', [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=25:duration=${SECONDS}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${SECONDS}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '8M', '-maxrate', '8M', '-bufsize', '16M', '-g', '50', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', tmp,
  ], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('ffmpeg failed to make the bench input');
  spawnSync('mv', [tmp, file]);
  return file;
}

interface Run {
  seconds: number;
  /** user + system CPU seconds (steadier than wall time on a shared machine). */
  cpu: number;
  rssMb: number;
}

/** Run under GNU time -v: wall clock, CPU and peak RSS. */
function timed(cmd: string, args: string[]): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr.split('\n').slice(-15).join('\n')}`);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const u = /User time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const sy = /System time \(seconds\): ([\d.]+)/.exec(r.stderr);
  return { seconds, cpu: Number(u?.[1] ?? NaN) + Number(sy?.[1] ?? NaN), rssMb: m ? Number(m[1]) / 1024 : NaN };
}

function best(runs: Run[]): Run {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

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

const input = makeInput();
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
