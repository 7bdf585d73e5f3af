/**
 * Slice header sizes checked against an independent parser: ffmpeg's
 * `trace_headers` bitstream filter (libavcodec CBS) prints every slice
 * header syntax element with its bit position. For every slice of a few
 * dozen frames of several encoder configurations, the offset where our
 * parser says slice data begins must equal the oracle's header end, rounded
 * up to a byte and mapped back through emulation prevention bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from '../../helpers/tools.js';
import { escapedLength, ffmpeg, lengthPrefixed, makeAvcC, makeHvcC, splitAnnexB, traceSliceHeaderEnds } from '../../helpers/annexb.js';
import { listNalUnits, parseAvcDecoderConfig, parseHevcDecoderConfig } from '../../../src/media/codecs/index.js';

const SRC = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=1.2'];

const H264_VARIANTS: Record<string, string[]> = {
  'CABAC High, B-frames, 4 slices, weighted prediction': ['-c:v', 'libx264', '-profile:v', 'high', '-bf', '3', '-x264-params', 'slices=4:ref=4:b-pyramid=normal:weightp=2:keyint=12'],
  'CAVLC Baseline, 4 slices': ['-c:v', 'libx264', '-profile:v', 'baseline', '-x264-params', 'slices=4:ref=3:keyint=10'],
  'High with JVT scaling matrices, interlaced (MBAFF)': ['-c:v', 'libx264', '-profile:v', 'high', '-bf', '2', '-x264-params', 'cqm=jvt:interlaced=1:slices=2'],
  'CAVLC High 4:4:4, POC type 2': ['-c:v', 'libx264', '-profile:v', 'high444', '-pix_fmt', 'yuv444p', '-bf', '0', '-x264-params', 'cabac=0:slices=3'],
};

const HEVC_VARIANTS: Record<string, string[]> = {
  'Main, B-frames, 3 slices, WPP entry points': ['-c:v', 'libx265', '-x265-params', 'log-level=error:bframes=3:slices=3:wpp=1:keyint=12:weightp=1:weightb=1'],
  'Main, open GOP, no WPP': ['-c:v', 'libx265', '-x265-params', 'log-level=error:bframes=4:b-pyramid=1:open-gop=1:keyint=16:wpp=0:ref=4'],
  'Main 10, scaling lists, deep B-pyramid, deblocking offsets, no SAO': [
    '-c:v', 'libx265', '-pix_fmt', 'yuv420p10le',
    '-x265-params', 'log-level=error:bframes=6:b-pyramid=1:ref=5:keyint=40:scaling-list=default:deblock=1,1:slices=2:no-sao=1',
  ],
};

function check(t: import('node:test').TestContext, format: 'h264' | 'hevc', args: string[]): void {
  if (!requireTool(t, 'ffmpeg')) return;
  const dir = mkdtempSync(join(tmpdir(), 'keysmith-slice-'));
  try {
    const path = join(dir, `s.${format}`);
    ffmpeg([...SRC, ...args, '-f', format, path]);
    const nals = splitAnnexB(readFileSync(path));
    const hevc = format === 'hevc';
    const type = (n: Buffer) => (hevc ? (n[0]! >> 1) & 0x3f : n[0]! & 0x1f);
    const of = (t: number) => nals.filter((n) => type(n) === t);
    const codec = hevc
      ? parseHevcDecoderConfig(makeHvcC(of(32).slice(0, 1), of(33).slice(0, 1), of(34).slice(0, 1)))
      : parseAvcDecoderConfig(makeAvcC(of(7).slice(0, 1), of(8).slice(0, 1)));
    const units = listNalUnits(codec, lengthPrefixed(nals));
    const slices = units.filter((u) => u.isSlice);
    const oracle = traceSliceHeaderEnds(path, format);
    assert.ok(slices.length >= 24, `expected a few dozen slices, got ${slices.length}`);
    assert.equal(slices.length, oracle.length, 'slice count differs from ffmpeg trace_headers');
    const sliceNals = nals.filter((_, i) => units[i]!.isSlice);
    for (let i = 0; i < slices.length; i++) {
      const endBits = oracle[i]!;
      const expected = escapedLength(sliceNals[i]!, Math.ceil(endBits / 8));
      const got = slices[i]!.nalHeaderSize + slices[i]!.sliceHeaderSize;
      assert.equal(got, expected, `slice ${i} (NAL type ${slices[i]!.type}): slice data offset ${got}, ffmpeg says ${expected} (${endBits} bits)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [name, args] of Object.entries(H264_VARIANTS)) {
  test(`H.264 slice header sizes match ffmpeg trace_headers: ${name}`, (t) => check(t, 'h264', args));
}
for (const [name, args] of Object.entries(HEVC_VARIANTS)) {
  test(`HEVC slice header sizes match ffmpeg trace_headers: ${name}`, (t) => check(t, 'hevc', args));
}
