/**
 * The real binary (dist/, via bin/keysmith): pipes, exit codes, and
 * Ctrl-C / kill mid-way leaving nothing at the output path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatKeyFile } from '../../src/storage/index.js';
import { BIN, runBinary } from '../helpers/cli.js';
import { KEY_A, pattern, seal, tempDir } from './helpers.js';

const dir = tempDir();
const key = join(dir, 'a.key');
writeFileSync(key, formatKeyFile(KEY_A), { mode: 0o600 });
const PLAIN = pattern(6 * 1024 * 1024 + 11);

test('stdin → encrypt → stdout → decrypt → stdout through the binary', async () => {
  const e = await runBinary(['storage', 'encrypt', '-k', key, '-'], { stdin: PLAIN });
  assert.equal(e.status, 0, e.stderr);
  const d = await runBinary(['storage', 'decrypt', '-k', key], { stdin: e.stdoutBytes });
  assert.equal(d.status, 0, d.stderr);
  assert.ok(d.stdoutBytes.equals(PLAIN));
});

test('exit codes end to end: usage 2, failure 1, environment 3', async () => {
  assert.equal((await runBinary(['storage', 'encrypt', '--nope'])).status, 2);
  assert.equal((await runBinary(['storage', 'decrypt', '-k', key], { stdin: 'not encrypted' })).status, 1);
  assert.equal((await runBinary(['storage', 'decrypt', '-k', join(dir, 'missing.key')], { stdin: 'x' })).status, 3);
});

test('decrypt to a pipe: a failure at a late chunk exits 1 after only verified plaintext', async () => {
  const file = await seal(PLAIN, { chunkSize: 1024 });
  file[file.length - 2000]! ^= 1; // in the last 4 MiB block
  const r = await runBinary(['storage', 'decrypt', '-k', key], { stdin: file });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /payload authentication failed/);
  assert.ok(r.stdoutBytes.length > 0 && r.stdoutBytes.length < PLAIN.length);
  assert.ok(r.stdoutBytes.equals(PLAIN.subarray(0, r.stdoutBytes.length)));
});

async function interrupted(mode: 'encrypt' | 'decrypt', signal: NodeJS.Signals, expected: number): Promise<void> {
  const sub = join(dir, `${mode}-${signal}`);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(sub);
  const out = join(sub, 'out');
  const child = spawn(process.execPath, [BIN, 'storage', mode, '-k', key, '-o', out, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  const input = mode === 'encrypt' ? PLAIN : await seal(PLAIN, { chunkSize: 1024 });
  child.stdin.on('error', () => undefined);
  // Feed most of a large input and keep stdin open: the command is mid-way.
  child.stdin.write(input.subarray(0, input.length - 4096));
  const deadline = Date.now() + 20_000;
  while (!readdirSync(sub).some((f) => f.endsWith('.tmp'))) {
    if (Date.now() > deadline) throw new Error('no temp file appeared');
    await new Promise((r) => setTimeout(r, 20));
  }
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  child.kill(signal);
  const code = await closed;
  assert.equal(code, expected);
  assert.deepEqual(readdirSync(sub), []);
}

test('Ctrl-C (SIGINT) mid-encrypt leaves no output and no temp file', () => interrupted('encrypt', 'SIGINT', 130));
test('SIGTERM mid-decrypt leaves no output and no temp file', () => interrupted('decrypt', 'SIGTERM', 143));

test('keysmith --version prints the package version', async () => {
  const r = await runBinary(['--version']);
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
});
