/**
 * Who may have which key (SPECS §8, the Azure Media Services model).
 *
 * For each requested KID the policy gives a rule: open, token (a token
 * restriction checked by the token library as is), or deny. The rule depends
 * only on the KID, never on whether a key with that KID exists, and the
 * token is checked before the key store is looked at: an unknown KID and a
 * refused token look alike to a caller without a valid token. Only an
 * authorized caller can learn that a key does not exist (404).
 *
 * Replay (maxuses): one use is counted per request that a maxuses token
 * authorizes, atomically in the replay store, with the count kept until the
 * token expires. A store that cannot answer refuses the request (503).
 */
import type { Clock } from '../crypto/clock.js';
import type { KeyId } from '../crypto/values.js';
import { isKeysmithError } from '../errors.js';
import type { ContentKeyEntry } from '../keys/content-keys.js';
import type { TokenRestriction, VerifiedToken } from '../tokens/index.js';
import type { ServeConfig } from './config.js';
import type { ReplayStore } from './replay-store.js';

export type VerifyFn = (token: string, restriction: TokenRestriction, options: { clock?: Clock; kid?: KeyId }) => Promise<VerifiedToken>;

export interface Refusal {
  status: 400 | 401 | 404 | 503;
  code: string;
  message: string;
}

export interface Authorized {
  /** Keys the caller may have, in request order (unknown KIDs dropped). */
  keys: ContentKeyEntry[];
  /** The verified token, when one authorized a key (for logs: its identity only). */
  token?: VerifiedToken;
  /** The replay count after this use, when the token carries maxuses. */
  uses?: number;
}

export type Decision = { ok: true; value: Authorized } | { ok: false; refusal: Refusal; token?: VerifiedToken };

/** Extra time a replay count is kept past the token expiry (covers the verifier's clock tolerance). */
const COUNT_MARGIN_S = 300;

export const REFUSALS = {
  missing: { status: 401, code: 'ERR_TOKEN_MISSING', message: 'a token is required: send Authorization: Bearer <token> or ?token=' },
  denied: { status: 401, code: 'ERR_NOT_AUTHORIZED', message: 'no policy grants this key' },
  exhausted: { status: 401, code: 'ERR_TOKEN_MAXUSES_EXCEEDED', message: 'the token has fetched keys as many times as its maxuses claim allows' },
  notFound: { status: 404, code: 'ERR_KEY_NOT_FOUND', message: 'no key with this key id' },
} as const satisfies Record<string, Refusal>;

export interface AuthorizeContext {
  config: ServeConfig;
  verify: VerifyFn;
  store: ReplayStore;
  clock: Clock;
}

/** Map a verifier failure to a 401 with its code; anything not a token error propagates (500). */
function tokenRefusal(err: unknown): Refusal {
  if (isKeysmithError(err) && err.code.startsWith('ERR_TOKEN_')) return { status: 401, code: err.code, message: err.message };
  throw err;
}

/**
 * Decide a request for `kids` carrying `token` (undefined when none was sent).
 * `all`: every KID must be granted (AES key delivery); otherwise the granted
 * subset is answered (ClearKey license) and only an empty subset is refused.
 */
export async function authorize(ctx: AuthorizeContext, kids: readonly KeyId[], token: string | undefined, all: boolean): Promise<Decision> {
  const { config } = ctx;
  const granted: { kid: KeyId; byToken: boolean }[] = [];
  let firstRefusal: Refusal | undefined;
  let verified: VerifiedToken | undefined;
  let toleranceS = 0;
  for (const kid of kids) {
    const access = config.accessFor(kid);
    let refusal: Refusal | undefined;
    if (access.kind === 'open') {
      granted.push({ kid, byToken: false });
      continue;
    }
    if (access.kind === 'deny') refusal = REFUSALS.denied;
    else if (token === undefined) refusal = REFUSALS.missing;
    else {
      try {
        const v = await ctx.verify(token, access.restriction, { clock: ctx.clock, kid });
        verified = v;
        toleranceS = Math.max(toleranceS, access.restriction.clockToleranceSeconds ?? 0);
        granted.push({ kid, byToken: true });
        continue;
      } catch (err) {
        refusal = tokenRefusal(err);
      }
    }
    firstRefusal ??= refusal;
    if (all) return { ok: false, refusal, ...(verified ? { token: verified } : {}) };
  }
  if (granted.length === 0) return { ok: false, refusal: firstRefusal ?? REFUSALS.notFound };

  // Replay guard: one use per request authorized by a maxuses token.
  let uses: number | undefined;
  let list = granted;
  if (verified?.maxUses !== undefined && granted.some((g) => g.byToken)) {
    const verdict = await ctx.store.consume({
      identity: verified.identity,
      maxUses: verified.maxUses,
      expiresAtMs: (verified.expiresAt + Math.max(toleranceS, COUNT_MARGIN_S)) * 1000,
    });
    uses = verdict.count;
    if (!verdict.allowed) {
      list = granted.filter((g) => !g.byToken);
      if (all || list.length === 0) return { ok: false, refusal: REFUSALS.exhausted, token: verified };
    }
  }

  const keys = list.map((g) => config.keys.get(g.kid.hex)).filter((e): e is ContentKeyEntry => e !== undefined);
  if (keys.length === 0 || (all && keys.length !== list.length)) {
    return { ok: false, refusal: REFUSALS.notFound, ...(verified ? { token: verified } : {}) };
  }
  return { ok: true, value: { keys, ...(verified ? { token: verified } : {}), ...(uses === undefined ? {} : { uses }) } };
}
