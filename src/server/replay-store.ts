/**
 * The replay guard's one interface (Azure Media Services model, SPECS §8):
 * a token carrying urn:microsoft:azure:mediaservices:maxuses may fetch keys
 * at most N times. Tokens are identified by the SHA-256 of their signature;
 * a count lives until the token expires.
 *
 * `consume` is the only write and it is atomic: it counts one use and says
 * whether that use is within the limit, in one step, whatever the number of
 * concurrent callers (or, for a shared store, of server processes). A store
 * that cannot answer throws ERR_STORE_UNAVAILABLE; the server then refuses
 * with 503 and never hands out a key (fail closed).
 *
 * Implementations: store-memory.ts, store-file.ts, store-redis.ts; chosen
 * by open-store.ts; all run through test/server/replay-store.test.ts.
 */
import { EXIT_ENVIRONMENT, KeysmithError } from '../errors.js';

export interface ReplayUse {
  /** Hex SHA-256 of the token signature (VerifiedToken.identity). */
  identity: string;
  /** The token's maxuses claim (a positive integer). */
  maxUses: number;
  /** When the count may be forgotten: the token expiry (epoch ms), tolerance included. */
  expiresAtMs: number;
}

export interface ReplayVerdict {
  /** True when this use is within maxUses. */
  allowed: boolean;
  /** Uses counted for this token, this one included. */
  count: number;
}

export interface ReplayStore {
  /** A short description for logs and --json (never credentials). */
  readonly description: string;
  /** Count one use of the token; atomic. Throws ERR_STORE_UNAVAILABLE when the store cannot answer. */
  consume(use: ReplayUse): Promise<ReplayVerdict>;
  /** Resolves when the store answers (readiness probe); throws ERR_STORE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  /** Flush and release resources. */
  close(): Promise<void>;
}

export function storeUnavailable(what: string, cause?: unknown): KeysmithError {
  return new KeysmithError('ERR_STORE_UNAVAILABLE', `replay store unavailable: ${what}`, {
    exit: EXIT_ENVIRONMENT,
    hint: 'check that the store (--store) is reachable; keys are refused until it is',
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Validate a use at the boundary of every store. */
export function checkUse(use: ReplayUse): void {
  if (!/^[0-9a-f]{64}$/.test(use.identity)) throw new TypeError('"identity" expected 64 lowercase hex digits');
  if (!Number.isSafeInteger(use.maxUses) || use.maxUses < 1) throw new TypeError('"maxUses" expected a positive integer');
  if (!Number.isFinite(use.expiresAtMs)) throw new TypeError('"expiresAtMs" expected a finite number');
}
