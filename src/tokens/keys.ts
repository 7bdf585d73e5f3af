/**
 * Verification and signing keys, and the one table that binds each JWT
 * algorithm to the key type it may be used with (RFC 8725 §3.1: the
 * algorithm comes from the key, never from the token). A token's `alg` is
 * only ever tried against keys whose row allows it: `none` has no row, an
 * HMAC algorithm never meets a public key, RSA never meets an EC key.
 */
import { X509Certificate, createHash, createPrivateKey, createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { toBase64Url } from '../crypto/bytes.js';
import { templateError } from './errors.js';

export type KeyKind = 'symmetric' | 'rsa' | 'ec';

export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

export interface AlgorithmRow {
  alg: JwtAlgorithm;
  kind: KeyKind;
  /** For HMAC: the minimum key length in bytes (RFC 7518 §3.2: at least the hash size). */
  minSecretBytes?: number;
  /** For ECDSA: the one curve (RFC 7518 §3.4). */
  curve?: 'P-256' | 'P-384' | 'P-521';
  /** Signature length for ECDSA (r‖s) in bytes. */
  signatureBytes?: number;
}

/** One row per algorithm. RFC 7518 §3.1. */
export const JWT_ALGORITHMS: readonly AlgorithmRow[] = [
  { alg: 'HS256', kind: 'symmetric', minSecretBytes: 32 },
  { alg: 'HS384', kind: 'symmetric', minSecretBytes: 48 },
  { alg: 'HS512', kind: 'symmetric', minSecretBytes: 64 },
  { alg: 'RS256', kind: 'rsa' },
  { alg: 'RS384', kind: 'rsa' },
  { alg: 'RS512', kind: 'rsa' },
  { alg: 'PS256', kind: 'rsa' },
  { alg: 'PS384', kind: 'rsa' },
  { alg: 'PS512', kind: 'rsa' },
  { alg: 'ES256', kind: 'ec', curve: 'P-256', signatureBytes: 64 },
  { alg: 'ES384', kind: 'ec', curve: 'P-384', signatureBytes: 96 },
  { alg: 'ES512', kind: 'ec', curve: 'P-521', signatureBytes: 132 },
];

export function algorithmRow(alg: string): AlgorithmRow | undefined {
  return JWT_ALGORITHMS.find((r) => r.alg === alg);
}

/** RSA keys shorter than this are refused (NIST SP 800-131A; RFC 7518 §3.3 requires 2048). */
export const MIN_RSA_BITS = 2048;
/** HMAC keys shorter than this are refused (RFC 7518 §3.2 for HS256). */
export const MIN_SECRET_BYTES = 32;

export type KeySource = 'symmetric' | 'rsa' | 'x509' | 'pem' | 'jwk';

/**
 * A key a token may be verified with. `key` is a node KeyObject (secret or
 * public): it never renders its bytes through String(), JSON or inspect.
 */
export interface VerificationKey {
  kind: KeyKind;
  source: KeySource;
  key: KeyObject;
  /** The JWT algorithms this key may verify: the allowlist bound to the key (one by default). */
  algorithms: readonly JwtAlgorithm[];
  /** Optional key id (JWK `kid`), used only to try the named key first. */
  kid?: string;
  /** A public label: `sha256:` and 16 hex digits of the SPKI (or of the secret's hash). Safe to print. */
  fingerprint: string;
}

function fingerprintOf(key: KeyObject): string {
  const material = key.type === 'secret' ? createHash('sha256').update(key.export()).digest() : key.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(material).digest('hex').slice(0, 16)}`;
}

function algorithmsFor(key: KeyObject): JwtAlgorithm[] {
  if (key.type === 'secret') {
    const n = key.symmetricKeySize ?? 0;
    return JWT_ALGORITHMS.filter((r) => r.kind === 'symmetric' && n >= (r.minSecretBytes ?? 0)).map((r) => r.alg);
  }
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return JWT_ALGORITHMS.filter((r) => r.kind === 'rsa').map((r) => r.alg);
  if (type === 'ec') {
    const curve = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[key.asymmetricKeyDetails?.namedCurve ?? ''];
    return JWT_ALGORITHMS.filter((r) => r.kind === 'ec' && r.curve === curve).map((r) => r.alg);
  }
  return [];
}

function finish(key: KeyObject, source: KeySource, kid: string | undefined, restrict?: readonly string[]): VerificationKey {
  let kind: KeyKind;
  if (key.type === 'secret') kind = 'symmetric';
  else if (key.asymmetricKeyType === 'rsa') kind = 'rsa';
  else if (key.asymmetricKeyType === 'ec') kind = 'ec';
  else throw templateError('ERR_TOKEN_KEY_INVALID', `unsupported key type ${key.asymmetricKeyType ?? key.type}`, 'use an HMAC secret, an RSA or an EC (P-256/P-384/P-521) key');
  if (kind === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw templateError('ERR_TOKEN_KEY_INVALID', `RSA key of ${bits} bits is too short`, `use at least ${MIN_RSA_BITS} bits`);
  }
  const permitted = algorithmsFor(key);
  if (permitted.length === 0) throw templateError('ERR_TOKEN_KEY_INVALID', 'no JWT algorithm fits this key', 'HMAC keys need 32 bytes or more; EC keys must be on P-256, P-384 or P-521');
  // RFC 8725 §3.1: one algorithm per key unless the template names others
  // (HS256 for secrets, RS256 for RSA, the curve's ES* for EC — what Azure key delivery accepts).
  let algorithms: JwtAlgorithm[] = [permitted[0] as JwtAlgorithm];
  if (restrict) {
    const bad = restrict.filter((a) => !permitted.includes(a as JwtAlgorithm));
    if (bad.length > 0) throw templateError('ERR_TOKEN_KEY_INVALID', `algorithm ${bad.join(', ')} does not fit this ${kind} key`, `possible for this key: ${permitted.join(', ')}`);
    if (restrict.length === 0) throw templateError('ERR_TOKEN_KEY_INVALID', 'a key needs at least one algorithm');
    algorithms = permitted.filter((a) => restrict.includes(a));
  }
  return { kind, source, key, algorithms, ...(kid === undefined ? {} : { kid }), fingerprint: fingerprintOf(key) };
}

export interface KeyOptions {
  kid?: string;
  /** The key's allowlist, chosen among the algorithms its type permits (default: HS256 / RS256 / the curve's ES*). */
  algorithms?: readonly string[];
}

/** A shared HMAC secret (Azure SymmetricVerificationKey / ContentKeyPolicySymmetricTokenKey). */
export function symmetricVerificationKey(secret: Uint8Array, options: KeyOptions = {}): VerificationKey {
  if (secret.length < MIN_SECRET_BYTES) {
    throw templateError('ERR_TOKEN_KEY_INVALID', `symmetric key of ${secret.length} bytes is too short`, `use ${MIN_SECRET_BYTES} bytes or more ('keysmith token keygen' makes 64)`);
  }
  return finish(createSecretKey(Buffer.from(secret)), 'symmetric', options.kid, options.algorithms);
}

/** An RSA public key from its modulus and exponent (Azure RsaTokenVerificationKey / ContentKeyPolicyRsaTokenKey). */
export function rsaVerificationKey(modulus: Uint8Array, exponent: Uint8Array, options: KeyOptions = {}): VerificationKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: 'RSA', n: toBase64Url(stripZeros(modulus)), e: toBase64Url(stripZeros(exponent)) }, format: 'jwk' });
  } catch (err) {
    throw templateError('ERR_TOKEN_KEY_INVALID', `RSA key (modulus/exponent) cannot be read: ${firstLine(err)}`);
  }
  return finish(key, 'rsa', options.kid, options.algorithms);
}

/** The public key of an X.509 certificate, DER or PEM (Azure X509CertTokenVerificationKey). */
export function x509VerificationKey(cert: Uint8Array | string, options: KeyOptions = {}): VerificationKey {
  let key: KeyObject;
  try {
    key = new X509Certificate(typeof cert === 'string' ? cert : Buffer.from(cert)).publicKey;
  } catch (err) {
    throw templateError('ERR_TOKEN_KEY_INVALID', `X.509 certificate cannot be read: ${firstLine(err)}`);
  }
  return finish(key, 'x509', options.kid, options.algorithms);
}

/** A PEM public key, certificate, or private key (its public half is used). */
export function pemVerificationKey(pem: string, options: KeyOptions = {}): VerificationKey {
  if (pem.includes('-----BEGIN CERTIFICATE-----')) return x509VerificationKey(pem, options);
  let key: KeyObject;
  try {
    key = pem.includes('PRIVATE KEY-----') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  } catch (err) {
    throw templateError('ERR_TOKEN_KEY_INVALID', `PEM key cannot be read: ${firstLine(err)}`);
  }
  return finish(key, 'pem', options.kid, options.algorithms);
}

/** A JWK (RFC 7517): oct, RSA or EC. Private members are dropped; only the public half verifies. */
export function jwkVerificationKey(jwk: Record<string, unknown>, options: KeyOptions = {}): VerificationKey {
  const kid = options.kid ?? (typeof jwk.kid === 'string' ? jwk.kid : undefined);
  const restrict = options.algorithms ?? (typeof jwk.alg === 'string' ? [jwk.alg] : undefined);
  if (jwk.use !== undefined && jwk.use !== 'sig') throw templateError('ERR_TOKEN_KEY_INVALID', `JWK${kid ? ` ${kid}` : ''} is not a signature key (use=${String(jwk.use)})`);
  const base = { ...(kid === undefined ? {} : { kid }), ...(restrict === undefined ? {} : { algorithms: restrict }) };
  if (jwk.kty === 'oct') {
    if (typeof jwk.k !== 'string' || !/^[A-Za-z0-9_-]*$/.test(jwk.k)) throw templateError('ERR_TOKEN_KEY_INVALID', 'oct JWK without a valid "k"');
    return { ...symmetricVerificationKey(Buffer.from(jwk.k, 'base64url'), base), source: 'jwk' };
  }
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') throw templateError('ERR_TOKEN_KEY_INVALID', `unsupported JWK kty ${String(jwk.kty)}`, 'use oct, RSA or EC');
  const pub: JsonWebKey = jwk.kty === 'RSA' ? { kty: 'RSA', n: jwk.n as string, e: jwk.e as string } : { kty: 'EC', crv: jwk.crv as string, x: jwk.x as string, y: jwk.y as string };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pub, format: 'jwk' });
  } catch (err) {
    throw templateError('ERR_TOKEN_KEY_INVALID', `JWK${kid ? ` ${kid}` : ''} cannot be read: ${firstLine(err)}`);
  }
  return finish(key, 'jwk', kid, restrict);
}

/** The keys of a JWK Set (the stand-in for OpenID Connect discovery: no network fetch). */
export function jwksVerificationKeys(jwks: unknown): VerificationKey[] {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw templateError('ERR_TEMPLATE_INVALID', 'JWKS has no "keys" array', 'a JWKS looks like {"keys":[{"kty":"RSA","n":"…","e":"AQAB"}]}');
  if (keys.length > 32) throw templateError('ERR_TEMPLATE_INVALID', `JWKS has ${keys.length} keys (more than 32)`);
  return keys.map((k) => {
    if (typeof k !== 'object' || k === null || Array.isArray(k)) throw templateError('ERR_TEMPLATE_INVALID', 'JWKS entry is not an object');
    return jwkVerificationKey(k as Record<string, unknown>);
  });
}

function stripZeros(bytes: Uint8Array): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return Buffer.from(bytes.subarray(i));
}

/** JSON.parse, but its error (which quotes the input, i.e. the key) never escapes. */
function parseKeyJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw templateError('ERR_TOKEN_KEY_INVALID', 'key JSON is not valid JSON');
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';
}

/** A key to sign with (issue): a secret for HMAC, a private key for RSA or ECDSA. */
export interface SigningKey {
  alg: JwtAlgorithm;
  key: KeyObject;
}

/**
 * Build a signing key for `alg` from key text: base64 for HMAC (the Azure
 * form), PEM or JWK (JSON) for RSA/EC private keys. Checks the key fits `alg`.
 */
export function signingKey(alg: JwtAlgorithm, text: string): SigningKey {
  const row = algorithmRow(alg);
  if (!row) throw templateError('ERR_TOKEN_KEY_INVALID', `unknown algorithm ${alg}`);
  const t = text.trim();
  if (row.kind === 'symmetric') {
    let secret: Buffer;
    if (t.startsWith('{')) {
      const jwk = parseKeyJson(t) as { kty?: string; k?: string };
      if (jwk.kty !== 'oct' || typeof jwk.k !== 'string') throw templateError('ERR_TOKEN_KEY_INVALID', 'JWK is not an oct key');
      secret = Buffer.from(jwk.k, 'base64url');
    } else {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t)) throw templateError('ERR_TOKEN_KEY_INVALID', 'symmetric key is not base64', "give the base64 text 'keysmith token keygen' prints");
      secret = Buffer.from(t, 'base64');
    }
    const n = row.minSecretBytes ?? MIN_SECRET_BYTES;
    if (secret.length < n) throw templateError('ERR_TOKEN_KEY_INVALID', `${alg} needs a key of ${n} bytes or more, got ${secret.length}`);
    return { alg, key: createSecretKey(secret) };
  }
  let key: KeyObject;
  try {
    key = t.startsWith('{') ? createPrivateKey({ key: parseKeyJson(t) as JsonWebKey, format: 'jwk' }) : createPrivateKey(t);
  } catch (err) {
    throw templateError('ERR_TOKEN_KEY_INVALID', `${alg} needs a private key (PEM or JWK): ${firstLine(err)}`);
  }
  const fits = algorithmsFor(key);
  if (!fits.includes(alg)) throw templateError('ERR_TOKEN_KEY_INVALID', `the key does not fit ${alg}`, fits.length ? `this key signs ${fits.join(', ')}` : undefined);
  if (row.kind === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) throw templateError('ERR_TOKEN_KEY_INVALID', `RSA key shorter than ${MIN_RSA_BITS} bits`);
  return { alg, key };
}
