/** The verified-token cache: reuses a verification only when that is safe (src/server/token-cache.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedClock } from '../../src/crypto/clock.js';
import { parseTokenRestriction, verifyToken, type TokenRestriction } from '../../src/tokens/index.js';
import { VerifiedTokenCache } from '../../src/server/token-cache.js';
import type { VerifyFn } from '../../src/server/authorize.js';
import { OTHER_KID, TOKEN_KID, restrictionJson, token } from './helpers.js';

function counting(): { verify: VerifyFn; calls: () => number } {
  let n = 0;
  return {
    verify: (t, r, o) => {
      n++;
      return verifyToken(t, r, o);
    },
    calls: () => n,
  };
}

const restriction = (): TokenRestriction => parseTokenRestriction(JSON.stringify(restrictionJson()));

test('a token verified once is answered from the cache for the same KID and restriction', async () => {
  const c = counting();
  const verify = new VerifiedTokenCache().wrap(c.verify);
  const r = restriction();
  const tok = await token({ kid: TOKEN_KID });
  const a = await verify(tok, r, { kid: TOKEN_KID });
  const b = await verify(tok, r, { kid: TOKEN_KID });
  assert.equal(c.calls(), 1);
  assert.equal(a.identity, b.identity);
});

test('another KID, another restriction object (reload) or a changed token is verified again', async () => {
  const c = counting();
  const verify = new VerifiedTokenCache().wrap(c.verify);
  const r = restriction();
  const tok = await token({ kid: TOKEN_KID });
  await verify(tok, r, { kid: TOKEN_KID });
  await assert.rejects(verify(tok, r, { kid: OTHER_KID }), { code: 'ERR_TOKEN_KID_MISMATCH' });
  await verify(tok, restriction(), { kid: TOKEN_KID });
  const [h, p, s] = tok.split('.');
  const forged = `${h}.${p}x.${s}`; // same signature, other payload: must not hit the cache
  await assert.rejects(verify(forged, r, { kid: TOKEN_KID }), (e: { code?: string }) => /^ERR_TOKEN_/.test(e.code ?? ''));
  assert.equal(c.calls(), 4);
});

test('failures are not cached, and an entry is not used at or after the token expiry', async () => {
  const c = counting();
  const verify = new VerifiedTokenCache().wrap(c.verify);
  const r = restriction();
  const tok = await token({ kid: TOKEN_KID, expiresIn: 120 });
  const v = await verify(tok, r, { kid: TOKEN_KID });
  // At exp the cache steps aside; the verifier decides (it allows its clock tolerance).
  await verify(tok, r, { kid: TOKEN_KID, clock: fixedClock(v.expiresAt * 1000) });
  await assert.rejects(verify(tok, r, { kid: TOKEN_KID, clock: fixedClock((v.expiresAt + 3600) * 1000) }), { code: 'ERR_TOKEN_EXPIRED' });
  await assert.rejects(verify(tok, r, { kid: TOKEN_KID, clock: fixedClock((v.expiresAt + 3600) * 1000) }), { code: 'ERR_TOKEN_EXPIRED' });
  assert.equal(c.calls(), 4);
});

test('the cache is bounded', async () => {
  const cache = new VerifiedTokenCache(3);
  const verify = cache.wrap(counting().verify);
  const r = restriction();
  for (let i = 0; i < 5; i++) await verify(await token({ kid: TOKEN_KID, claims: [['n', i]] }), r, { kid: TOKEN_KID });
  assert.ok(cache.size <= 3);
});
