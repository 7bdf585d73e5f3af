/**
 * Interop with a tool nobody here wrote: openssl signs JWS inputs (HS256 with
 * -hmac, RS256 and ES256 with -sign; ECDSA DER converted to JOSE r‖s per
 * RFC 7518 §3.4) and our verifier must accept them; openssl's HMAC must
 * equal the MAC in our SWT.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { issueToken, pemVerificationKey, signingKey, symmetricVerificationKey, verifyToken } from '../../src/tokens/index.js';
import { requireTool } from '../helpers/tools.js';
import { AUDIENCE, EC_PUBLIC_PEM, FIXTURES, ISSUER, KID, NOW, RSA_PRIVATE_PEM, RSA_PUBLIC_PEM, SECRET, SECRET_B64, clock, restriction } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'keysmith-tokens-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[], input: Buffer | string): Buffer {
  const r = spawnSync('openssl', args, { input });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout;
}

const b64u = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

function signingInput(alg: string): string {
  return `${b64u(JSON.stringify({ alg, typ: 'JWT' }))}.${b64u(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, exp: NOW + 600, sub: 'openssl' }))}`;
}

/** DER ECDSA-Sig-Value (SEQUENCE { r INTEGER, s INTEGER }) → 64-byte r‖s. */
function derToJose(der: Buffer, size = 32): Buffer {
  let i = 2;
  if ((der[1] as number) & 0x80) i += (der[1] as number) & 0x7f;
  const int = (): Buffer => {
    assert.equal(der[i], 0x02);
    const len = der[i + 1] as number;
    const v = der.subarray(i + 2, i + 2 + len);
    i += 2 + len;
    const trimmed = v[0] === 0 ? v.subarray(1) : v;
    return Buffer.concat([Buffer.alloc(size - trimmed.length), trimmed]);
  };
  return Buffer.concat([int(), int()]);
}

describe('openssl interop', () => {
  it('verifies an HS256 JWT signed by openssl dgst -hmac', async (t) => {
    if (!requireTool(t, 'openssl')) return;
    const input = signingInput('HS256');
    const sig = openssl(['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${SECRET.toString('hex')}`, '-binary'], input);
    const v = await verifyToken(`${input}.${b64u(sig)}`, restriction('jwt'), { clock });
    assert.equal(v.claims.sub, 'openssl');
  });

  it('verifies an RS256 JWT signed by openssl dgst -sign', async (t) => {
    if (!requireTool(t, 'openssl')) return;
    const input = signingInput('RS256');
    const sig = openssl(['dgst', '-sha256', '-sign', join(FIXTURES, 'rsa-test.key.pem')], input);
    const v = await verifyToken(`${input}.${b64u(sig)}`, restriction('jwt', [pemVerificationKey(RSA_PUBLIC_PEM)]), { clock });
    assert.equal(v.algorithm, 'RS256');
  });

  it('verifies an ES256 JWT signed by openssl (DER converted to r‖s)', async (t) => {
    if (!requireTool(t, 'openssl')) return;
    const input = signingInput('ES256');
    const der = openssl(['dgst', '-sha256', '-sign', join(FIXTURES, 'ec-test.key.pem')], input);
    const v = await verifyToken(`${input}.${b64u(derToJose(der))}`, restriction('jwt', [pemVerificationKey(EC_PUBLIC_PEM)]), { clock });
    assert.equal(v.algorithm, 'ES256');
    // The DER form itself is not a JWS signature: refused, not crashed.
    await assert.rejects(verifyToken(`${input}.${b64u(der)}`, restriction('jwt', [pemVerificationKey(EC_PUBLIC_PEM)]), { clock }), { code: 'ERR_TOKEN_SIGNATURE' });
  });

  it('openssl verifies our RS256 signature', async (t) => {
    if (!requireTool(t, 'openssl')) return;
    const token = await issueToken({ type: 'jwt', key: signingKey('RS256', RSA_PRIVATE_PEM), issuer: ISSUER, audience: AUDIENCE, expiresAt: NOW + 600, clock });
    const [h, p, s] = token.split('.') as [string, string, string];
    const sigFile = join(dir, 'rs256.sig');
    writeFileSync(sigFile, Buffer.from(s, 'base64url'));
    const out = openssl(['dgst', '-sha256', '-verify', join(FIXTURES, 'rsa-test.pub.pem'), '-signature', sigFile], `${h}.${p}`).toString();
    assert.match(out, /Verified OK/);
  });

  it('our SWT MAC equals openssl dgst -sha256 -mac HMAC over the raw bytes', async (t) => {
    if (!requireTool(t, 'openssl')) return;
    const swt = await issueToken({ type: 'swt', key: signingKey('HS256', SECRET_B64), issuer: ISSUER, audience: AUDIENCE, expiresAt: NOW + 600, kid: KID, clock });
    const [body, mac] = swt.split('&HMACSHA256=') as [string, string];
    const expected = openssl(['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${SECRET.toString('hex')}`, '-binary'], body);
    assert.equal(decodeURIComponent(mac), expected.toString('base64'));
    await verifyToken(swt, restriction('swt', [symmetricVerificationKey(SECRET)]), { clock, kid: KID });
  });
});
