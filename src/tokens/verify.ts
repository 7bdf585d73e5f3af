/**
 * verifyToken: one entry point for JWT and SWT. Order: size, type, structure,
 * signature, then claims (times, issuer, audience, required claims, KID,
 * maxuses). Nothing about the claims is reported before the signature holds.
 */
import { systemClock, type Clock } from '../crypto/clock.js';
import type { KeyId } from '../crypto/values.js';
import { checkIssuerAudience, checkMaxUses, checkRequiredClaims, checkTimes } from './claims.js';
import { tokenError } from './errors.js';
import { signatureIdentity, verifyJwtSignature } from './jwt.js';
import { MAX_CLAIM_VALUE, MAX_TOKEN_BYTES } from './token-limits.js';
import type { TokenRestriction, TokenType } from './restriction.js';
import { verifySwtSignature } from './swt.js';

export interface VerifyOptions {
  /** "Now"; defaults to the system clock. */
  clock?: Clock;
  /** The key id being requested (for contentkeyidentifier). */
  kid?: KeyId;
}

export interface VerifiedToken {
  type: TokenType;
  claims: Record<string, unknown>;
  /** Hex SHA-256 of the signature bytes: the token's identity for the replay guard. */
  identity: string;
  /** The maxuses limit, when the token carries one. */
  maxUses?: number;
  /** Epoch seconds. */
  expiresAt: number;
  /** JWT algorithm (HS256 …) or 'HMACSHA256' for SWT. */
  algorithm: string;
  /** Fingerprint of the key that verified it (public; never the key). */
  keyFingerprint: string;
}

/** What the token looks like, judged by its characters only. */
export function sniffTokenType(token: string): TokenType | undefined {
  // JWS compact segments are base64url: never '=' or '&'. SWT is form-encoded: always '='.
  if (/^[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*)+$/.test(token)) return 'jwt';
  if (/(^|&)HMACSHA256=/.test(token)) return 'swt';
  return undefined;
}

export function checkTokenSize(token: string): void {
  if (Buffer.byteLength(token, 'utf8') > MAX_TOKEN_BYTES) {
    throw tokenError('ERR_TOKEN_TOO_LARGE', `token is larger than ${MAX_TOKEN_BYTES} bytes`);
  }
}

function numericDate(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  // RFC 7519 §2 NumericDate: a JSON number of seconds. Fractions are allowed; we floor them.
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 253402300799) throw tokenError('ERR_TOKEN_MALFORMED', `JWT "${name}" is not a NumericDate`);
  return Math.floor(v);
}

export async function verifyToken(token: string, restriction: TokenRestriction, options: VerifyOptions = {}): Promise<VerifiedToken> {
  if (typeof token !== 'string') throw new TypeError('token must be a string');
  checkTokenSize(token);
  const t = token.trim();
  if (t.length === 0) throw tokenError('ERR_TOKEN_MALFORMED', 'token is empty');
  const nowSeconds = Math.floor((options.clock ?? systemClock).now() / 1000);
  const looks = sniffTokenType(t);
  if (looks !== undefined && looks !== restriction.type) {
    throw tokenError('ERR_TOKEN_TYPE', `token is ${looks.toUpperCase()}, the restriction requires ${restriction.type.toUpperCase()}`);
  }

  if (restriction.type === 'jwt') {
    const { decoded, alg, key } = await verifyJwtSignature(t, restriction);
    const p = decoded.payload;
    const expiresAt = numericDate(p.exp, 'exp');
    // RFC 8725 §3.10 spirit, SPECS.md §8: a key-delivery token must expire.
    if (expiresAt === undefined) throw tokenError('ERR_TOKEN_EXPIRY_MISSING', 'JWT has no "exp" claim', { hint: 'issue tokens with an expiry' });
    const notBefore = numericDate(p.nbf, 'nbf');
    const c = { issuer: p.iss, audience: p.aud, expiresAt, ...(notBefore === undefined ? {} : { notBefore }), claims: p };
    checkTimes(c, nowSeconds, restriction);
    checkIssuerAudience(c, restriction);
    checkRequiredClaims(p, restriction, options.kid);
    const maxUses = checkMaxUses(p, expiresAt, nowSeconds);
    return {
      type: 'jwt',
      claims: p,
      identity: signatureIdentity(decoded.signature),
      ...(maxUses === undefined ? {} : { maxUses }),
      expiresAt,
      algorithm: alg,
      keyFingerprint: key.fingerprint,
    };
  }

  const { decoded, key } = verifySwtSignature(t, restriction);
  const claims = decoded.claims;
  const exp = claims.ExpiresOn;
  if (exp === undefined) throw tokenError('ERR_TOKEN_EXPIRY_MISSING', 'SWT has no ExpiresOn field');
  if (!/^[0-9]{1,12}$/.test(exp)) throw tokenError('ERR_TOKEN_MALFORMED', 'SWT ExpiresOn is not a number of seconds');
  const expiresAt = Number(exp);
  const c = { issuer: claims.Issuer, audience: claims.Audience, expiresAt, claims };
  checkTimes(c, nowSeconds, restriction);
  checkIssuerAudience(c, restriction);
  checkRequiredClaims(claims, restriction, options.kid);
  const maxUses = checkMaxUses(claims, expiresAt, nowSeconds);
  if (Object.values(claims).some((v) => v.length > MAX_CLAIM_VALUE)) throw tokenError('ERR_TOKEN_CLAIM_TOO_LARGE', 'SWT claim value too long');
  return {
    type: 'swt',
    claims,
    identity: signatureIdentity(decoded.signature),
    ...(maxUses === undefined ? {} : { maxUses }),
    expiresAt,
    algorithm: 'HMACSHA256',
    keyFingerprint: key.fingerprint,
  };
}
