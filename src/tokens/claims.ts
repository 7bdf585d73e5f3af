/**
 * Claim rules shared by JWT and SWT: expiry, issuer, audience, required
 * claims, the content key identifier and maxuses (SPECS.md §8).
 */
import { KeyId } from '../crypto/values.js';
import { tokenError } from './errors.js';
import { CLAIM_CONTENT_KEY_ID, CLAIM_MAX_USES, DEFAULT_CLOCK_TOLERANCE_SECONDS, MAX_CLOCK_TOLERANCE_SECONDS, type TokenRestriction } from './restriction.js';

/** A maxuses token may expire at most this long after the request (Azure key delivery rule). */
export const MAX_USES_MAX_LIFETIME_SECONDS = 3600;

/** Largest maxuses accepted (a 32-bit counter is plenty; bigger is a mistake or an attack). */
export const MAX_USES_LIMIT = 2 ** 31 - 1;

export interface NormalizedClaims {
  issuer: unknown;
  audience: unknown;
  expiresAt: number;
  notBefore?: number;
  claims: Record<string, unknown>;
}

export function checkTimes(c: NormalizedClaims, nowSeconds: number, restriction: TokenRestriction): void {
  // A restriction built in code skips the template checks: clamp the leeway to 0 … 300 s here too.
  const raw = restriction.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  const tol = Number.isFinite(raw) ? Math.min(Math.max(Math.floor(raw), 0), MAX_CLOCK_TOLERANCE_SECONDS) : DEFAULT_CLOCK_TOLERANCE_SECONDS;
  // RFC 7519 §4.1.4: the current time MUST be before exp (plus a small leeway).
  if (nowSeconds >= c.expiresAt + tol) {
    throw tokenError('ERR_TOKEN_EXPIRED', `token expired at ${new Date(c.expiresAt * 1000).toISOString().replace('.000Z', 'Z')}`, {
      hint: 'issue a new token',
      details: { expiresAt: c.expiresAt, now: nowSeconds },
    });
  }
  // RFC 7519 §4.1.5: not before nbf (minus the leeway).
  if (c.notBefore !== undefined && nowSeconds + tol < c.notBefore) {
    throw tokenError('ERR_TOKEN_NOT_YET_VALID', `token is not valid before ${new Date(c.notBefore * 1000).toISOString().replace('.000Z', 'Z')}`, {
      hint: 'check the clocks of issuer and key server',
      details: { notBefore: c.notBefore, now: nowSeconds },
    });
  }
}

export function checkIssuerAudience(c: NormalizedClaims, restriction: TokenRestriction): void {
  // Exact, case-sensitive string comparison (RFC 7519 §4.1.1, §4.1.3).
  if (c.issuer !== restriction.issuer) {
    throw tokenError('ERR_TOKEN_ISSUER', c.issuer === undefined ? 'token has no issuer' : 'token issuer does not match the restriction', {
      details: { expected: restriction.issuer, got: typeof c.issuer === 'string' ? c.issuer.slice(0, 256) : c.issuer === undefined ? null : typeof c.issuer },
    });
  }
  const aud = c.audience;
  const ok = typeof aud === 'string' ? aud === restriction.audience : Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string') && aud.includes(restriction.audience);
  if (!ok) {
    throw tokenError('ERR_TOKEN_AUDIENCE', aud === undefined ? 'token has no audience' : 'token audience does not match the restriction', {
      details: { expected: restriction.audience, got: typeof aud === 'string' ? aud.slice(0, 256) : aud === undefined ? null : Array.isArray(aud) ? 'array' : typeof aud },
    });
  }
}

function claimStrings(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')) return v.map(String);
  return undefined;
}

function parseKidClaim(v: unknown): KeyId | undefined {
  if (typeof v !== 'string') return undefined;
  try {
    return KeyId.parse(v);
  } catch {
    return undefined;
  }
}

/**
 * Required claims: one with a value must carry exactly that value; one
 * without must be present. contentkeyidentifier without a value must name
 * the requested KID (compared as UUIDs, whatever the notation). A token that
 * names a KID must name the requested one even when the restriction does not
 * require the claim: it was issued for that key only.
 */
export function checkRequiredClaims(claims: Record<string, unknown>, restriction: TokenRestriction, kid: KeyId | undefined): void {
  for (const rc of restriction.requiredClaims) {
    const present = Object.prototype.hasOwnProperty.call(claims, rc.type);
    if (!present) throw tokenError('ERR_TOKEN_CLAIM_MISSING', `token lacks the required claim ${rc.type}`, { details: { claim: rc.type } });
    const v = claims[rc.type];
    if (rc.value !== undefined) {
      const got = claimStrings(v);
      if (!got || !got.includes(rc.value)) throw tokenError('ERR_TOKEN_CLAIM_MISMATCH', `claim ${rc.type} does not have the required value`, { details: { claim: rc.type } });
    } else if (rc.type === CLAIM_CONTENT_KEY_ID) {
      if (!kid) throw tokenError('ERR_TOKEN_KID_REQUIRED', 'the restriction requires the content key identifier, but no key id was requested', { hint: 'give the requested key id (--kid)' });
    }
  }
  if (Object.prototype.hasOwnProperty.call(claims, CLAIM_CONTENT_KEY_ID) && kid) {
    const named = parseKidClaim(claims[CLAIM_CONTENT_KEY_ID]);
    if (!named || !named.equals(kid)) {
      throw tokenError('ERR_TOKEN_KID_MISMATCH', named ? `token is for key ${named.uuid}, not ${kid.uuid}` : 'token content key identifier is not a key id', { details: { requested: kid.uuid, token: named?.uuid ?? null } });
    }
  }
}

/**
 * maxuses: a positive integer, as a JSON number or a numeric string (SWT
 * values are always strings). A token carrying it must expire no more than
 * one hour after the request (SPECS.md §8). Returns the limit, or undefined.
 */
export function checkMaxUses(claims: Record<string, unknown>, expiresAt: number, nowSeconds: number): number | undefined {
  if (!Object.prototype.hasOwnProperty.call(claims, CLAIM_MAX_USES)) return undefined;
  const v = claims[CLAIM_MAX_USES];
  let n: number | undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v)) n = v;
  else if (typeof v === 'string' && /^[0-9]{1,10}$/.test(v)) n = Number(v);
  if (n === undefined || n < 1 || n > MAX_USES_LIMIT) {
    throw tokenError('ERR_TOKEN_MAXUSES_INVALID', `maxuses must be a positive integer (1 to ${MAX_USES_LIMIT})`, { details: { claim: CLAIM_MAX_USES } });
  }
  if (expiresAt - nowSeconds > MAX_USES_MAX_LIFETIME_SECONDS) {
    throw tokenError('ERR_TOKEN_MAXUSES_EXPIRY', 'a token with maxuses must expire within one hour of the request', {
      hint: 'issue it with --expires 1h or less',
      details: { expiresAt, now: nowSeconds },
    });
  }
  return n;
}
