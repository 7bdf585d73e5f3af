/**
 * A cache of verified tokens, so a player that fetches keys again and again
 * with the same token does not pay a signature check each time.
 *
 * Safe because a verification result only depends on the exact token
 * bytes, the restriction, the requested KID and the time, and for a token
 * that verified, time can only make it invalid through its expiry:
 *   - the key is the whole token string plus the KID, and the restriction
 *     object must be the very one it was verified against (a reload makes
 *     new objects, so nothing verified under an old policy is reused);
 *   - an entry is used only strictly before the token's `exp` (the
 *     verifier's clock tolerance past exp is not granted from the cache;
 *     such late requests are verified in full again);
 *   - nbf and the maxuses "expires within 1 h" rule can only get easier
 *     with time, never harder.
 * Only successes are cached. The replay count is NOT cached: every request
 * still consumes one use in the store (authorize.ts).
 */
import type { KeyId } from '../crypto/values.js';
import type { TokenRestriction, VerifiedToken } from '../tokens/index.js';
import type { VerifyFn } from './authorize.js';
import type { Clock } from '../crypto/clock.js';
import { systemClock } from '../crypto/clock.js';

interface Entry {
  restriction: TokenRestriction;
  verified: VerifiedToken;
  untilMs: number;
}

/** Tokens longer than this are verified each time (bounds the cache's memory: ≤ entries × 2 KiB). */
const MAX_CACHED_TOKEN = 2048;

export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 10_000) {}

  /** A VerifyFn that answers from the cache when it safely can, and fills it otherwise. */
  wrap(verify: VerifyFn): VerifyFn {
    return async (token, restriction, options) => {
      const clock: Clock = options.clock ?? systemClock;
      if (token.length > MAX_CACHED_TOKEN || options.kid === undefined) return verify(token, restriction, options);
      const key = cacheKey(token, options.kid);
      const hit = this.entries.get(key);
      if (hit !== undefined && hit.restriction === restriction && clock.now() < hit.untilMs) return hit.verified;
      if (hit !== undefined) this.entries.delete(key);
      const verified = await verify(token, restriction, options);
      if (this.entries.size >= this.maxEntries) this.evict(clock.now());
      this.entries.set(key, { restriction, verified, untilMs: verified.expiresAt * 1000 });
      return verified;
    };
  }

  /** Drop expired entries; if still full, the oldest (Map keeps insertion order). */
  private evict(now: number): void {
    for (const [k, e] of this.entries) if (e.untilMs <= now) this.entries.delete(k);
    while (this.entries.size >= this.maxEntries) {
      const first = this.entries.keys().next();
      if (first.done) break;
      this.entries.delete(first.value);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

function cacheKey(token: string, kid: KeyId): string {
  return `${kid.hex}\u0000${token}`;
}
