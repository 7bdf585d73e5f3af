import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyId, seededRandom } from '../../src/crypto/index.js';
import {
  findKey,
  formatKeyFile,
  generateContentKey,
  parseKeyFileJson,
  parseKeyPair,
  readKeyFile,
  writeKeyFile,
} from '../../src/keys/content-keys.js';

test('KID:KEY accepts a hex or UUID KID', () => {
  const a = parseKeyPair('0123456789abcdef0123456789abcdef:00112233445566778899aabbccddeeff');
  const b = parseKeyPair('01234567-89ab-cdef-0123-456789abcdef:00112233445566778899aabbccddeeff');
  assert.ok(a.kid.equals(b.kid));
  assert.equal(a.key.exportHex(), '00112233445566778899aabbccddeeff');
  assert.throws(() => parseKeyPair('0123456789abcdef0123456789abcdef'), /KID:KEY/);
});

test('a key file round-trips, is written 0600 and refuses to overwrite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ks-keys-'));
  const path = join(dir, 'keys.json');
  const random = seededRandom('key-file');
  const entries = [generateContentKey(random, undefined, 'HD'), generateContentKey(random)];
  await writeKeyFile(path, entries);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const back = await readKeyFile(path);
  assert.equal(formatKeyFile(back), readFileSync(path, 'utf8'));
  assert.equal(findKey(back, entries[1]!.kid)?.key.exportHex(), entries[1]!.key.exportHex());
  await assert.rejects(writeKeyFile(path, entries), (e: Error & { code?: string }) => e.code === 'ERR_EXISTS');
});

test('a bad key file names the entry but never the key material', () => {
  const secret = '00112233445566778899aabbccddee';
  assert.throws(
    () => parseKeyFileJson(JSON.stringify({ keys: [{ kid: '0123456789abcdef0123456789abcdef', key: secret }] })),
    (e: Error & { code?: string }) => e.code === 'ERR_KEYS_FILE' && /keys\[0\]\.key/.test(e.message) && !e.message.includes(secret),
  );
  assert.throws(() => parseKeyFileJson('{'), /not valid JSON/);
  const kid = KeyId.parse('0123456789abcdef0123456789abcdef');
  const dup = { kid: kid.uuid, key: '00112233445566778899aabbccddeeff' };
  assert.throws(() => parseKeyFileJson(JSON.stringify({ keys: [dup, dup] })), /appears twice/);
});
