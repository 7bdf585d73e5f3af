/**
 * JWT (RFC 7519) over compact JWS (RFC 7515 §7.1), verified the RFC 8725 way:
 * strict parsing first (three segments, canonical base64url, JSON without
 * duplicate names), then the algorithm is checked against the allowlist bound
 * to each key of the restriction, then jose verifies the signature with one
 * fixed algorithm per attempt. Keys come from the restriction only: jku, x5u,
 * jwk, x5c and kid headers never fetch or introduce a key (RFC 8725 §3.10).
 */
import { compactVerify, SignJWT } from 'jose';
import { createHash } from 'node:crypto';
import { tokenError } from './errors.js';
import { algorithmRow, type JwtAlgorithm, type SigningKey, type VerificationKey } from './keys.js';
import { isPlainObject, parseStrictJson, StrictJsonError } from './strict-json.js';
import { MAX_CLAIM_NAME, TOKEN_JSON_LIMITS } from './token-limits.js';
import type { TokenRestriction } from './restriction.js';

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signature: Buffer;
  /** ASCII(BASE64URL(header) '.' BASE64URL(payload)): the bytes that were signed. */
  signingInput: string;
}

const B64URL_RE = /^[A-Za-z0-9_-]*$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function segment(text: string, what: string): Buffer {
  // RFC 7515 §2: base64url without padding; refuse non-canonical encodings too.
  if (!B64URL_RE.test(text) || text.length % 4 === 1) throw tokenError('ERR_TOKEN_MALFORMED', `JWT ${what} is not base64url`);
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw tokenError('ERR_TOKEN_MALFORMED', `JWT ${what} is not canonical base64url`);
  return bytes;
}

function json(bytes: Buffer, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw tokenError('ERR_TOKEN_MALFORMED', `JWT ${what} is not UTF-8`);
  }
  let value: unknown;
  try {
    value = parseStrictJson(text, TOKEN_JSON_LIMITS);
  } catch (err) {
    if (err instanceof StrictJsonError) {
      if (err.kind === 'duplicate') throw tokenError('ERR_TOKEN_DUPLICATE_CLAIM', `JWT ${what} names "${err.what.slice(0, 64)}" twice`);
      if (err.kind === 'limit') throw tokenError('ERR_TOKEN_CLAIM_TOO_LARGE', `JWT ${what}: ${err.what}`);
      throw tokenError('ERR_TOKEN_MALFORMED', `JWT ${what} is not JSON (${err.what})`);
    }
    throw err;
  }
  if (!isPlainObject(value)) throw tokenError('ERR_TOKEN_MALFORMED', `JWT ${what} is not a JSON object`);
  for (const name of Object.keys(value)) {
    if (name.length > MAX_CLAIM_NAME) throw tokenError('ERR_TOKEN_CLAIM_TOO_LARGE', `JWT ${what} has a member name longer than ${MAX_CLAIM_NAME}`);
  }
  return value;
}

/** Split and decode a compact JWS/JWT without verifying anything. */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split('.');
  if (parts.length === 5) throw tokenError('ERR_TOKEN_HEADER', 'token is a JWE (encrypted JWT); keysmith verifies signed JWTs only');
  if (parts.length !== 3) throw tokenError('ERR_TOKEN_MALFORMED', `JWT has ${parts.length} segments, expected 3`);
  const [h, p, s] = parts as [string, string, string];
  const header = json(segment(h, 'header'), 'header');
  const payload = json(segment(p, 'payload'), 'payload');
  const signature = segment(s, 'signature');
  return { header, payload, signature, signingInput: `${h}.${p}` };
}

function candidateKeys(alg: JwtAlgorithm, header: Record<string, unknown>, keys: readonly VerificationKey[]): VerificationKey[] {
  const fit = keys.filter((k) => k.algorithms.includes(alg));
  // A kid only orders the attempts; it never selects a key outside the restriction.
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  return kid === undefined ? fit : [...fit.filter((k) => k.kid === kid), ...fit.filter((k) => k.kid !== kid)];
}

export interface JwtVerified {
  decoded: DecodedJwt;
  alg: JwtAlgorithm;
  key: VerificationKey;
}

/** Check header and signature. Claims are checked by the caller (verify.ts). */
export async function verifyJwtSignature(token: string, restriction: TokenRestriction): Promise<JwtVerified> {
  const decoded = decodeJwt(token);
  const { header } = decoded;
  const algName = header.alg;
  if (typeof algName !== 'string') throw tokenError('ERR_TOKEN_ALGORITHM', 'JWT header has no "alg"');
  const row = algorithmRow(algName);
  // RFC 8725 §3.1/§3.2: `none` and anything outside the table are never accepted.
  if (!row) throw tokenError('ERR_TOKEN_ALGORITHM', `JWT algorithm "${algName.slice(0, 32)}" is not allowed`, { hint: `allowed: ${[...new Set(restriction.keys.flatMap((k) => k.algorithms))].join(', ')}` });
  if (header.crit !== undefined) throw tokenError('ERR_TOKEN_HEADER', 'JWT header has "crit" extensions keysmith does not understand');
  if (header.b64 !== undefined) throw tokenError('ERR_TOKEN_HEADER', 'JWT header has "b64" (RFC 7797 unencoded payload), not allowed');
  if (header.enc !== undefined || header.zip !== undefined) throw tokenError('ERR_TOKEN_HEADER', 'JWT header has "enc"/"zip": encrypted or compressed tokens are not accepted');
  const candidates = candidateKeys(row.alg, header, restriction.keys);
  if (candidates.length === 0) {
    const kinds = [...new Set(restriction.keys.map((k) => k.kind))].join('/');
    throw tokenError('ERR_TOKEN_ALGORITHM', `JWT algorithm ${row.alg} is not allowed for the restriction's ${kinds || 'no'} key${restriction.keys.length === 1 ? '' : 's'}`, {
      hint: `allowed: ${[...new Set(restriction.keys.flatMap((k) => k.algorithms))].join(', ') || 'none'}`,
    });
  }
  if (row.signatureBytes !== undefined && decoded.signature.length !== row.signatureBytes) {
    throw tokenError('ERR_TOKEN_SIGNATURE', `JWT ${row.alg} signature has the wrong length`);
  }
  for (const key of candidates) {
    try {
      await compactVerify(token, key.key, { algorithms: [row.alg] });
      return { decoded, alg: row.alg, key };
    } catch {
      // Try the next key; which one failed and why is not told to the caller.
    }
  }
  throw tokenError('ERR_TOKEN_SIGNATURE', 'JWT signature does not verify with any key of the restriction');
}

/** Hex SHA-256 of the signature bytes: the token's identity (tokens are identified by their signature). */
export function signatureIdentity(signature: Uint8Array): string {
  return createHash('sha256').update(signature).digest('hex');
}

export interface JwtIssueInput {
  key: SigningKey;
  issuer: string;
  audience: string;
  expiresAt: number;
  notBefore?: number;
  issuedAt: number;
  /** Extra claims, in order; they may not override iss/aud/exp/nbf/iat. */
  claims: [string, string | number | boolean][];
}

export async function issueJwt(input: JwtIssueInput): Promise<string> {
  const payload: Record<string, unknown> = {};
  for (const [name, value] of input.claims) payload[name] = value;
  payload.iss = input.issuer;
  payload.aud = input.audience;
  payload.iat = input.issuedAt;
  if (input.notBefore !== undefined) payload.nbf = input.notBefore;
  payload.exp = input.expiresAt;
  return new SignJWT(payload).setProtectedHeader({ alg: input.key.alg, typ: 'JWT' }).sign(input.key.key);
}
