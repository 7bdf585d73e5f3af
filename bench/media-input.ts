/**
 * What the media benches (encrypt, package) share: the command line, the
 * cached 1080p input clip made by ffmpeg, and timing a command under
 * GNU time -v (wall clock, CPU seconds, peak RSS).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OUT = join(ROOT, 'bench', 'out');
export const SHAKA = join(ROOT, 'node_modules', 'shaka-packager', 'bin', 'packager-linux-x64');
export const BIN = join(ROOT, 'bin', 'keysmith');
export const KID = '0123456789abcdef0123456789abcdef';
export const KEY = '00112233445566778899aabbccddeeff';

export function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

/** A `seconds`-long 1080p 8 Mbit/s H.264 + AAC clip, made once with ffmpeg and cached under bench/out/. */
export function makeInput(seconds: number): string {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `bench-${seconds}s-1080p.mp4`);
  if (existsSync(file)) return file;
  console.log(`making ${file} with ffmpeg (once; cached) …`);
  const tmp = `${file}.${process.pid}.tmp.mp4`;
  const r = spawnSync('ffmpeg', [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '8M', '-maxrate', '8M', '-bufsize', '16M', '-g', '50', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', tmp,
  ], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('ffmpeg failed to make the bench input');
  renameSync(tmp, file);
  return file;
}

export interface Run {
  seconds: number;
  /** user + system CPU seconds (steadier than wall time on a shared machine). */
  cpu: number;
  rssMb: number;
}

/** Run under GNU time -v: wall clock, CPU and peak RSS. */
export function timed(cmd: string, args: string[]): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr.split('\n').slice(-15).join('\n')}`);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const u = /User time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const sy = /System time \(seconds\): ([\d.]+)/.exec(r.stderr);
  return { seconds, cpu: Number(u?.[1] ?? NaN) + Number(sy?.[1] ?? NaN), rssMb: m ? Number(m[1]) / 1024 : NaN };
}

export function best(runs: Run[]): Run {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}
