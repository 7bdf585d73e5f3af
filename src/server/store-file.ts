/**
 * `file:<dir>`: replay counts that survive a restart and a crash.
 *
 * Layout: <dir>/replay.log, an append-only log of lines
 *     <identity: 64 hex> <uses: decimal> <expires: epoch ms>\n
 * and <dir>/lock (the pid of the one process that owns the directory).
 *
 * - A use is decided in memory (check + increment in one synchronous step:
 *   atomic within the process), appended to the log, and answered only
 *   after fdatasync: a granted use is on disk before its key leaves.
 *   Concurrent uses share one write and one fdatasync (group commit).
 * - Refused uses are not logged (the token is already exhausted), so a
 *   replayed token cannot grow the log.
 * - Compaction rewrites the live counts (one line per unexpired token) to a
 *   temp file, fsyncs and renames it over the log (src/fsx/atomic.ts): on
 *   open, and when the log holds many more lines than live tokens.
 * - A crash can tear the last line only; a line without its newline is
 *   ignored on load (its use was never answered). Any other malformed line
 *   refuses to open the store (fail closed).
 * - One process per directory (lock file holding the owner's pid; a lock of
 *   a process that no longer runs is taken over); share counts between
 *   processes with redis:// instead.
 */
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../crypto/clock.js';
import { systemClock } from '../crypto/clock.js';
import { EXIT_ENVIRONMENT, KeysmithError, fromSystemError } from '../errors.js';
import { writeFileAtomic } from '../fsx/atomic.js';
import { MemoryCounts } from './store-memory.js';
import { checkUse, storeUnavailable, type ReplayStore, type ReplayUse, type ReplayVerdict } from './replay-store.js';

const LOG = 'replay.log';
const LOCK = 'lock';
const MAX_LOG_BYTES = 256 * 1024 * 1024;
const LINE = /^([0-9a-f]{64}) ([1-9][0-9]{0,15}) ([0-9]{1,16})$/;

interface Pending {
  line: string;
  resolve(): void;
  reject(err: unknown): void;
}

function corrupt(path: string, lineNo: number): KeysmithError {
  return new KeysmithError('ERR_STORE_CORRUPT', `${path}: line ${lineNo} is not a replay record`, {
    exit: EXIT_ENVIRONMENT,
    hint: 'the replay log was edited or damaged; move it away to start with empty counts (tokens then regain their uses)',
  });
}

/** Parse a replay log into counts; a torn (unterminated) last line is ignored. */
export function loadReplayLog(text: string, counts: MemoryCounts, path = LOG): number {
  const lines = text.split('\n');
  lines.pop(); // the part after the last newline: empty, or a torn write
  lines.forEach((line, i) => {
    const m = LINE.exec(line);
    if (!m) throw corrupt(path, i + 1);
    counts.increment(m[1]!, Number(m[3]), Number(m[2]));
  });
  return lines.length;
}

/**
 * Who takes the directory lock, and how to tell whether the holder of an
 * existing lock still runs. The library does not touch the process: the CLI
 * passes its pid and a kill(pid, 0) probe.
 */
export interface LockOwner {
  pid: number;
  isAlive(pid: number): boolean;
}

/** Without a probe a lock is never taken over (fail closed: remove a stale lock file by hand). */
export const UNKNOWN_OWNER: LockOwner = { pid: 0, isAlive: () => true };

function lockedError(dir: string, pid: number | undefined): KeysmithError {
  return new KeysmithError('ERR_STORE_LOCKED', `${dir} is used by another keysmith serve${pid === undefined ? '' : ` (pid ${pid})`}`, {
    exit: EXIT_ENVIRONMENT,
    hint: `give each server its own file: store, or share counts with --store redis://…; if no server runs, remove ${join(dir, LOCK)}`,
  });
}

async function takeLock(dir: string, owner: LockOwner): Promise<string> {
  const path = join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const h = await fs.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await h.writeFile(`${owner.pid}\n`);
      await h.close();
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fromSystemError(err, path) ?? err;
      const text = (await fs.readFile(path, 'utf8').catch(() => '')).trim();
      const pid = /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : undefined;
      if (pid === undefined || owner.isAlive(pid)) throw lockedError(dir, pid);
      await fs.rm(path, { force: true }); // stale lock of a dead process
    }
  }
  throw lockedError(dir, undefined);
}

export interface FileStoreOptions {
  clock?: Clock;
  owner?: LockOwner;
}

export class FileReplayStore implements ReplayStore {
  readonly description: string;
  private readonly counts: MemoryCounts;
  private handle: FileHandle | undefined;
  private pending: Pending[] = [];
  private writing = false;
  private linesInLog = 0;
  private failure: unknown;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly lockPath: string,
    private readonly clock: Clock,
  ) {
    this.description = `file:${dir}`;
    this.counts = new MemoryCounts(clock);
  }

  static async open(dir: string, options: FileStoreOptions = {}): Promise<FileReplayStore> {
    const clock = options.clock ?? systemClock;
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw fromSystemError(err, dir) ?? err;
    }
    const lockPath = await takeLock(dir, options.owner ?? UNKNOWN_OWNER);
    const store = new FileReplayStore(dir, lockPath, clock);
    try {
      const logPath = join(dir, LOG);
      let text = '';
      try {
        const st = await fs.stat(logPath);
        if (st.size > MAX_LOG_BYTES) throw new KeysmithError('ERR_STORE_CORRUPT', `${logPath}: larger than ${MAX_LOG_BYTES} bytes`, { exit: EXIT_ENVIRONMENT });
        text = await fs.readFile(logPath, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fromSystemError(err, logPath) ?? err;
      }
      loadReplayLog(text, store.counts, logPath);
      await store.compact();
    } catch (err) {
      await fs.rm(lockPath, { force: true });
      throw err;
    }
    return store;
  }

  async consume(use: ReplayUse): Promise<ReplayVerdict> {
    checkUse(use);
    if (this.closed) throw storeUnavailable(`${this.description} is closed`);
    if (this.failure !== undefined) throw storeUnavailable(`${this.description} failed to write`, this.failure);
    const count = this.counts.increment(use.identity, use.expiresAtMs);
    if (count > use.maxUses) return { allowed: false, count };
    await new Promise<void>((resolve, reject) => {
      this.pending.push({ line: `${use.identity} 1 ${Math.ceil(use.expiresAtMs)}\n`, resolve, reject });
      if (!this.writing) void this.drain();
    });
    return { allowed: true, count };
  }

  /** The writer: one write + one fdatasync per batch of pending uses. */
  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          if (this.failure !== undefined) throw this.failure;
          const h = this.handle!;
          await h.write(batch.map((p) => p.line).join(''));
          await h.datasync();
          this.linesInLog += batch.length;
          for (const p of batch) p.resolve();
        } catch (err) {
          this.failure ??= err;
          for (const p of batch) p.reject(storeUnavailable(`${this.description} failed to write`, err));
          continue;
        }
        // Compact only with nothing pending: the snapshot then holds exactly what is on disk.
        if (this.pending.length === 0 && this.linesInLog > 1024 + 4 * this.counts.size) {
          await this.compact().catch((err: unknown) => {
            this.failure ??= err;
          });
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Rewrite the live counts atomically and reopen the log for appending. */
  private async compact(): Promise<void> {
    const live = this.counts.live();
    const text = live.map(([id, e]) => `${id} ${e.count} ${Math.ceil(e.expiresAtMs)}\n`).join('');
    const logPath = join(this.dir, LOG);
    await this.handle?.close();
    this.handle = undefined;
    await writeFileAtomic(logPath, text, { mode: 0o600, overwrite: true });
    this.handle = await fs.open(logPath, 'a', 0o600);
    this.linesInLog = live.length;
    this.counts.sweep();
  }

  ping(): Promise<void> {
    if (this.closed) return Promise.reject(storeUnavailable(`${this.description} is closed`));
    if (this.failure !== undefined) return Promise.reject(storeUnavailable(`${this.description} failed to write`, this.failure));
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.writing || this.pending.length > 0) await new Promise((r) => setTimeout(r, 5));
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    await fs.rm(this.lockPath, { force: true }).catch(() => undefined);
  }

  /** For tests: lines appended since the last compaction. */
  get logLines(): number {
    return this.linesInLog;
  }

  /** For tests and readiness: the clock the counts use. */
  get now(): number {
    return this.clock.now();
  }
}
