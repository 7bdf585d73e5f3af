/** Helpers shared by the template readers: strict field access with precise errors. */
import { templateError } from './errors.js';
import { MAX_RESTRICTION_KEYS, MAX_CLOCK_TOLERANCE_SECONDS, type RequiredClaim, type TokenRestriction, type TokenType } from './restriction.js';
import { isPlainObject, parseStrictJson, StrictJsonError, type StrictJsonLimits } from './strict-json.js';

/** Templates hold certificates and PEM keys: larger strings than tokens, still bounded. */
export const TEMPLATE_JSON_LIMITS: StrictJsonLimits = { maxDepth: 16, maxMembers: 4096, maxString: 64 * 1024 };
export const MAX_TEMPLATE_BYTES = 1024 * 1024;

export function where(source: string | undefined): string {
  return source ? `${source}: ` : '';
}

export function parseTemplateJson(text: string, source?: string): unknown {
  try {
    return parseStrictJson(text, TEMPLATE_JSON_LIMITS);
  } catch (err) {
    if (err instanceof StrictJsonError) {
      const what = err.kind === 'duplicate' ? `member "${err.what.slice(0, 64)}" appears twice` : err.what;
      throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}not valid JSON (${what})`);
    }
    throw err;
  }
}

export function str(obj: Record<string, unknown>, name: string, source?: string, what = name): string {
  const v = obj[name];
  if (typeof v !== 'string' || v.length === 0) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}${what} must be a non-empty string`);
  return v;
}

export function base64Field(v: unknown, what: string, source?: string): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(v.replace(/\s+/g, ''))) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}${what} must be base64`);
  return Buffer.from(v.replace(/\s+/g, ''), 'base64');
}

export function onlyKnown(obj: Record<string, unknown>, known: readonly string[], what: string, source?: string): void {
  const unknown = Object.keys(obj).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}${what} has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).join(', ')}`, `known fields: ${known.join(', ')}`);
  }
}

export function tokenType(v: unknown, source?: string): TokenType {
  if (typeof v === 'string') {
    const t = v.toLowerCase();
    if (t === 'jwt' || t === 'swt') return t;
  }
  throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}token type must be JWT or SWT, got ${JSON.stringify(v)?.slice(0, 32)}`);
}

export function requiredClaim(type: unknown, value: unknown, source?: string): RequiredClaim {
  if (typeof type !== 'string' || type.length === 0 || type.length > 256) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}required claim type must be a string of 1 to 256 characters`);
  if (value === undefined || value === null) return { type };
  if (typeof value !== 'string') throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}required claim ${type}: value must be a string`);
  return { type, value };
}

/** Validate a restriction read from any template form; `needsJwks` marks one that named OIDC discovery instead of keys. */
export function finishRestriction(r: TokenRestriction & { needsJwks?: boolean }, source?: string): TokenRestriction {
  if (r.keys.length === 0) {
    if (r.needsJwks) throw templateError('ERR_TEMPLATE_OIDC', `${where(source)}the template uses OpenID Connect discovery and no JWKS was given`, 'keysmith fetches nothing: download the JWKS (jwks_uri) and pass it with --jwks FILE');
    throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}the template has no verification key`);
  }
  if (r.keys.length > MAX_RESTRICTION_KEYS) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}more than ${MAX_RESTRICTION_KEYS} verification keys`);
  if (r.type === 'swt' && !r.keys.some((k) => k.kind === 'symmetric')) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}an SWT restriction needs a symmetric key`);
  const tol = r.clockToleranceSeconds;
  if (tol !== undefined && (!Number.isInteger(tol) || tol < 0 || tol > MAX_CLOCK_TOLERANCE_SECONDS)) {
    throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}clockToleranceSeconds must be an integer from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}`);
  }
  const seen = new Set<string>();
  for (const c of r.requiredClaims) {
    if (seen.has(c.type)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}required claim ${c.type} listed twice`);
    seen.add(c.type);
  }
  return {
    type: r.type,
    issuer: r.issuer,
    audience: r.audience,
    keys: r.keys,
    requiredClaims: r.requiredClaims,
    ...(tol === undefined ? {} : { clockToleranceSeconds: tol }),
  };
}

export { isPlainObject };
