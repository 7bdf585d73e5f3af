/**
 * keysmith's own restriction form (JSON), documented in docs/policy.md:
 *   { "type": "jwt"|"swt", "issuer": "…", "audience": "…",
 *     "keys": [ {"kind":"symmetric","key":"<base64>"} | {"kind":"pem","key":"-----BEGIN …"}
 *             | {"kind":"jwk","key":{…}} | {"kind":"rsa","modulus":"<b64>","exponent":"<b64>"}
 *             | {"kind":"x509","key":"<base64 DER or PEM>"} ]   (each may add "kid", "algorithms")
 *     "jwks": {"keys":[…]},                                     (optional, OIDC stand-in)
 *     "requiredClaims": [ {"type":"…","value":"…"} ],
 *     "clockToleranceSeconds": 60 }
 * Unknown fields are refused, so a typo cannot silently drop a rule.
 */
import { templateError } from './errors.js';
import { jwkVerificationKey, jwksVerificationKeys, pemVerificationKey, rsaVerificationKey, symmetricVerificationKey, x509VerificationKey, type KeyOptions, type VerificationKey } from './keys.js';
import type { TokenRestriction } from './restriction.js';
import { base64Field, finishRestriction, isPlainObject, onlyKnown, requiredClaim, str, tokenType, where } from './template-common.js';

const RESTRICTION_FIELDS = ['type', 'issuer', 'audience', 'keys', 'jwks', 'requiredClaims', 'clockToleranceSeconds'] as const;
const KEY_FIELDS = ['kind', 'key', 'modulus', 'exponent', 'kid', 'algorithms'] as const;

export function isKeysmithRestriction(v: Record<string, unknown>): boolean {
  return typeof v.type === 'string' && 'issuer' in v && 'audience' in v;
}

function readKey(k: unknown, what: string, source?: string): VerificationKey {
  if (!isPlainObject(k)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}${what} is not an object`);
  onlyKnown(k, KEY_FIELDS, what, source);
  const opts: KeyOptions = {};
  if (k.kid !== undefined) opts.kid = str(k, 'kid', source, `${what}.kid`);
  if (k.algorithms !== undefined) {
    if (!Array.isArray(k.algorithms) || !k.algorithms.every((a) => typeof a === 'string')) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}${what}.algorithms must be an array of strings`);
    opts.algorithms = k.algorithms as string[];
  }
  switch (k.kind) {
    case 'symmetric':
      return symmetricVerificationKey(base64Field(k.key, `${what}.key`, source), opts);
    case 'pem':
      return pemVerificationKey(str(k, 'key', source, `${what}.key`), opts);
    case 'jwk':
      if (!isPlainObject(k.key)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}${what}.key must be a JWK object`);
      return jwkVerificationKey(k.key, opts);
    case 'rsa':
      return rsaVerificationKey(base64Field(k.modulus, `${what}.modulus`, source), base64Field(k.exponent, `${what}.exponent`, source), opts);
    case 'x509': {
      const v = str(k, 'key', source, `${what}.key`);
      return x509VerificationKey(v.includes('-----BEGIN') ? v : base64Field(v, `${what}.key`, source), opts);
    }
    default:
      throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}${what}.kind must be symmetric, pem, jwk, rsa or x509`);
  }
}

export function parseKeysmithRestriction(v: Record<string, unknown>, source?: string, extraKeys: VerificationKey[] = []): TokenRestriction {
  onlyKnown(v, RESTRICTION_FIELDS, 'restriction', source);
  const keys: VerificationKey[] = [];
  if (v.keys !== undefined) {
    if (!Array.isArray(v.keys)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}keys must be an array`);
    v.keys.forEach((k, i) => keys.push(readKey(k, `keys[${i}]`, source)));
  }
  if (v.jwks !== undefined) keys.push(...jwksVerificationKeys(v.jwks));
  const claims = v.requiredClaims ?? [];
  if (!Array.isArray(claims)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}requiredClaims must be an array`);
  const tol = v.clockToleranceSeconds;
  if (tol !== undefined && typeof tol !== 'number') throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}clockToleranceSeconds must be a number`);
  return finishRestriction(
    {
      type: tokenType(v.type, source),
      issuer: str(v, 'issuer', source),
      audience: str(v, 'audience', source),
      keys: [...keys, ...extraKeys],
      requiredClaims: claims.map((c, i) => {
        if (!isPlainObject(c)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}requiredClaims[${i}] is not an object`);
        onlyKnown(c, ['type', 'value'], `requiredClaims[${i}]`, source);
        return requiredClaim(c.type, c.value, source);
      }),
      ...(tol === undefined ? {} : { clockToleranceSeconds: tol }),
    },
    source,
  );
}
