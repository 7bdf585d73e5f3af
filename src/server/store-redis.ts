/**
 * `redis://host:port[/db]`: counts shared by every server on one Redis, so
 * a token's maxuses holds across a load-balanced fleet.
 *
 * One use is one Lua script (EVALSHA, EVAL on NOSCRIPT), which Redis runs
 * atomically: INCR the token's counter and PEXPIREAT it at the token expiry,
 * in one step, so the counter can never be left without a TTL and N
 * concurrent uses across any number of servers get counts 1..N exactly.
 *
 * Fail closed: no offline queue, a short connect timeout and a per-command
 * timeout, so an unreachable Redis answers ERR_STORE_UNAVAILABLE (503)
 * quickly instead of queueing requests.
 */
import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import { checkUse, storeUnavailable, type ReplayStore, type ReplayUse, type ReplayVerdict } from './replay-store.js';

/** KEYS[1] = counter; ARGV[1] = expiry (epoch ms). Returns the count after this use. */
export const CONSUME_SCRIPT = `local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return n`;
const CONSUME_SHA = createHash('sha1').update(CONSUME_SCRIPT).digest('hex');

export interface RedisStoreOptions {
  /** Key prefix, default "keysmith:replay:". */
  prefix?: string;
  /** Per-command timeout (ms), default 2000. */
  commandTimeoutMs?: number;
  /** Connect timeout (ms), default 2000. */
  connectTimeoutMs?: number;
}

/** The URL without credentials, for logs. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'redis://(unparsable url)';
  }
}

type Client = ReturnType<typeof createClient>;

export class RedisReplayStore implements ReplayStore {
  readonly description: string;
  private readonly prefix: string;
  private readonly timeout: number;

  private constructor(private readonly client: Client, url: string, options: RedisStoreOptions) {
    this.description = redactRedisUrl(url);
    this.prefix = options.prefix ?? 'keysmith:replay:';
    this.timeout = options.commandTimeoutMs ?? 2000;
  }

  /** Connect (failing with ERR_STORE_UNAVAILABLE if Redis does not answer). */
  static async open(url: string, options: RedisStoreOptions = {}): Promise<RedisReplayStore> {
    const client = createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: options.connectTimeoutMs ?? 2000,
        // Keep trying in the background; while down, commands fail at once (no offline queue).
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2000),
      },
    });
    // Errors surface through failing commands; an unhandled 'error' event would crash the process.
    client.on('error', () => undefined);
    const store = new RedisReplayStore(client, url, options);
    try {
      await withTimeout(client.connect(), options.connectTimeoutMs ?? 2000);
      await store.script(['SCRIPT', 'LOAD', CONSUME_SCRIPT]);
    } catch (err) {
      client.destroy();
      throw storeUnavailable(`${store.description} does not answer`, err);
    }
    return store;
  }

  private async script(args: string[]): Promise<unknown> {
    return this.client.sendCommand(args, { timeout: this.timeout });
  }

  async consume(use: ReplayUse): Promise<ReplayVerdict> {
    checkUse(use);
    if (!this.client.isReady) throw storeUnavailable(`${this.description} is not connected`);
    const key = this.prefix + use.identity;
    const at = String(Math.ceil(use.expiresAtMs));
    let reply: unknown;
    try {
      reply = await this.script(['EVALSHA', CONSUME_SHA, '1', key, at]);
    } catch (err) {
      if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw storeUnavailable(`${this.description}: ${(err as Error)?.message ?? 'error'}`, err);
      try {
        reply = await this.script(['EVAL', CONSUME_SCRIPT, '1', key, at]);
      } catch (err2) {
        throw storeUnavailable(`${this.description}: ${(err2 as Error)?.message ?? 'error'}`, err2);
      }
    }
    const count = Number(reply);
    if (!Number.isSafeInteger(count) || count < 1) throw storeUnavailable(`${this.description} answered ${String(reply)}`);
    return { allowed: count <= use.maxUses, count };
  }

  async ping(): Promise<void> {
    if (!this.client.isReady) throw storeUnavailable(`${this.description} is not connected`);
    try {
      await this.client.sendCommand(['PING'], { timeout: this.timeout });
    } catch (err) {
      throw storeUnavailable(`${this.description} does not answer`, err);
    }
  }

  async close(): Promise<void> {
    try {
      if (this.client.isOpen) await this.client.close();
    } catch {
      this.client.destroy();
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
