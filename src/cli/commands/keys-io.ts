/**
 * Input helpers shared by the `keys` and `pssh` command groups: stdin,
 * bytes given inline (hex/base64) or by path, and KID/KEY flags.
 */
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import type { Io } from '../io.js';
import { KeysmithError, EXIT_ENVIRONMENT, usageError } from '../../errors.js';
import { ContentKey, KeyId } from '../../crypto/values.js';
import { parseKeyPair, readKeyFile, type ContentKeyEntry } from '../../keys/content-keys.js';
import { readFileChecked } from '../../fsx/atomic.js';

export const MAX_INLINE_INPUT = 16 * 1024 * 1024;

export async function readStdin(io: Io, max = MAX_INLINE_INPUT): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of io.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    total += b.length;
    if (total > max) throw new KeysmithError('ERR_TOO_LARGE', `stdin: more than ${max} bytes`, { exit: EXIT_ENVIRONMENT });
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function resolvePath(io: Io, path: string): string {
  return resolve(io.cwd, path);
}

export async function isFile(io: Io, path: string): Promise<boolean> {
  try {
    return (await fs.stat(resolvePath(io, path))).isFile();
  } catch {
    return false;
  }
}

/** Read a whole small file or stdin ('-'). */
export async function readInput(io: Io, path: string, max = MAX_INLINE_INPUT): Promise<Buffer> {
  if (path === '-') return readStdin(io, max);
  return readFileChecked(resolvePath(io, path), max);
}

/** Split repeatable, comma-separated flag values. */
export function splitList(values: readonly string[] | string | undefined): string[] {
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  return list.flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter(Boolean);
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parseKids(values: readonly string[] | string | undefined): KeyId[] {
  const out: KeyId[] = [];
  for (const s of splitList(values)) {
    let kid: KeyId;
    try {
      kid = KeyId.parse(s, 'kid');
    } catch {
      throw usageError(`--kid '${s.slice(0, 48)}' is not a key ID`, 'write a KID as 32 hex digits or a UUID');
    }
    if (!out.some((k) => k.equals(kid))) out.push(kid);
  }
  return out;
}

/**
 * --key values: KID:KEY pairs, or a bare KEY when exactly one KID is known.
 * Never echoes key material in errors.
 */
export function parseKeyFlags(values: readonly string[] | string | undefined, kids: readonly KeyId[]): ContentKeyEntry[] {
  const out: ContentKeyEntry[] = [];
  for (const s of splitList(values)) {
    if (s.includes(':')) out.push(parseKeyPair(s));
    else {
      if (kids.length !== 1) throw usageError('a bare --key needs exactly one --kid', 'write --key KID:KEY to say which KID the key belongs to');
      let key: ContentKey;
      try {
        key = ContentKey.parse(s);
      } catch {
        throw usageError('--key is not a 128-bit key', 'write 32 hex digits (or base64), or KID:KEY');
      }
      out.push({ kid: kids[0]!, key });
    }
  }
  return out;
}

export async function readKeysOption(io: Io, path: string | undefined): Promise<ContentKeyEntry[]> {
  return path === undefined ? [] : readKeyFile(resolvePath(io, path));
}
