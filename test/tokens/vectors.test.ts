/**
 * Published vectors: the Azure SDK's known-good SWT and JWT, and .NET
 * HttpUtility.UrlEncode behaviour (sources in test/vectors/tokens/*.json).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixedClock } from '../../src/crypto/clock.js';
import { KeyId } from '../../src/crypto/values.js';
import { decodeSwt, dotnetUrlEncode, issueToken, signingKey, symmetricVerificationKey, verifyToken } from '../../src/tokens/index.js';
import { vector } from './helpers.js';

interface SdkVectors {
  keyAscii: string;
  swt: { issuer: string; audience: string; expiresOn: number; contentKeyIdentifier: string; token: string };
  jwt: { issuer: string; audience: string; expiresOn: number; contentKeyIdentifier: string; token: string };
}
interface UrlVectors {
  cases: { in: string; out: string }[];
  published: string[];
}

const sdk = vector<SdkVectors>('azure-sdk-tokens.json');
const url = vector<UrlVectors>('dotnet-urlencode.json');
const key = Buffer.from(sdk.keyAscii, 'ascii');

describe('Azure SDK known-good tokens', () => {
  it('issues the SDK SWT byte for byte', async () => {
    const token = await issueToken({
      type: 'swt',
      key: signingKey('HS256', key.toString('base64')),
      issuer: sdk.swt.issuer,
      audience: sdk.swt.audience,
      expiresAt: sdk.swt.expiresOn,
      kid: KeyId.parse(sdk.swt.contentKeyIdentifier),
    });
    assert.equal(token, sdk.swt.token);
  });

  it('verifies the SDK SWT and names its identity and expiry', async () => {
    const r = { type: 'swt' as const, issuer: sdk.swt.issuer, audience: sdk.swt.audience, keys: [symmetricVerificationKey(key)], requiredClaims: [{ type: 'urn:microsoft:azure:mediaservices:contentkeyidentifier' }] };
    const v = await verifyToken(sdk.swt.token, r, { clock: fixedClock((sdk.swt.expiresOn - 60) * 1000), kid: KeyId.parse(sdk.swt.contentKeyIdentifier.replace(/-/g, '').toUpperCase()) });
    assert.equal(v.type, 'swt');
    assert.equal(v.expiresAt, sdk.swt.expiresOn);
    assert.equal(v.identity, 'fa78cf138881c640531ad484474dff5abdad8e6f6efba797a64b6c5932a7fe35');
  });

  it('verifies the SDK HS256 JWT (written by jjwt, not by jose)', async () => {
    const r = { type: 'jwt' as const, issuer: sdk.jwt.issuer, audience: sdk.jwt.audience, keys: [symmetricVerificationKey(key)], requiredClaims: [{ type: 'urn:microsoft:azure:mediaservices:contentkeyidentifier' }] };
    const v = await verifyToken(sdk.jwt.token, r, { clock: fixedClock(1440000000_000), kid: KeyId.parse(sdk.jwt.contentKeyIdentifier) });
    assert.equal(v.algorithm, 'HS256');
    assert.equal(v.claims.iat, 1420070400);
  });
});

describe('.NET HttpUtility.UrlEncode', () => {
  for (const c of url.cases) {
    it(`encodes ${JSON.stringify(c.in)}`, () => assert.equal(dotnetUrlEncode(c.in), c.out));
  }
  url.published.forEach((token, i) => {
    it(`re-encodes published SWT #${i + 1} byte for byte`, () => {
      const d = decodeSwt(token);
      const again = d.pairs.map(([n, v]) => `${dotnetUrlEncode(n)}=${dotnetUrlEncode(v)}`).join('&');
      assert.equal(again, d.signedBytes.toString('latin1'));
      assert.equal(d.signature.length, 32);
    });
  });
});
