/**
 * The default replay store: counts in this process's memory. Atomic because
 * the check and the increment run in one synchronous step on the event loop.
 * Counts are lost on restart (use file: for that) and not shared between
 * processes (use redis:// for that).
 */
import type { Clock } from '../crypto/clock.js';
import { systemClock } from '../crypto/clock.js';
import { checkUse, type ReplayStore, type ReplayUse, type ReplayVerdict } from './replay-store.js';

interface Entry {
  count: number;
  expiresAtMs: number;
}

/** Counts in a Map with lazy expiry plus a sweep every `sweepEvery` writes. */
export class MemoryCounts {
  private readonly entries = new Map<string, Entry>();
  private writes = 0;

  constructor(private readonly clock: Clock = systemClock, private readonly sweepEvery = 4096) {}

  /** Count one use; synchronous, so atomic within the process. */
  increment(identity: string, expiresAtMs: number, by = 1): number {
    const now = this.clock.now();
    if (++this.writes % this.sweepEvery === 0) this.sweep(now);
    let e = this.entries.get(identity);
    if (e === undefined || e.expiresAtMs <= now) {
      e = { count: 0, expiresAtMs };
      this.entries.set(identity, e);
    }
    e.count += by;
    if (expiresAtMs > e.expiresAtMs) e.expiresAtMs = expiresAtMs;
    return e.count;
  }

  sweep(now = this.clock.now()): void {
    for (const [k, e] of this.entries) if (e.expiresAtMs <= now) this.entries.delete(k);
  }

  /** Live entries (for compaction). */
  live(now = this.clock.now()): [string, Entry][] {
    return [...this.entries].filter(([, e]) => e.expiresAtMs > now);
  }

  get size(): number {
    return this.entries.size;
  }
}

export class MemoryReplayStore implements ReplayStore {
  readonly description = 'memory';
  private readonly counts: MemoryCounts;

  constructor(clock: Clock = systemClock) {
    this.counts = new MemoryCounts(clock);
  }

  // async: a bad argument rejects like every other store instead of throwing.
  async consume(use: ReplayUse): Promise<ReplayVerdict> {
    checkUse(use);
    const count = this.counts.increment(use.identity, use.expiresAtMs);
    return { allowed: count <= use.maxUses, count };
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
