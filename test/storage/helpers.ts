/** Shared fixtures of the storage tests: temp dirs, keys, in-memory encrypt/decrypt. */
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after } from 'node:test';
import { SecretKey } from '../../src/crypto/index.js';
import { decryptStream, encryptStream, streamSource, wrapKeyFor, type ByteSink, type Credential } from '../../src/storage/index.js';

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'keysmith-storage-test-'));
  after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Files in a directory, hidden temp files included. */
export function listing(dir: string): string[] {
  return readdirSync(dir).sort();
}

export const KEY_A = new SecretKey(Buffer.alloc(32, 0xa1), [32]);
export const KEY_B = new SecretKey(Buffer.alloc(32, 0xb2), [32]);
export const keyCred = (key: SecretKey = KEY_A): Credential => ({ type: 'key', key });

export function collector(): ByteSink & { bytes(): Buffer } {
  const parts: Buffer[] = [];
  return {
    async write(p) {
      for (const x of p) parts.push(Buffer.from(x));
    },
    bytes: () => Buffer.concat(parts),
  };
}

export async function seal(plaintext: Uint8Array, options: { cred?: Credential; chunkSize?: number; counterOffset?: number } = {}): Promise<Buffer> {
  const sink = collector();
  const wrap = await wrapKeyFor(options.cred ?? keyCred());
  await encryptStream(streamSource(Readable.from([Buffer.from(plaintext)])), sink, {
    wrap,
    chunkSize: options.chunkSize ?? 1024,
    ...(options.counterOffset === undefined ? {} : { counterOffset: options.counterOffset }),
  });
  return sink.bytes();
}

export async function unseal(file: Uint8Array, options: { cred?: Credential; counterOffset?: number } = {}): Promise<Buffer> {
  const sink = collector();
  await decryptStream(streamSource(Readable.from(file.length === 0 ? [] : [Buffer.from(file)])), sink, {
    credential: options.cred ?? keyCred(),
    ...(options.counterOffset === undefined ? {} : { counterOffset: options.counterOffset }),
  });
  return sink.bytes();
}

export function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

/** Key-file header length (v1, wrap type key). */
export const KEY_HEADER = 124;
