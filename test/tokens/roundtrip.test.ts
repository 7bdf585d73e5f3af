/** issue → verify for every supported kind: JWT HS256, RS256, ES256 and SWT. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { issueToken, pemVerificationKey, signingKey, symmetricVerificationKey, verifyToken, CLAIM_CONTENT_KEY_ID, CLAIM_MAX_USES } from '../../src/tokens/index.js';
import { ALT_SECRET_B64, AUDIENCE, EC_PRIVATE_PEM, EC_PUBLIC_PEM, ISSUER, KID, NOW, RSA_PRIVATE_PEM, RSA_PUBLIC_PEM, SECRET, SECRET_B64, clock, restriction } from './helpers.js';

const base = { issuer: ISSUER, audience: AUDIENCE, expiresAt: NOW + 1800, clock, kid: KID };

describe('round trip', () => {
  const rows = [
    { name: 'JWT HS256', type: 'jwt' as const, alg: 'HS256' as const, sign: SECRET_B64, verify: () => symmetricVerificationKey(SECRET) },
    { name: 'JWT RS256', type: 'jwt' as const, alg: 'RS256' as const, sign: RSA_PRIVATE_PEM, verify: () => pemVerificationKey(RSA_PUBLIC_PEM) },
    { name: 'JWT ES256', type: 'jwt' as const, alg: 'ES256' as const, sign: EC_PRIVATE_PEM, verify: () => pemVerificationKey(EC_PUBLIC_PEM) },
    { name: 'SWT', type: 'swt' as const, alg: 'HS256' as const, sign: SECRET_B64, verify: () => symmetricVerificationKey(SECRET) },
  ];
  for (const row of rows) {
    it(`${row.name}: verifies, with KID, maxuses and a custom claim`, async () => {
      const token = await issueToken({ ...base, type: row.type, key: signingKey(row.alg, row.sign), maxUses: 3, claims: [['urn:myservice:claims:rental', 'true']] });
      const r = restriction(row.type, [row.verify()], { requiredClaims: [{ type: CLAIM_CONTENT_KEY_ID }, { type: 'urn:myservice:claims:rental', value: 'true' }] });
      const v = await verifyToken(token, r, { clock, kid: KID });
      assert.equal(v.type, row.type);
      assert.equal(v.maxUses, 3);
      assert.equal(v.expiresAt, NOW + 1800);
      assert.match(v.identity, /^[0-9a-f]{64}$/);
      assert.equal(v.claims[CLAIM_CONTENT_KEY_ID], KID.uuid);
      assert.equal(String(v.claims[CLAIM_MAX_USES]), '3');
    });
  }

  it('accepts a token signed with an alternate key', async () => {
    const token = await issueToken({ ...base, type: 'swt', key: signingKey('HS256', ALT_SECRET_B64) });
    const r = restriction('swt', [symmetricVerificationKey(SECRET), symmetricVerificationKey(Buffer.from(ALT_SECRET_B64, 'base64'))]);
    const v = await verifyToken(token, r, { clock });
    assert.equal(v.type, 'swt');
  });

  it('two tokens with the same claims and key have the same identity; another signature, another identity', async () => {
    const a = await issueToken({ ...base, type: 'swt', key: signingKey('HS256', SECRET_B64) });
    const b = await issueToken({ ...base, type: 'swt', key: signingKey('HS256', SECRET_B64) });
    const c = await issueToken({ ...base, expiresAt: NOW + 1801, type: 'swt', key: signingKey('HS256', SECRET_B64) });
    const r = restriction('swt');
    const [va, vb, vc] = await Promise.all([a, b, c].map((t) => verifyToken(t, r, { clock })));
    assert.equal(va?.identity, vb?.identity);
    assert.notEqual(va?.identity, vc?.identity);
  });

  it('honours the clock tolerance around exp', async () => {
    const token = await issueToken({ ...base, expiresAt: NOW - 30, type: 'jwt', key: signingKey('HS256', SECRET_B64) });
    await verifyToken(token, restriction('jwt', undefined, { clockToleranceSeconds: 60 }), { clock });
    await assert.rejects(verifyToken(token, restriction('jwt', undefined, { clockToleranceSeconds: 0 }), { clock }), { code: 'ERR_TOKEN_EXPIRED' });
  });

  it('accepts a maxuses string and an audience array that contains the audience', async () => {
    const token = await issueToken({ ...base, type: 'swt', key: signingKey('HS256', SECRET_B64), maxUses: 7 });
    assert.equal((await verifyToken(token, restriction('swt'), { clock })).maxUses, 7);
  });
});
