/** Shared material for the token tests: fixed time, keys from the fixtures, raw JWS signing. */
import { createHmac, createPrivateKey, sign as nodeSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fixedClock } from '../../src/crypto/clock.js';
import { KeyId } from '../../src/crypto/values.js';
import { pemVerificationKey, symmetricVerificationKey, type TokenRestriction } from '../../src/tokens/index.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/tokens/', import.meta.url));
export const VECTORS = fileURLToPath(new URL('../vectors/tokens/', import.meta.url));

export function fixture(name: string): string {
  return readFileSync(`${FIXTURES}${name}`, 'utf8');
}

export function vector<T>(name: string): T {
  return JSON.parse(readFileSync(`${VECTORS}${name}`, 'utf8')) as T;
}

/** "Now" in every test: 2026-01-01T00:00:00Z. Never the wall clock. */
export const NOW = 1767225600;
export const clock = fixedClock(NOW * 1000);

export const ISSUER = 'https://sts.keysmith.test/';
export const AUDIENCE = 'urn:keysmith:test';
export const KID = KeyId.parse('0e7fd0c2-5a43-4d7b-9b4c-0c7d9c6c1e11');
export const OTHER_KID = KeyId.parse('9a1b8c7d-6e5f-4031-2233-445566778899');

/** The primary key of the Azure SDK's sample templates (64 bytes). */
export const SECRET_B64 = '2OvxltHKwILn5PCRD8H+63sK98LBs1yF+ZdZbwzmToWYm29pLyqIMuCvMRGpLOv5DYh3NmpzWMAciu4ncW8VTg==';
export const SECRET = Buffer.from(SECRET_B64, 'base64');
export const ALT_SECRET_B64 = 'GG07fDPZ+HMD2vcoknMqYjEJMb7LSq8zUmdCYMvRCevnQK//ilbhODO/FydMrHiwZGmI6XywvOOU7SSzRPlI3Q==';

export const RSA_PRIVATE_PEM = fixture('rsa-test.key.pem');
export const RSA_PUBLIC_PEM = fixture('rsa-test.pub.pem');
export const EC_PRIVATE_PEM = fixture('ec-test.key.pem');
export const EC_PUBLIC_PEM = fixture('ec-test.pub.pem');

export function restriction(type: 'jwt' | 'swt', keys = [symmetricVerificationKey(SECRET)], more: Partial<TokenRestriction> = {}): TokenRestriction {
  return { type, issuer: ISSUER, audience: AUDIENCE, keys, requiredClaims: [], ...more };
}

export const rsaRestriction = (): TokenRestriction => restriction('jwt', [pemVerificationKey(RSA_PUBLIC_PEM)]);

const b64u = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

/**
 * A compact JWS from raw JSON text, signed outside jose, so tests can build
 * tokens no well-behaved library would (duplicate names, alg none, jku …).
 */
export function rawJws(headerJson: string, payloadJson: string, key: { hmac?: Buffer; rsaPem?: string } | 'none'): string {
  const input = `${b64u(headerJson)}.${b64u(payloadJson)}`;
  if (key === 'none') return `${input}.`;
  if (key.hmac) return `${input}.${createHmac('sha256', key.hmac).update(input).digest('base64url')}`;
  return `${input}.${nodeSign('sha256', Buffer.from(input), createPrivateKey(key.rsaPem as string)).toString('base64url')}`;
}

export function claimsJson(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ iss: ISSUER, aud: AUDIENCE, exp: NOW + 600, ...extra });
}
