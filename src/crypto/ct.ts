import { timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality for secrets (MACs, keys, token signatures).
 * The time taken depends only on the lengths, never on where bytes differ.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) {
    // Still do the work, so a length probe costs the same as a content probe.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
