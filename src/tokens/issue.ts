/**
 * issueToken: test tokens for a restriction (JWT: HS256/RS256/ES256 …; SWT:
 * HMACSHA256 as .NET writes it). Azure claims: `kid` writes
 * contentkeyidentifier (lowercase UUID), `maxUses` writes maxuses.
 */
import { systemClock, type Clock } from '../crypto/clock.js';
import type { KeyId } from '../crypto/values.js';
import { MAX_USES_LIMIT } from './claims.js';
import { tokenError } from './errors.js';
import { issueJwt } from './jwt.js';
import type { SigningKey } from './keys.js';
import { CLAIM_CONTENT_KEY_ID, CLAIM_MAX_USES, type TokenType } from './restriction.js';
import { issueSwt } from './swt.js';
import { usageError } from '../errors.js';

export interface IssueTokenOptions {
  type: TokenType;
  /** For SWT the key must be HS256-class (a secret); its alg is then ignored. */
  key: SigningKey;
  issuer: string;
  audience: string;
  /** Epoch seconds. */
  expiresAt: number;
  /** Epoch seconds (JWT only). */
  notBefore?: number;
  maxUses?: number;
  kid?: KeyId;
  /** Extra claims in order. JWT values may be strings, numbers or booleans; SWT values become strings. */
  claims?: [string, string | number | boolean][];
  clock?: Clock;
}

const JWT_REGISTERED = ['iss', 'aud', 'exp', 'nbf', 'iat'];

export async function issueToken(options: IssueTokenOptions): Promise<string> {
  const now = Math.floor((options.clock ?? systemClock).now() / 1000);
  if (!Number.isSafeInteger(options.expiresAt) || options.expiresAt <= 0) throw usageError('expiry must be a positive number of epoch seconds');
  if (options.maxUses !== undefined && (!Number.isSafeInteger(options.maxUses) || options.maxUses < 1 || options.maxUses > MAX_USES_LIMIT)) {
    throw usageError(`--max-uses must be an integer from 1 to ${MAX_USES_LIMIT}`);
  }
  const claims: [string, string | number | boolean][] = [];
  if (options.kid) claims.push([CLAIM_CONTENT_KEY_ID, options.kid.uuid]);
  // Azure accepts maxuses as a number or a string; SWT can only carry strings.
  if (options.maxUses !== undefined) claims.push([CLAIM_MAX_USES, options.type === 'jwt' ? options.maxUses : String(options.maxUses)]);
  for (const [name, value] of options.claims ?? []) {
    if (claims.some(([n]) => n === name)) throw usageError(`claim ${name} given twice`);
    claims.push([name, value]);
  }
  if (options.type === 'jwt') {
    for (const [name] of claims) if (JWT_REGISTERED.includes(name)) throw usageError(`claim ${name} is set by --issuer/--audience/--expires/--not-before`);
    return issueJwt({
      key: options.key,
      issuer: options.issuer,
      audience: options.audience,
      expiresAt: options.expiresAt,
      ...(options.notBefore === undefined ? {} : { notBefore: options.notBefore }),
      issuedAt: now,
      claims,
    });
  }
  if (options.notBefore !== undefined) throw usageError('SWT has no not-before field', 'drop --not-before, or issue a JWT');
  if (options.key.key.type !== 'secret') throw tokenError('ERR_TOKEN_ALGORITHM', 'SWT is signed with HMACSHA256: it needs a symmetric key');
  return issueSwt({
    key: options.key.key,
    issuer: options.issuer,
    audience: options.audience,
    expiresAt: options.expiresAt,
    claims: claims.map(([n, v]) => [n, String(v)]),
  });
}
