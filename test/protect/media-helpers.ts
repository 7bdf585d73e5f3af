/** Shared helpers for the media interop tests: ffmpeg decode digests and packet lists. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KID = '0123456789abcdef0123456789abcdef';
export const KEY = '00112233445566778899aabbccddeeff';
export const PAIR = `${KID}:${KEY}`;

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'keysmith-media-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function ffmpeg(args: string[], stdinFile?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-v', 'error', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...(stdinFile ? { input: readFileSync(stdinFile) } : {}),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * MD5 of the decoded first video stream. Encrypted files are read
 * non-seekably (pipe:0), the only way ffmpeg 5.1 decrypts reliably (SPECS §12).
 */
export function videoMd5(file: string, key?: string): string {
  const input = key ? ['-decryption_key', key, '-i', 'pipe:0'] : ['-i', 'pipe:0'];
  const r = ffmpeg([...input, '-map', '0:v:0', '-f', 'md5', '-'], file);
  return r.status === 0 ? r.stdout.trim() : `ffmpeg failed: ${r.stderr.trim().split('\n').pop()}`;
}

/**
 * Packets of one stream (size and MD5 of each, in order) by `-c copy -f
 * framemd5`. Timestamps are left out: ffmpeg applies edit lists of
 * fragmented files differently from progressive ones (SPECS §12), so the
 * same packets show shifted pts there.
 */
export function packets(file: string, stream: 'v' | 'a', key?: string): string[] {
  const input = key ? ['-decryption_key', key, '-i', 'pipe:0'] : ['-i', 'pipe:0'];
  const r = ffmpeg([...input, '-map', `0:${stream}:0`, '-c', 'copy', '-f', 'framemd5', '-'], file);
  if (r.status !== 0) return [`ffmpeg failed: ${r.stderr.trim().split('\n').pop()}`];
  return r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').map((x) => x.trim()))
    .map((f) => `${f[4]} ${f[5]}`);
}
