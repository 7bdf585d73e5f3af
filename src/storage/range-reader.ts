/**
 * Random access (docs/storage-format.md §5): decrypt bytes A..B of the
 * plaintext by reading only the chunks that hold them, plus the final
 * chunk, which authenticates the plaintext size (without it a file cut at
 * a chunk boundary would serve a short range as if it were whole).
 */
import type { FileHandle } from 'node:fs/promises';
import type { ByteSink } from './byte-io.js';
import { readAt } from './byte-io.js';
import { IO_BLOCK_TARGET, type ChunkCipher } from './chunk-stream.js';
import type { Layout } from './layout.js';
import { storageUsage, tamperedError, truncatedError } from './errors.js';

/** An inclusive byte range of the plaintext. */
export interface ByteRange {
  start: number;
  end: number;
}

const RANGE_HINT = "ranges are START-END (inclusive, like HTTP), START- or -SUFFIX, e.g. --range 0-1048575";

/**
 * Parse `A-B`, `A-` or `-N` (RFC 9110 §14.1.2 byte-range syntax, one range)
 * against a plaintext of `size` bytes. An end past the last byte is
 * clamped, as HTTP does; a start at or past the end is a usage error.
 */
export function parseRange(text: string, size: number): ByteRange {
  const m = /^(\d{0,16})-(\d{0,16})$/.exec(text.trim());
  if (!m || (m[1] === '' && m[2] === '')) throw storageUsage(`invalid range '${text}'`, RANGE_HINT);
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) throw storageUsage(`invalid range '${text}': empty suffix`, RANGE_HINT);
    if (size === 0) throw storageUsage(`range '${text}' is past the end of the plaintext (0 bytes)`, 'the plaintext is empty');
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Number(m[2]);
  if (m[2] !== '' && end < start) throw storageUsage(`invalid range '${text}': end before start`, RANGE_HINT);
  if (start >= size) {
    throw storageUsage(`range '${text}' starts past the end of the plaintext (${size} bytes)`, `the last byte is at offset ${Math.max(0, size - 1)}`);
  }
  return { start, end: Math.min(end, size - 1) };
}

async function openChunkAt(handle: FileHandle, cipher: ChunkCipher, layout: Layout, index: number, buf: Buffer): Promise<Buffer> {
  const last = index === layout.chunkCount - 1;
  const len = last ? layout.finalSealedLength : layout.sealedChunkSize;
  const got = await readAt(handle, buf.subarray(0, len), layout.payloadOffset + index * layout.sealedChunkSize);
  if (got !== len) throw truncatedError();
  const pt = cipher.open(index, last, buf.subarray(0, len));
  if (pt) return pt;
  if (last && len === layout.sealedChunkSize && cipher.open(index, false, buf.subarray(0, len))) throw truncatedError();
  throw tamperedError();
}

/** Authenticate the final chunk, then write the plaintext of `range` to `sink`. Returns bytes written. */
export async function decryptRange(handle: FileHandle, cipher: ChunkCipher, layout: Layout, range: ByteRange, sink: ByteSink): Promise<number> {
  const C = layout.chunkSize;
  const one = Buffer.allocUnsafe(layout.sealedChunkSize);
  const finalPt = await openChunkAt(handle, cipher, layout, layout.chunkCount - 1, one);
  const first = Math.floor(range.start / C);
  const lastIdx = Math.floor(range.end / C);
  const perBlock = Math.max(1, Math.floor(IO_BLOCK_TARGET / layout.sealedChunkSize));
  let written = 0;
  for (let i = first; i <= lastIdx; i += perBlock) {
    const parts: Buffer[] = [];
    for (let j = i; j <= Math.min(lastIdx, i + perBlock - 1); j++) {
      const pt = j === layout.chunkCount - 1 ? finalPt : await openChunkAt(handle, cipher, layout, j, one);
      const from = j === first ? range.start - j * C : 0;
      const to = j === lastIdx ? range.end - j * C + 1 : pt.length;
      parts.push(pt.subarray(from, to));
    }
    await sink.write(parts);
    written += parts.reduce((n, p) => n + p.length, 0);
  }
  return written;
}
