/**
 * Atomic output: write to a temporary file in the target directory, fsync,
 * then rename over the final name. A failure, a kill or Ctrl-C leaves
 * nothing at the output path (the CLI removes pending temp files on
 * SIGINT/SIGTERM; see `pendingTempFiles`).
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { KeysmithError, EXIT_ENVIRONMENT, EXIT_USAGE, fromSystemError } from '../errors.js';

const pending = new Set<string>();

/** Temp files not yet committed or aborted (for signal-time cleanup). */
export function pendingTempFiles(): ReadonlySet<string> {
  return pending;
}

/** Synchronous best-effort removal of every pending temp file (signal handlers). */
export async function removePendingTempFiles(): Promise<void> {
  await Promise.all([...pending].map((p) => fs.rm(p, { force: true, recursive: true }).catch(() => undefined)));
  pending.clear();
}

/**
 * Register a temporary directory (e.g. a presentation being packaged) for
 * removal on SIGINT/SIGTERM like pending temp files. Call the returned
 * function once it is renamed into place or removed.
 */
export function holdTempDirectory(path: string): () => void {
  pending.add(path);
  return () => void pending.delete(path);
}

export interface AtomicWriteOptions {
  /** File mode of the final file, e.g. 0o600 for keys. Default 0o644 (less umask). */
  mode?: number;
  /** Replace an existing file. Without it an existing output is an error. */
  overwrite?: boolean;
  /** Input paths that must never be the output. */
  inputs?: readonly string[];
}

export interface AtomicFile {
  readonly path: string;
  readonly tempPath: string;
  readonly handle: FileHandle;
  /** Bytes written so far through `write`. */
  readonly written: number;
  write(data: Uint8Array): Promise<void>;
  /** Write buffers in order with one gathered write (writev) where possible. */
  writev(parts: readonly Uint8Array[]): Promise<void>;
  /** fsync, close, rename into place, fsync the directory. */
  commit(): Promise<void>;
  /** Close and remove the temp file. Safe to call more than once. */
  abort(): Promise<void>;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true;
  try {
    const [sa, sb] = await Promise.all([fs.stat(a), fs.stat(b)]);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** Refuse an output that is one of the inputs (by path or by inode). */
export async function assertNotInput(output: string, inputs: readonly string[]): Promise<void> {
  for (const input of inputs) {
    if (input === '-') continue;
    if (await sameFile(output, input)) {
      throw new KeysmithError('ERR_USAGE', `output ${output} is the input file`, {
        exit: EXIT_USAGE,
        hint: 'write to another path; keysmith never overwrites its input',
      });
    }
  }
}

export async function assertWritableTarget(path: string, overwrite: boolean): Promise<void> {
  if (overwrite) return;
  try {
    await fs.lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fromSystemError(err, path) ?? err;
  }
  throw new KeysmithError('ERR_EXISTS', `${path} already exists`, { exit: EXIT_ENVIRONMENT, hint: 'use --force to overwrite it' });
}

export async function openAtomic(path: string, options: AtomicWriteOptions = {}): Promise<AtomicFile> {
  const mode = options.mode ?? 0o644;
  await assertNotInput(path, options.inputs ?? []);
  await assertWritableTarget(path, options.overwrite ?? false);
  const dir = dirname(resolve(path));
  const tempPath = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle;
  try {
    handle = await fs.open(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (err) {
    throw fromSystemError(err, dirname(path) === '.' ? path : path) ?? err;
  }
  pending.add(tempPath);
  let written = 0;
  let done = false;
  const file: AtomicFile = {
    path,
    tempPath,
    handle,
    get written() {
      return written;
    },
    async write(data) {
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await handle.write(data, off, data.length - off);
        off += bytesWritten;
      }
      written += data.length;
    },
    async writev(parts) {
      const total = parts.reduce((n, p) => n + p.length, 0);
      const { bytesWritten } = await handle.writev(parts as Uint8Array[]);
      if (bytesWritten < total) {
        // Short gathered write (libuv normally completes it): finish piece by piece.
        let skip = bytesWritten;
        for (const p of parts) {
          if (skip >= p.length) {
            skip -= p.length;
            continue;
          }
          let off = skip;
          skip = 0;
          while (off < p.length) off += (await handle.write(p, off, p.length - off)).bytesWritten;
        }
      }
      written += total;
    },
    async commit() {
      if (done) return;
      try {
        await handle.chmod(mode);
        await handle.sync();
        await handle.close();
        if (!options.overwrite) await assertWritableTarget(path, false);
        await fs.rename(tempPath, path);
        done = true;
        pending.delete(tempPath);
      } catch (err) {
        await file.abort();
        throw fromSystemError(err, path) ?? err;
      }
      try {
        const d = await fs.open(dir, 'r');
        await d.sync().catch(() => undefined);
        await d.close();
      } catch {
        // Directory fsync is best effort (not supported everywhere).
      }
    },
    async abort() {
      if (done) return;
      done = true;
      await handle.close().catch(() => undefined);
      await fs.rm(tempPath, { force: true }).catch(() => undefined);
      pending.delete(tempPath);
    },
  };
  return file;
}

/** Write a whole buffer atomically. */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): Promise<void> {
  const f = await openAtomic(path, options);
  try {
    await f.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    await f.commit();
  } catch (err) {
    await f.abort();
    throw fromSystemError(err, path) ?? err;
  }
}

/** Read a whole (small) file, mapping system errors to environment errors. */
export async function readFileChecked(path: string, maxBytes = 16 * 1024 * 1024): Promise<Buffer> {
  try {
    const st = await fs.stat(path);
    if (st.isDirectory()) throw new KeysmithError('ERR_IS_DIRECTORY', `${path}: is a directory`, { exit: EXIT_ENVIRONMENT });
    if (st.size > maxBytes) {
      throw new KeysmithError('ERR_TOO_LARGE', `${path}: larger than ${maxBytes} bytes`, { exit: EXIT_ENVIRONMENT });
    }
    return await fs.readFile(path);
  } catch (err) {
    throw fromSystemError(err, path) ?? err;
  }
}
