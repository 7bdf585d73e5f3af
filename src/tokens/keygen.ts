/**
 * Key generation for test tokens. Symmetric: 64 random bytes, base64 (the
 * form Azure Media Services generates for SymmetricVerificationKey).
 * Asymmetric: an RSA-2048 or P-256 key pair as PKCS#8/SPKI PEM and a public JWK.
 */
import { createPublicKey, generateKeyPairSync, createHash } from 'node:crypto';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import type { JwtAlgorithm } from './keys.js';

export const SYMMETRIC_KEY_BYTES = 64;

export type GeneratedKey =
  | { alg: JwtAlgorithm; kind: 'symmetric'; base64: string }
  | { alg: JwtAlgorithm; kind: 'rsa' | 'ec'; privatePem: string; publicPem: string; publicJwk: Record<string, unknown> };

export function generateTokenKey(alg: 'HS256' | 'RS256' | 'ES256', random: RandomSource = systemRandom): GeneratedKey {
  if (alg === 'HS256') return { alg, kind: 'symmetric', base64: random.bytes(SYMMETRIC_KEY_BYTES).toString('base64') };
  const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKey = createPublicKey(pair.privateKey);
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  // RFC 7638 thumbprint as kid: stable, public, derived from the key.
  const members = alg === 'RS256' ? { e: jwk.e, kty: 'RSA', n: jwk.n } : { crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y };
  const kid = createHash('sha256').update(JSON.stringify(members)).digest('base64url');
  return {
    alg,
    kind: alg === 'RS256' ? 'rsa' : 'ec',
    privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    publicJwk: { ...jwk, kid, alg, use: 'sig' },
  };
}
