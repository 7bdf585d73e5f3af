/**
 * Randomness is injected, so tests can fix keys, IVs and KIDs and compare
 * outputs byte for byte. Production code uses `systemRandom`.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface RandomSource {
  bytes(length: number): Buffer;
}

export const systemRandom: RandomSource = {
  bytes: (length) => randomBytes(length),
};

/**
 * A deterministic stream for tests and reproducible vectors:
 * SHA-256(seed ‖ counter) blocks. Never use it for real keys.
 */
export function seededRandom(seed: string | Uint8Array): RandomSource {
  const seedBytes = typeof seed === 'string' ? Buffer.from(seed, 'utf8') : Buffer.from(seed);
  let counter = 0;
  let pool = Buffer.alloc(0);
  return {
    bytes(length) {
      while (pool.length < length) {
        const c = Buffer.alloc(8);
        c.writeBigUInt64BE(BigInt(counter++));
        pool = Buffer.concat([pool, createHash('sha256').update(seedBytes).update(c).digest()]);
      }
      const out = pool.subarray(0, length);
      pool = pool.subarray(length);
      return Buffer.from(out);
    },
  };
}

/** Returns the given byte strings in order, for golden tests. Throws when exhausted. */
export function scriptedRandom(...chunks: Uint8Array[]): RandomSource {
  const queue = chunks.map((c) => Buffer.from(c));
  return {
    bytes(length) {
      const next = queue.shift();
      if (!next) throw new Error('scriptedRandom: no more bytes scripted');
      if (next.length !== length) throw new Error(`scriptedRandom: scripted ${next.length} bytes, asked for ${length}`);
      return next;
    },
  };
}
