/**
 * `--store` values, one row per kind: memory (default), file:<dir>, redis://….
 */
import { resolve } from 'node:path';
import type { Clock } from '../crypto/clock.js';
import { systemClock } from '../crypto/clock.js';
import { usageError } from '../errors.js';
import { FileReplayStore, type LockOwner } from './store-file.js';
import { MemoryReplayStore } from './store-memory.js';
import { RedisReplayStore } from './store-redis.js';
import type { ReplayStore } from './replay-store.js';

export interface StoreKind {
  /** How the --store value starts. */
  matches(spec: string): boolean;
  /** One line for help and docs. */
  summary: string;
  open(spec: string, options: { clock: Clock; cwd: string; owner?: LockOwner }): Promise<ReplayStore>;
}

export const STORE_KINDS: readonly StoreKind[] = [
  {
    matches: (s) => s === 'memory',
    summary: 'memory: counts in this process (lost on restart)',
    open: (_s, o) => Promise.resolve(new MemoryReplayStore(o.clock)),
  },
  {
    matches: (s) => s.startsWith('file:'),
    summary: 'file:<dir>: append-only log with fdatasync per use, survives restarts and crashes (one process)',
    open: (s, o) => {
      const dir = s.slice('file:'.length);
      if (dir === '') throw usageError('--store file: needs a directory, e.g. file:./state');
      return FileReplayStore.open(resolve(o.cwd, dir), { clock: o.clock, ...(o.owner ? { owner: o.owner } : {}) });
    },
  },
  {
    matches: (s) => s.startsWith('redis://') || s.startsWith('rediss://'),
    summary: 'redis://host:port[/db]: counts shared by every server on that Redis (atomic Lua script)',
    open: (s) => RedisReplayStore.open(s),
  },
];

export function openReplayStore(spec: string, options: { clock?: Clock; cwd?: string; owner?: LockOwner } = {}): Promise<ReplayStore> {
  const kind = STORE_KINDS.find((k) => k.matches(spec));
  if (!kind) throw usageError(`unknown --store '${spec}'`, 'use memory, file:<dir> or redis://host:port');
  return kind.open(spec, { clock: options.clock ?? systemClock, cwd: options.cwd ?? '.', ...(options.owner ? { owner: options.owner } : {}) });
}
