/**
 * Content keys as keysmith passes them between commands: `keys.json`
 * (written 0600) and `KID:KEY` pairs on the command line.
 *
 * keys.json, version 1:
 *   { "version": 1,
 *     "keys": [ { "kid": "<uuid>", "key": "<32 hex digits>", "label": "HD" } ] }
 * `kid` may be written as a UUID or 32 hex digits; `key` as hex, base64 or
 * base64url. keysmith always writes the UUID and hex forms.
 */
import { ContentKey, KeyId } from '../crypto/values.js';
import type { RandomSource } from '../crypto/random.js';
import { systemRandom } from '../crypto/random.js';
import { KeysmithError } from '../errors.js';
import { readFileChecked, writeFileAtomic } from '../fsx/atomic.js';

export interface ContentKeyEntry {
  kid: KeyId;
  key: ContentKey;
  label?: string;
}

export const KEY_FILE_VERSION = 1;
const MAX_KEYS = 10_000;

function bad(message: string, hint?: string): KeysmithError {
  return new KeysmithError('ERR_KEYS_FILE', message, hint === undefined ? {} : { hint });
}

/** Parse `KID:KEY` (KID as hex or UUID, KEY as hex/base64/base64url). */
export function parseKeyPair(text: string): ContentKeyEntry {
  // A UUID KID contains '-', never ':'; split on the last colon.
  const at = text.lastIndexOf(':');
  if (at <= 0 || at === text.length - 1) {
    throw new KeysmithError('ERR_USAGE', 'a key must be written KID:KEY (KID as 32 hex digits or a UUID, KEY as 32 hex digits)', {
      exit: 2,
      hint: 'e.g. --key 0123456789abcdef0123456789abcdef:00112233445566778899aabbccddeeff',
    });
  }
  return { kid: KeyId.parse(text.slice(0, at)), key: ContentKey.parse(text.slice(at + 1)) };
}

/** Validate the JSON document of a key file. Errors name the entry, never the key. */
export function parseKeyFileJson(text: string, source = 'keys file'): ContentKeyEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw bad(`${source}: not valid JSON`, 'a keys file is written by `keysmith keys new`');
  }
  const list = Array.isArray(doc) ? doc : (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw bad(`${source}: expected an object with a "keys" array`);
  const version = Array.isArray(doc) ? KEY_FILE_VERSION : (doc as { version?: unknown }).version;
  if (version !== undefined && version !== KEY_FILE_VERSION) throw bad(`${source}: unsupported version ${String(version)}`);
  if (list.length > MAX_KEYS) throw bad(`${source}: more than ${MAX_KEYS} keys`);
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const e = raw as { kid?: unknown; key?: unknown; label?: unknown } | null;
    if (!e || typeof e !== 'object') throw bad(`${source}: keys[${i}] is not an object`);
    if (typeof e.kid !== 'string') throw bad(`${source}: keys[${i}].kid is missing`);
    if (typeof e.key !== 'string') throw bad(`${source}: keys[${i}].key is missing`);
    let kid: KeyId;
    let key: ContentKey;
    try {
      kid = KeyId.parse(e.kid);
    } catch {
      throw bad(`${source}: keys[${i}].kid is not a 128-bit key id (hex or UUID)`);
    }
    try {
      key = ContentKey.parse(e.key);
    } catch {
      throw bad(`${source}: keys[${i}].key is not a 128-bit key (32 hex digits)`);
    }
    if (seen.has(kid.hex)) throw bad(`${source}: key id ${kid.uuid} appears twice`);
    seen.add(kid.hex);
    const entry: ContentKeyEntry = { kid, key };
    if (e.label !== undefined) {
      if (typeof e.label !== 'string' || e.label.length > 256) throw bad(`${source}: keys[${i}].label must be a short string`);
      entry.label = e.label;
    }
    return entry;
  });
}

export async function readKeyFile(path: string): Promise<ContentKeyEntry[]> {
  const bytes = await readFileChecked(path, 4 * 1024 * 1024);
  return parseKeyFileJson(bytes.toString('utf8'), path);
}

/** The JSON text of a key file. Contains secrets: only for files written 0600. */
export function formatKeyFile(entries: readonly ContentKeyEntry[]): string {
  const keys = entries.map((e) => ({ kid: e.kid.uuid, key: e.key.exportHex(), ...(e.label === undefined ? {} : { label: e.label }) }));
  return `${JSON.stringify({ version: KEY_FILE_VERSION, keys }, null, 2)}\n`;
}

/** Write a key file atomically with mode 0600. */
export async function writeKeyFile(path: string, entries: readonly ContentKeyEntry[], options: { overwrite?: boolean } = {}): Promise<void> {
  await writeFileAtomic(path, formatKeyFile(entries), { mode: 0o600, overwrite: options.overwrite ?? false });
}

/** A fresh random key and KID (or the given KID). */
export function generateContentKey(random: RandomSource = systemRandom, kid?: KeyId, label?: string): ContentKeyEntry {
  const entry: ContentKeyEntry = { kid: kid ?? new KeyId(random.bytes(16)), key: new ContentKey(random.bytes(16)) };
  if (label !== undefined) entry.label = label;
  return entry;
}

/** Look a key up by KID. */
export function findKey(entries: readonly ContentKeyEntry[], kid: KeyId): ContentKeyEntry | undefined {
  return entries.find((e) => e.kid.equals(kid));
}
