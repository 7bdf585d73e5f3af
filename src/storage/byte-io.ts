/**
 * Where the chunk stream reads from and writes to: files through
 * positional FileHandle reads and writes (few copies, read-ahead friendly),
 * or Node streams (stdin/stdout, with back-pressure).
 */
import type { FileHandle } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';

export interface ByteSource {
  /**
   * Fill `buf` as far as the input allows and return the byte count. Fewer
   * bytes than `buf.length` means the input has ended.
   */
  readFull(buf: Buffer): Promise<number>;
}

export interface ByteSink {
  /**
   * Write the parts after everything written before; resolves when they
   * are handed to the OS. Callers may have several writes in flight (up to
   * `depth`); the bytes land in call order.
   */
  write(parts: readonly Buffer[]): Promise<void>;
  /** How many writes may be in flight at once (1 when unspecified). */
  readonly depth?: number;
}

/** Sequential reads from `position` on. */
export function fileSource(handle: FileHandle, position = 0): ByteSource {
  let pos = position;
  return {
    async readFull(buf) {
      let off = 0;
      while (off < buf.length) {
        const { bytesRead } = await handle.read(buf, off, buf.length - off, pos);
        if (bytesRead === 0) break;
        off += bytesRead;
        pos += bytesRead;
      }
      return off;
    },
  };
}

/** Positional read of exactly `length` bytes at `position` (fewer only at end of file). */
export async function readAt(handle: FileHandle, buf: Buffer, position: number): Promise<number> {
  let off = 0;
  while (off < buf.length) {
    const { bytesRead } = await handle.read(buf, off, buf.length - off, position + off);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  return off;
}

/**
 * Background flushing: after every `FLUSH_EVERY` bytes a datasync is
 * started (never awaited by the writer, at most one in flight), so the
 * disk works while we encrypt and the final fsync of the atomic commit has
 * little left to do.
 */
export const FLUSH_EVERY = 32 * 1024 * 1024;

/** Sequential writes with writev (no concatenation of chunk and tag). */
export function fileSink(handle: FileHandle, position = 0, flushEvery = FLUSH_EVERY): ByteSink & { readonly written: number } {
  let pos = position;
  let unflushed = 0;
  let flushing: Promise<void> | undefined;
  let flushError: unknown;
  return {
    depth: 2,
    get written() {
      return pos - position;
    },
    async write(parts) {
      if (flushError) throw flushError;
      // The position is reserved before the first await, so several
      // writes may be in flight at once (positional writes do not race).
      const total = parts.reduce((n, p) => n + p.length, 0);
      const at = pos;
      pos += total;
      await writeParts(parts, at);
      unflushed += total;
      if (flushEvery > 0 && unflushed >= flushEvery && !flushing) {
        unflushed = 0;
        flushing = handle
          .datasync()
          .catch((err: unknown) => {
            flushError = err;
          })
          .finally(() => {
            flushing = undefined;
          });
      }
    },
  };

  async function writeParts(parts: readonly Buffer[], position: number): Promise<void> {
    let at = position;
    let pending = parts.filter((p) => p.length > 0);
    while (pending.length > 0) {
      const total = pending.reduce((n, p) => n + p.length, 0);
      const { bytesWritten } = await handle.writev(pending, at);
      at += bytesWritten;
      if (bytesWritten === total) return;
      // A short write: drop what went out and retry the rest.
      let skip = bytesWritten;
      const rest: Buffer[] = [];
      for (const p of pending) {
        if (skip >= p.length) {
          skip -= p.length;
          continue;
        }
        rest.push(skip > 0 ? p.subarray(skip) : p);
        skip = 0;
      }
      pending = rest;
    }
  }
}

/** Reads a Node stream; keeps the unread remainder of the last chunk. */
export function streamSource(stream: Readable): ByteSource {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let rest: Buffer = Buffer.alloc(0);
  let ended = false;
  return {
    async readFull(buf) {
      let off = 0;
      while (off < buf.length) {
        if (rest.length === 0) {
          if (ended) break;
          const r = await it.next();
          if (r.done) {
            ended = true;
            break;
          }
          rest = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
          continue;
        }
        const n = Math.min(rest.length, buf.length - off);
        rest.copy(buf, off, 0, n);
        off += n;
        rest = rest.subarray(n);
      }
      return off;
    },
  };
}

/** Writes to a Node stream, waiting for 'drain' when its buffer is full. */
export function streamSink(stream: Writable): ByteSink {
  let failure: Error | undefined;
  stream.on('error', (err) => {
    failure = err;
  });
  return {
    async write(parts) {
      if (failure) throw failure;
      let ok = true;
      for (const p of parts) if (p.length > 0) ok = stream.write(p) && ok;
      if (!ok) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = () => {
            stream.off('error', onError);
            resolve();
          };
          const onError = (err: Error) => {
            stream.off('drain', onDrain);
            reject(err);
          };
          stream.once('drain', onDrain);
          stream.once('error', onError);
        });
      }
      if (failure) throw failure;
    },
  };
}
