/**
 * Bounded mutation fuzz: a few hundred seeded mutants of an encrypted file
 * go through inspect and decrypt in-process. Each either succeeds or fails
 * with a KeysmithError whose code is one of ERR_BMFF_*, ERR_CENC_*,
 * ERR_CODEC_*, ERR_PSSH_* — never a TypeError, RangeError or hang.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isKeysmithError } from '../../src/errors.js';
import { parseKeyPair } from '../../src/keys/content-keys.js';
import { bufferSource } from '../../src/media/bmff/index.js';
import { decryptMovie, openMovieBuffer, planSegments } from '../../src/protect/segments.js';
import { inspectMovie } from '../../src/protect/inspector.js';
import { runInProcess } from '../helpers/cli.js';
import { mediaFixture } from '../fixtures/media.js';
import { PAIR, tempDir } from './media-helpers.js';

const MUTANTS = Number(process.env.KEYSMITH_FUZZ_MUTANTS ?? 300);
const ALLOWED = /^ERR_(BMFF|CENC|CODEC|PSSH)_/;

/** xorshift32: reproducible mutants from a seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

/** Offsets of every box header in the structural part (not mdat payloads). */
function headerOffsets(buf: Buffer): number[] {
  const out: number[] = [];
  const containers = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd', 'encv', 'enca', 'sinf', 'schi', 'mvex', 'moof', 'traf', 'edts', 'dinf']);
  const walk = (start: number, end: number): void => {
    let p = start;
    while (p + 8 <= end) {
      const size = buf.readUInt32BE(p);
      const type = buf.toString('latin1', p + 4, p + 8);
      if (size < 8 || p + size > end) return;
      out.push(p);
      if (containers.has(type)) {
        const skip = type === 'stsd' ? 8 : type === 'encv' ? 78 : type === 'enca' ? 28 : 0;
        walk(p + 8 + skip, p + size);
      }
      p += size;
    }
  };
  walk(0, buf.length);
  return out;
}

function mutate(orig: Buffer, r: () => number): Buffer {
  const buf = Buffer.from(orig);
  const heads = headerOffsets(buf);
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
  const kind = Math.floor(r() * 6);
  const h = pick(heads);
  switch (kind) {
    case 0: // a box size: zero, tiny, huge, or off by a little
      buf.writeUInt32BE(pick([0, 1, 4, 7, 0xffffffff, buf.readUInt32BE(h) + Math.floor(r() * 64) - 32].map((v) => Math.max(0, v) >>> 0)), h);
      break;
    case 1: // a field right after a header (counts, versions, flags)
      for (let i = 0; i < 1 + Math.floor(r() * 4); i++) {
        const at = h + 8 + Math.floor(r() * 24);
        if (at < buf.length) buf[at] = Math.floor(r() * 256);
      }
      break;
    case 2: // a 32-bit field set to an absurd count
      {
        const at = h + 8 + 4 * Math.floor(r() * 6);
        if (at + 4 <= buf.length) buf.writeUInt32BE(pick([0xffffffff, 0x7fffffff, 0x10000, 0]), at);
      }
      break;
    case 3: // truncation
      return buf.subarray(0, Math.floor(r() * buf.length));
    case 4: // random bytes anywhere in the first 8 KiB (init segment + first moof)
      for (let i = 0; i < 8; i++) buf[Math.floor(r() * Math.min(buf.length, 8192))] = Math.floor(r() * 256);
      break;
    default: // a box type renamed
      buf.write(pick(['free', 'moov', 'senc', 'trun', 'zzzz', 'uuid']), h + 4, 'latin1');
  }
  return buf;
}

test(`${MUTANTS} mutants of an encrypted file: inspect and decrypt fail cleanly or succeed`, async (t) => {
  const dir = tempDir(t);
  const enc = join(dir, 'enc.mp4');
  const r0 = await runInProcess(['encrypt', mediaFixture('h264-aac'), '-o', enc, '--scheme', 'cenc', '--key', PAIR, '--fragment-duration', '1']);
  assert.equal(r0.status, 0, r0.stderr);
  const orig = readFileSync(enc);
  const keys = [parseKeyPair(PAIR)];
  const r = rng(Number(process.env.KEYSMITH_FUZZ_SEED ?? 0x5eed));
  const codes = new Map<string, number>();
  for (let i = 0; i < MUTANTS; i++) {
    const m = mutate(orig, r);
    for (const op of ['inspect', 'decrypt'] as const) {
      try {
        if (op === 'inspect') await inspectMovie(bufferSource(m), { boxes: true });
        else {
          const movie = await openMovieBuffer(m);
          await decryptMovie(movie, planSegments(movie, 2), keys, { write: async () => {} });
        }
        codes.set('ok', (codes.get('ok') ?? 0) + 1);
      } catch (err) {
        if (!isKeysmithError(err) || !ALLOWED.test(err.code)) {
          assert.fail(`mutant ${i} (${op}): ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}`);
        }
        assert.ok(!err.message.includes('\n'), 'one-line message');
        codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
      }
    }
  }
  t.diagnostic(JSON.stringify(Object.fromEntries(codes)));
  assert.ok((codes.get('ok') ?? 0) < MUTANTS * 2, 'the mutations reach the parsers');
});
