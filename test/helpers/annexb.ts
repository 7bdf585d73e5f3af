/**
 * Test-only helpers for raw H.264/HEVC elementary streams made by ffmpeg:
 * Annex B splitting, conversion to length-prefixed samples, decoder
 * configuration records, and ffmpeg's `trace_headers` output as an
 * independent oracle for slice header sizes.
 */
import { spawnSync } from 'node:child_process';

/** NAL units of an Annex B byte stream (start codes 00 00 01 / 00 00 00 01 removed). */
export function splitAnnexB(stream: Uint8Array): Buffer[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  const out: Buffer[] = [];
  for (let k = 0; k < starts.length; k++) {
    let end = k + 1 < starts.length ? starts[k + 1]! - 3 : stream.length;
    while (end > starts[k]! && stream[end - 1] === 0) end--; // trailing_zero_8bits / 4-byte start code
    out.push(Buffer.from(stream.subarray(starts[k]!, end)));
  }
  return out;
}

export function lengthPrefixed(nals: Uint8Array[], size: 1 | 2 | 4 = 4): Buffer {
  const parts: Buffer[] = [];
  for (const n of nals) {
    const len = Buffer.alloc(size);
    len.writeUIntBE(n.length, 0, size);
    parts.push(len, Buffer.from(n));
  }
  return Buffer.concat(parts);
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);

/** A minimal avcC (ISO/IEC 14496-15 §5.3.3.1) from SPS and PPS NAL units. */
export function makeAvcC(sps: Uint8Array[], pps: Uint8Array[], lengthSize: 1 | 2 | 4 = 4): Buffer {
  const s = sps[0]!;
  return Buffer.concat([
    Buffer.from([1, s[1]!, s[2]!, s[3]!, 0xfc | (lengthSize - 1), 0xe0 | sps.length]),
    ...sps.flatMap((n) => [u16(n.length), Buffer.from(n)]),
    Buffer.from([pps.length]),
    ...pps.flatMap((n) => [u16(n.length), Buffer.from(n)]),
  ]);
}

/** Remove emulation prevention bytes (for reading fixed-position SPS fields in tests). */
export function unescape(nal: Uint8Array): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (const b of nal) {
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    out.push(b);
  }
  return Buffer.from(out);
}

/** A minimal hvcC (ISO/IEC 14496-15 §8.3.3.1) copying profile_tier_level from the SPS. */
export function makeHvcC(vps: Uint8Array[], sps: Uint8Array[], pps: Uint8Array[], lengthSize: 1 | 2 | 4 = 4): Buffer {
  const raw = unescape(sps[0]!);
  // SPS: 2-byte NAL header, 1 byte (vps id, max_sub_layers, nesting), then 12 bytes of general PTL
  const ptl = raw.subarray(3, 15);
  const header = Buffer.alloc(23);
  header[0] = 1;
  ptl.copy(header, 1, 0, 12); // profile byte, 4 compat, 6 constraint, level
  header.writeUInt16BE(0xf000, 13);
  header[15] = 0xfc;
  header[16] = 0xfd;
  header[17] = 0xf8;
  header[18] = 0xf8;
  header.writeUInt16BE(0, 19);
  header[21] = 0x0c | (lengthSize - 1);
  const arrays: Buffer[] = [];
  let count = 0;
  for (const [type, list] of [[32, vps], [33, sps], [34, pps]] as const) {
    if (list.length === 0) continue;
    count++;
    arrays.push(Buffer.from([0x80 | type]), u16(list.length), ...list.flatMap((n) => [u16(n.length), Buffer.from(n)]));
  }
  header[22] = count;
  return Buffer.concat([header, ...arrays]);
}

export function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`ffmpeg failed: ${r.error?.message ?? r.stderr}`);
}

/**
 * For each slice (segment) header ffmpeg's trace_headers bitstream filter
 * prints, in stream order: the bit position just after its last syntax
 * element, counted in RBSP bits from the start of the NAL unit (including
 * the NAL unit header, cabac_alignment_one_bit and byte_alignment()).
 */
export function traceSliceHeaderEnds(path: string, format: 'h264' | 'hevc'): number[] {
  const r = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-f', format, '-i', path, '-c', 'copy', '-bsf:v', 'trace_headers', '-f', 'null', '-'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error || r.status !== 0) throw new Error(`ffmpeg trace_headers failed: ${r.error?.message ?? r.stderr.slice(-500)}`);
  const title = format === 'h264' ? 'Slice Header' : 'Slice Segment Header';
  const ends: number[] = [];
  let inPackets = false;
  let current: number | undefined;
  const flush = () => {
    if (current !== undefined) ends.push(current);
    current = undefined;
  };
  for (const line of r.stderr.split(/\r?\n|\r/)) {
    const m = /\[trace_headers @ [^\]]+\] (.*)$/.exec(line);
    if (!m) continue;
    const text = m[1]!;
    if (text.startsWith('Packet:')) {
      flush();
      inPackets = true;
      continue;
    }
    const field = /^(\d+)\s+(\S+)\s+([01]+) = /.exec(text);
    if (field) {
      if (current !== undefined) current = Number(field[1]) + field[3]!.length;
      continue;
    }
    flush();
    if (inPackets && text.trim() === title) current = 0;
  }
  flush();
  return ends;
}

/** Escaped byte count of the first `rbspBytes` RBSP bytes of a NAL unit (an independent EPB walk). */
export function escapedLength(nal: Uint8Array, rbspBytes: number): number {
  let zeros = 0;
  let rbsp = 0;
  let i = 0;
  for (; i < nal.length && rbsp < rbspBytes; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    rbsp++;
  }
  return i;
}
