/**
 * Streaming access to an ISO-BMFF file: box headers are read with
 * positional reads, small boxes (moov, moof …) are loaded and parsed,
 * mdat payloads are only ever read by byte range. A multi-gigabyte file
 * never sits in memory.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { KeysmithError, fromSystemError } from '../../errors.js';
import { parseBoxAt, readBoxHeader, type BoxHeader } from './codec.js';
import { STREAMED_BOXES } from './boxes.js';
import { bmffError } from './errors.js';
import type { Box, ParseContext } from './fields.js';

/** The largest box that is loaded whole (moov of a long progressive file can be tens of MB). */
export const MAX_LOADED_BOX = 512 * 1024 * 1024;
/** Top-level boxes beyond this count are refused (a fragmented hour at 1 s fragments is ~7 200). */
export const MAX_TOP_LEVEL_BOXES = 1_000_000;

/** Random-access bytes: a file (positional reads) or a buffer (tests, fuzz, segments in memory). */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset`, in a buffer the caller owns (may modify); ERR_BMFF_TRUNCATED past the end. */
  read(offset: number, length: number): Promise<Buffer>;
  /** The same into `target` (reusable buffers: no allocation per read). */
  readInto(target: Buffer, offset: number, length: number): Promise<void>;
  close(): Promise<void>;
}

export function bufferSource(buf: Buffer): ByteSource {
  return {
    size: buf.length,
    async read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > buf.length) {
        throw bmffError('ERR_BMFF_TRUNCATED', `read of ${length} bytes runs past the end of the data (${buf.length} bytes)`, '', offset);
      }
      return Buffer.from(buf.subarray(offset, offset + length)); // a copy: callers encrypt in place
    },
    async readInto(target, offset, length) {
      if (offset < 0 || length < 0 || offset + length > buf.length) {
        throw bmffError('ERR_BMFF_TRUNCATED', `read of ${length} bytes runs past the end of the data (${buf.length} bytes)`, '', offset);
      }
      buf.copy(target, 0, offset, offset + length);
    },
    async close() {},
  };
}

export async function openFileSource(path: string): Promise<ByteSource> {
  let handle: FileHandle;
  let size: number;
  try {
    handle = await fs.open(path, 'r');
    const st = await handle.stat();
    if (st.isDirectory()) {
      await handle.close();
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR', path });
    }
    size = st.size;
  } catch (err) {
    throw fromSystemError(err, path) ?? err;
  }
  const readInto = async (target: Buffer, offset: number, length: number): Promise<void> => {
    if (offset < 0 || length < 0 || offset + length > size) {
      throw bmffError('ERR_BMFF_TRUNCATED', `read of ${length} bytes runs past the end of the file (${size} bytes)`, '', offset);
    }
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(target, done, length - done, offset + done);
      if (bytesRead === 0) throw bmffError('ERR_BMFF_TRUNCATED', 'file shrank while reading', '', offset + done);
      done += bytesRead;
    }
  };
  return {
    size,
    async read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > size) {
        throw bmffError('ERR_BMFF_TRUNCATED', `read of ${length} bytes runs past the end of the file (${size} bytes)`, '', offset);
      }
      const out = Buffer.allocUnsafe(length);
      await readInto(out, offset, length);
      return out;
    },
    readInto,
    close: () => handle.close(),
  };
}

/** Headers of the top-level boxes, in file order, by positional reads only. */
export async function readTopLevelHeaders(src: ByteSource): Promise<BoxHeader[]> {
  const out: BoxHeader[] = [];
  let pos = 0;
  while (pos < src.size) {
    if (out.length >= MAX_TOP_LEVEL_BOXES) throw bmffError('ERR_BMFF_COUNT', `more than ${MAX_TOP_LEVEL_BOXES} top-level boxes`, '', pos);
    const want = Math.min(32, src.size - pos);
    const head = await src.read(pos, want);
    const hint = pos === 0 ? 'is this an MP4 (ISO-BMFF) file?' : 'the file is damaged or was cut short';
    let h: BoxHeader;
    try {
      h = readBoxHeader(head, 0, want, pos, '', src.size);
    } catch (err) {
      if (err instanceof KeysmithError && err.hint === undefined) throw new KeysmithError(err.code, err.message, { hint, ...(err.details ? { details: err.details } : {}) });
      throw err;
    }
    // The header reader sees only `want` bytes: check the real extent against the file.
    if (pos + h.size > src.size) {
      throw bmffError('ERR_BMFF_TRUNCATED', `box size ${h.size} runs past the end of the file (${src.size - pos} bytes left)`, h.type, pos, hint);
    }
    out.push(h);
    pos += h.size;
  }
  return out;
}

/** Load and parse one top-level box (never an mdat: those are read by range). */
export async function loadBox(src: ByteSource, h: BoxHeader, ctx: ParseContext = {}): Promise<Box> {
  if (STREAMED_BOXES.has(h.type)) throw new TypeError(`loadBox: ${h.type} is streamed, read it by range`);
  if (h.size > MAX_LOADED_BOX) throw bmffError('ERR_BMFF_TOO_LARGE', `box of ${h.size} bytes is larger than ${MAX_LOADED_BOX}`, h.type, h.offset);
  const bytes = await src.read(h.offset, h.size);
  return parseBoxAt(bytes, 0, bytes.length, h.offset, '', ctx);
}
