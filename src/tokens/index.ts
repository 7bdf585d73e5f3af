/**
 * Test tokens and token restrictions (SPECS.md §8): verify JWT and SWT
 * against a restriction read from keysmith JSON, Azure v2 XML or Azure v3
 * JSON; issue test tokens; the per-key policy document of the key server.
 */
export { TOKEN_ERRORS, type TokenErrorCode } from './errors.js';
export {
  CLAIM_CONTENT_KEY_ID,
  CLAIM_MAX_USES,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  MAX_CLOCK_TOLERANCE_SECONDS,
  MAX_RESTRICTION_KEYS,
  type RequiredClaim,
  type TokenRestriction,
  type TokenType,
} from './restriction.js';
export {
  JWT_ALGORITHMS,
  MIN_RSA_BITS,
  MIN_SECRET_BYTES,
  algorithmRow,
  jwkVerificationKey,
  jwksVerificationKeys,
  pemVerificationKey,
  rsaVerificationKey,
  signingKey,
  symmetricVerificationKey,
  x509VerificationKey,
  type AlgorithmRow,
  type JwtAlgorithm,
  type KeyKind,
  type KeyOptions,
  type KeySource,
  type SigningKey,
  type VerificationKey,
} from './keys.js';
export { MAX_USES_LIMIT, MAX_USES_MAX_LIFETIME_SECONDS } from './claims.js';
export { MAX_CLAIMS, MAX_CLAIM_NAME, MAX_CLAIM_VALUE, MAX_TOKEN_BYTES } from './token-limits.js';
export { verifyToken, sniffTokenType, type VerifiedToken, type VerifyOptions } from './verify.js';
export { issueToken, type IssueTokenOptions } from './issue.js';
export { inspectToken, type InspectedToken } from './inspect.js';
export { parseTokenRestriction, parseJwks, detectTemplateFormat, restrictionFromJson, type ParseRestrictionOptions, type TemplateFormat } from './parse-restriction.js';
export { parseKeysmithPolicy, authorizationFor, type KeyAuthorization, type KeysmithPolicy } from './policy.js';
export { AZURE_V2_NAMESPACE } from './template-azure-v2.js';
export { dotnetUrlEncode, formDecode } from './url-encoding.js';
export { decodeSwt, issueSwt } from './swt.js';
export { decodeJwt } from './jwt.js';
export { generateTokenKey, SYMMETRIC_KEY_BYTES, type GeneratedKey } from './keygen.js';
export { parseTimeSpec } from './time-spec.js';
