/**
 * The closed set of token and template error codes. Every refusal has its own
 * code and a one-line message; none carries key material or the token itself.
 * docs/policy.md lists the same table.
 */
import { EXIT_ENVIRONMENT, EXIT_FAILED, KeysmithError, type ExitStatus } from '../errors.js';

export const TOKEN_ERRORS = {
  ERR_TOKEN_MALFORMED: 'the token is not well-formed (segments, base64url, JSON or form encoding)',
  ERR_TOKEN_TOO_LARGE: 'the token is larger than 8 KiB',
  ERR_TOKEN_TYPE: 'the token is not of the type the restriction requires (JWT or SWT)',
  ERR_TOKEN_ALGORITHM: 'the JWT algorithm is not allowed for any key of the restriction (never "none")',
  ERR_TOKEN_HEADER: 'the JWT header is unacceptable (crit, b64=false, JWE)',
  ERR_TOKEN_SIGNATURE: 'no verification key of the restriction matches the signature',
  ERR_TOKEN_DUPLICATE_CLAIM: 'a claim (or header parameter) appears twice',
  ERR_TOKEN_CLAIM_TOO_LARGE: 'a claim name or value, or the number of claims, exceeds the limits',
  ERR_TOKEN_EXPIRY_MISSING: 'the token has no expiry (exp / ExpiresOn)',
  ERR_TOKEN_EXPIRED: 'the token has expired',
  ERR_TOKEN_NOT_YET_VALID: 'the token is not valid yet (nbf)',
  ERR_TOKEN_ISSUER: 'the issuer is not the one the restriction names',
  ERR_TOKEN_AUDIENCE: 'the audience is not the one the restriction names',
  ERR_TOKEN_CLAIM_MISSING: 'a required claim is missing',
  ERR_TOKEN_CLAIM_MISMATCH: 'a required claim has another value',
  ERR_TOKEN_KID_REQUIRED: 'the restriction requires the content key identifier but no key id was requested',
  ERR_TOKEN_KID_MISMATCH: 'the token names another content key than the one requested',
  ERR_TOKEN_MAXUSES_INVALID: 'maxuses is not a positive integer',
  ERR_TOKEN_MAXUSES_EXPIRY: 'a maxuses token must expire within one hour of the request',
  ERR_TEMPLATE_INVALID: 'the template / policy document is not valid',
  ERR_TEMPLATE_UNSUPPORTED: 'the template uses a feature keysmith does not support',
  ERR_TEMPLATE_OIDC: 'the template uses OpenID Connect discovery: give a JWKS file instead',
  ERR_TOKEN_KEY_INVALID: 'a key could not be read or does not fit the algorithm',
} as const;

export type TokenErrorCode = keyof typeof TOKEN_ERRORS;

export interface TokenErrorOptions {
  hint?: string;
  exit?: ExitStatus;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export function tokenError(code: TokenErrorCode, message: string, options: TokenErrorOptions = {}): KeysmithError {
  return new KeysmithError(code, message, { exit: options.exit ?? EXIT_FAILED, ...options });
}

/** A template or key file that cannot be used: exit 3 (environment), per the CLI contract. */
export function templateError(code: 'ERR_TEMPLATE_INVALID' | 'ERR_TEMPLATE_UNSUPPORTED' | 'ERR_TEMPLATE_OIDC' | 'ERR_TOKEN_KEY_INVALID', message: string, hint?: string): KeysmithError {
  return new KeysmithError(code, message, { exit: EXIT_ENVIRONMENT, ...(hint === undefined ? {} : { hint }) });
}
