/**
 * Whole-file operations over the header, key wrap and chunk stream:
 * encrypt, decrypt, decrypt a range, inspect and rewrap, on byte sources
 * and sinks or on paths (atomic outputs through src/fsx/atomic.ts).
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { SecretKey, systemRandom, type RandomSource } from '../crypto/index.js';
import { fromSystemError } from '../errors.js';
import { openAtomic, type AtomicFile } from '../fsx/atomic.js';
import { fileSink, fileSource, readAt, type ByteSink, type ByteSource } from './byte-io.js';
import { ChunkCipher, decryptPayload, encryptPayload } from './chunk-stream.js';
import {
  CORE_LENGTH,
  DEFAULT_CHUNK_SIZE,
  MAX_HEADER_LENGTH,
  NONCE_PREFIX_LENGTH,
  SUITE_AES256GCM_STREAM,
  VERSION_1,
  WRAP_TYPES,
  checkChunkSize,
  parseHeader,
  peekHeaderLength,
  type Core,
  type Header,
} from './header.js';
import { KEY_LENGTH, keyIdHex } from './key-file.js';
import { deriveFileKeys, openHeader, sealHeader, wrapKeyFor, type Credential, type WrapKey } from './key-wrap.js';
import { layoutOf, type Layout } from './layout.js';
import { decryptRange, type ByteRange } from './range-reader.js';
import { storageError, truncatedError } from './errors.js';

export interface EncryptOptions {
  /** A prepared wrapping key (batch mode derives a passphrase key once). */
  wrap: WrapKey;
  chunkSize?: number;
  random?: RandomSource;
  onProgress?: (bytes: number) => void;
  /** @internal First chunk counter, to test counters past 2^32 without writing TiBs. */
  counterOffset?: number;
}

export interface EncryptResult {
  plaintextBytes: number;
  keyId: string;
  chunkSize: number;
  wrapping: string;
}

/** A fresh data key and core, and the header that wraps the data key. */
export function newFileHeader(wrap: WrapKey, chunkSize: number, random: RandomSource): { core: Core; header: Buffer; dataKey: SecretKey } {
  checkChunkSize(chunkSize);
  const dataKey = new SecretKey(random.bytes(KEY_LENGTH), [KEY_LENGTH], 'data key');
  const core: Core = { version: VERSION_1, suite: SUITE_AES256GCM_STREAM, chunkSize, noncePrefix: random.bytes(NONCE_PREFIX_LENGTH) };
  return { core, header: sealHeader(core, dataKey, wrap, random), dataKey };
}

export async function encryptStream(source: ByteSource, sink: ByteSink, options: EncryptOptions): Promise<EncryptResult> {
  const random = options.random ?? systemRandom;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const { header, dataKey } = newFileHeader(options.wrap, chunkSize, random);
  const cipher = new ChunkCipher(
    { key: deriveFileKeys(dataKey).payloadKey, noncePrefix: header.subarray(14, 14 + NONCE_PREFIX_LENGTH), aad: header.subarray(0, CORE_LENGTH) },
    options.counterOffset ?? 0,
  );
  dataKey.wipe();
  await sink.write([header]);
  const plaintextBytes = await encryptPayload(cipher, chunkSize, source, sink, options.onProgress ? { onProgress: options.onProgress } : {});
  return { plaintextBytes, keyId: keyIdHex(options.wrap.keyId), chunkSize, wrapping: WRAP_TYPES[options.wrap.type].name };
}

/** Read and parse (not authenticate) the header at the start of a source. */
export async function readHeader(source: ByteSource): Promise<Header> {
  const first = Buffer.alloc(23);
  const got = await source.readFull(first);
  if (got === 0) throw storageError('ERR_STORAGE_NOT_KEYSMITH', 'not a keysmith storage file (empty input)');
  // Checks magic, version, suite, wrap type and length before reading on.
  const length = peekHeaderLength(first.subarray(0, got));
  if (length > MAX_HEADER_LENGTH) throw storageError('ERR_STORAGE_HEADER', 'invalid header length');
  const rest = Buffer.alloc(length - first.length);
  if ((await source.readFull(rest)) !== rest.length) throw truncatedError();
  return parseHeader(Buffer.concat([first, rest]));
}

export interface DecryptOptions {
  credential: Credential;
  onProgress?: (bytes: number) => void;
  /** @internal see EncryptOptions.counterOffset */
  counterOffset?: number;
}

export interface DecryptResult {
  plaintextBytes: number;
  keyId: string;
  chunkSize: number;
  wrapping: string;
}

async function cipherFor(header: Header, credential: Credential, counterOffset = 0): Promise<ChunkCipher> {
  const { dataKey, keys } = await openHeader(header, credential);
  dataKey.wipe();
  return new ChunkCipher({ key: keys.payloadKey, noncePrefix: header.core.noncePrefix, aad: header.coreBytes }, counterOffset);
}

/** Decrypt a whole stream (header then payload); each chunk is verified before it reaches the sink. */
export async function decryptStream(source: ByteSource, sink: ByteSink, options: DecryptOptions): Promise<DecryptResult> {
  const header = await readHeader(source);
  const cipher = await cipherFor(header, options.credential, options.counterOffset);
  const plaintextBytes = await decryptPayload(cipher, header.core.chunkSize, source, sink, options.onProgress ? { onProgress: options.onProgress } : {});
  return { plaintextBytes, keyId: keyIdHex(header.wrap.keyId), chunkSize: header.core.chunkSize, wrapping: header.wrap.type };
}

/** An encrypted file opened for random access. */
export interface OpenedFile {
  handle: FileHandle;
  header: Header;
  layout: Layout;
  close(): Promise<void>;
}

export async function openEncryptedFile(path: string): Promise<OpenedFile> {
  let handle: FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (err) {
    throw fromSystemError(err, path) ?? err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw storageError('ERR_STORAGE_NOT_KEYSMITH', `${path}: not a regular file`, 'random access needs a file, not a pipe');
    const head = Buffer.alloc(Math.min(MAX_HEADER_LENGTH, st.size));
    await readAt(handle, head, 0);
    const header = parseHeader(head);
    const layout = layoutOf(header, st.size);
    return { handle, header, layout, close: () => handle.close() };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

export async function decryptFileRange(
  file: OpenedFile,
  range: ByteRange,
  sink: ByteSink,
  options: DecryptOptions,
): Promise<number> {
  const cipher = await cipherFor(file.header, options.credential, options.counterOffset);
  return decryptRange(file.handle, cipher, file.layout, range, sink);
}

/** Everything inspect shows: public header fields and sizes, never a secret. */
export interface StorageInfo {
  format: string;
  version: number;
  cipher: string;
  chunkSize: number;
  keyId: string;
  wrapping: string;
  scrypt?: { logN: number; r: number; p: number };
  headerBytes: number;
  /** Known when the input is a file. */
  encryptedBytes?: number;
  plaintextBytes?: number;
  chunks?: number;
}

export function describeHeader(header: Header, layout?: Layout): StorageInfo {
  return {
    format: 'keysmith storage',
    version: header.core.version,
    cipher: 'AES-256-GCM STREAM',
    chunkSize: header.core.chunkSize,
    keyId: keyIdHex(header.wrap.keyId),
    wrapping: header.wrap.type,
    ...(header.wrap.scrypt ? { scrypt: { logN: header.wrap.scrypt.logN, r: header.wrap.scrypt.r, p: header.wrap.scrypt.p } } : {}),
    headerBytes: header.length,
    ...(layout
      ? { encryptedBytes: layout.payloadOffset + layout.payloadLength, plaintextBytes: layout.plaintextSize, chunks: layout.chunkCount }
      : {}),
  };
}

/** Open an atomic output, run `fill`, commit; on any failure nothing is left at `path`. */
export async function withAtomicOutput<T>(
  path: string,
  options: { inputs: readonly string[]; overwrite: boolean; mode?: number },
  fill: (file: AtomicFile) => Promise<T>,
): Promise<T> {
  const out = await openAtomic(path, { inputs: options.inputs, overwrite: options.overwrite, ...(options.mode === undefined ? {} : { mode: options.mode }) });
  try {
    const r = await fill(out);
    await out.commit();
    return r;
  } catch (err) {
    await out.abort();
    throw fromSystemError(err, path) ?? err;
  }
}

async function openInput(path: string): Promise<FileHandle> {
  try {
    const h = await fs.open(path, 'r');
    const st = await h.stat();
    if (st.isDirectory()) {
      await h.close();
      throw fromSystemError(Object.assign(new Error('EISDIR'), { code: 'EISDIR' }), path);
    }
    return h;
  } catch (err) {
    throw fromSystemError(err, path) ?? err;
  }
}

export interface FileOutputOptions {
  overwrite?: boolean;
}

export async function encryptFile(input: string, output: string, options: EncryptOptions & FileOutputOptions): Promise<EncryptResult> {
  const h = await openInput(input);
  try {
    return await withAtomicOutput(output, { inputs: [input], overwrite: options.overwrite ?? false }, (out) =>
      encryptStream(fileSource(h), fileSink(out.handle), options),
    );
  } finally {
    await h.close().catch(() => undefined);
  }
}

export async function decryptFile(input: string, output: string, options: DecryptOptions & FileOutputOptions): Promise<DecryptResult> {
  const h = await openInput(input);
  try {
    return await withAtomicOutput(output, { inputs: [input], overwrite: options.overwrite ?? false }, (out) =>
      decryptStream(fileSource(h), fileSink(out.handle), options),
    );
  } finally {
    await h.close().catch(() => undefined);
  }
}

export interface RewrapResult {
  keyId: string;
  previousKeyId: string;
  wrapping: string;
  headerBytes: number;
}

/**
 * Replace the wrapping of a file's data key: a new header (same core, same
 * data key, new wrap and MAC), then the payload bytes copied unchanged.
 * `output` may be the input itself (atomic replace).
 */
export async function rewrapFile(
  input: string,
  output: string,
  options: { from: Credential; to: Credential; random?: RandomSource; overwrite?: boolean },
): Promise<RewrapResult> {
  const random = options.random ?? systemRandom;
  const file = await openEncryptedFile(input);
  try {
    const { dataKey } = await openHeader(file.header, options.from);
    const wrap = await wrapKeyFor(options.to, random);
    const header = sealHeader(file.header.core, dataKey, wrap, random);
    dataKey.wipe();
    const inPlace = output === input;
    const st = await file.handle.stat();
    return await withAtomicOutput(output, { inputs: inPlace ? [] : [input], overwrite: inPlace || (options.overwrite ?? false), mode: st.mode & 0o777 }, async (out) => {
      const sink = fileSink(out.handle);
      await sink.write([header]);
      const src = fileSource(file.handle, file.header.length);
      const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
      for (;;) {
        const n = await src.readFull(buf);
        if (n > 0) await sink.write([buf.subarray(0, n)]);
        if (n < buf.length) break;
      }
      return { keyId: keyIdHex(wrap.keyId), previousKeyId: keyIdHex(file.header.wrap.keyId), wrapping: wrap.type, headerBytes: header.length };
    });
  } finally {
    await file.close().catch(() => undefined);
  }
}
