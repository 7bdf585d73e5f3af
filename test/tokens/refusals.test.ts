/**
 * Every refusal, one test each, checking the stable code (SPECS.md §8,
 * RFC 8725). None may crash: every failure is a KeysmithError.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { isKeysmithError } from '../../src/errors.js';
import { CLAIM_CONTENT_KEY_ID, CLAIM_MAX_USES, issueToken, pemVerificationKey, signingKey, verifyToken, type TokenRestriction } from '../../src/tokens/index.js';
import { AUDIENCE, ISSUER, KID, NOW, OTHER_KID, RSA_PRIVATE_PEM, RSA_PUBLIC_PEM, SECRET, SECRET_B64, claimsJson, clock, rawJws, restriction, rsaRestriction } from './helpers.js';

const hs = (extra: Record<string, unknown> = {}, header = '{"alg":"HS256","typ":"JWT"}'): string => rawJws(header, claimsJson(extra), { hmac: SECRET });

async function refused(token: string, code: string, r: TokenRestriction = restriction('jwt'), kid = KID): Promise<void> {
  await assert.rejects(verifyToken(token, r, { clock, kid }), (err: unknown) => {
    assert.ok(isKeysmithError(err), `not a KeysmithError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.message.includes('\n'), false);
    assert.equal(JSON.stringify(err.toJSON()).includes(SECRET_B64), false);
    return true;
  });
}

describe('token refusals', () => {
  it('expired', () => refused(hs({ exp: NOW - 120 }), 'ERR_TOKEN_EXPIRED'));
  it('before nbf', () => refused(hs({ nbf: NOW + 600 }), 'ERR_TOKEN_NOT_YET_VALID'));
  it('wrong issuer', () => refused(hs({ iss: 'https://evil.example/' }), 'ERR_TOKEN_ISSUER'));
  it('issuer differing only in case', () => refused(hs({ iss: ISSUER.toUpperCase() }), 'ERR_TOKEN_ISSUER'));
  it('wrong audience', () => refused(hs({ aud: 'urn:other' }), 'ERR_TOKEN_AUDIENCE'));
  it('bad signature', () => {
    const t = hs();
    const sig = Buffer.from(t.split('.')[2] as string, 'base64url');
    sig[0] = (sig[0] as number) ^ 1;
    return refused(`${t.slice(0, t.lastIndexOf('.'))}.${sig.toString('base64url')}`, 'ERR_TOKEN_SIGNATURE');
  });
  it('one changed claim', () => {
    const [h, , s] = hs({ sub: 'alice' }).split('.');
    const forged = Buffer.from(claimsJson({ sub: 'mallory' })).toString('base64url');
    return refused(`${h}.${forged}.${s}`, 'ERR_TOKEN_SIGNATURE');
  });
  it('alg none', () => refused(rawJws('{"alg":"none","typ":"JWT"}', claimsJson(), 'none'), 'ERR_TOKEN_ALGORITHM'));
  it('alg "None" (case games)', () => refused(rawJws('{"alg":"None"}', claimsJson(), 'none'), 'ERR_TOKEN_ALGORITHM'));
  it('HS/RS confusion: HS256 signed with the RSA public key PEM as secret', () =>
    refused(rawJws('{"alg":"HS256","typ":"JWT"}', claimsJson(), { hmac: Buffer.from(RSA_PUBLIC_PEM) }), 'ERR_TOKEN_ALGORITHM', rsaRestriction()));
  it('RS256 token against a symmetric-only restriction', () => refused(rawJws('{"alg":"RS256"}', claimsJson(), { rsaPem: RSA_PRIVATE_PEM }), 'ERR_TOKEN_ALGORITHM'));
  it('RS384 against an RSA key that allows only its default RS256 (one algorithm per key)', async () => {
    const token = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, exp: NOW + 600 }).setProtectedHeader({ alg: 'RS384' }).sign(createPrivateKey(RSA_PRIVATE_PEM));
    await refused(token, 'ERR_TOKEN_ALGORITHM', rsaRestriction());
    // Allowed once the template names it.
    await verifyToken(token, restriction('jwt', [pemVerificationKey(RSA_PUBLIC_PEM, { algorithms: ['RS256', 'RS384'] })]), { clock });
  });
  it('missing exp', () => refused(rawJws('{"alg":"HS256"}', JSON.stringify({ iss: ISSUER, aud: AUDIENCE }), { hmac: SECRET }), 'ERR_TOKEN_EXPIRY_MISSING'));
  it('exp that is not a number', () => refused(hs({ exp: String(NOW + 600) }), 'ERR_TOKEN_MALFORMED'));
  it('maxuses with exp more than 1 h out', () => refused(hs({ exp: NOW + 3601, [CLAIM_MAX_USES]: 5 }), 'ERR_TOKEN_MAXUSES_EXPIRY'));
  it('maxuses 0', () => refused(hs({ [CLAIM_MAX_USES]: 0 }), 'ERR_TOKEN_MAXUSES_INVALID'));
  it('maxuses not a number', () => refused(hs({ [CLAIM_MAX_USES]: 'five' }), 'ERR_TOKEN_MAXUSES_INVALID'));
  it('maxuses fractional', () => refused(hs({ [CLAIM_MAX_USES]: 1.5 }), 'ERR_TOKEN_MAXUSES_INVALID'));
  it('wrong KID', () => refused(hs({ [CLAIM_CONTENT_KEY_ID]: KID.uuid }), 'ERR_TOKEN_KID_MISMATCH', restriction('jwt', undefined, { requiredClaims: [{ type: CLAIM_CONTENT_KEY_ID }] }), OTHER_KID));
  it('KID in another notation still matches (not a refusal)', async () => {
    const r = restriction('jwt', undefined, { requiredClaims: [{ type: CLAIM_CONTENT_KEY_ID }] });
    await verifyToken(hs({ [CLAIM_CONTENT_KEY_ID]: `{${KID.uuid.toUpperCase()}}` }), r, { clock, kid: KID });
  });
  it('KID required but none requested', () =>
    assert.rejects(verifyToken(hs({ [CLAIM_CONTENT_KEY_ID]: KID.uuid }), restriction('jwt', undefined, { requiredClaims: [{ type: CLAIM_CONTENT_KEY_ID }] }), { clock }), { code: 'ERR_TOKEN_KID_REQUIRED' }));
  it('missing required claim', () => refused(hs(), 'ERR_TOKEN_CLAIM_MISSING', restriction('jwt', undefined, { requiredClaims: [{ type: 'urn:myservice:claims:rental', value: 'true' }] })));
  it('required claim with another value', () => refused(hs({ 'urn:myservice:claims:rental': 'false' }), 'ERR_TOKEN_CLAIM_MISMATCH', restriction('jwt', undefined, { requiredClaims: [{ type: 'urn:myservice:claims:rental', value: 'true' }] })));
  it('jku header pointing elsewhere (attacker-signed)', async () => {
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = attacker.publicKey.export({ format: 'jwk' });
    const token = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, exp: NOW + 600 })
      .setProtectedHeader({ alg: 'RS256', jku: 'https://evil.example/jwks.json', kid: 'evil', jwk: { ...jwk } as never })
      .sign(attacker.privateKey);
    await refused(token, 'ERR_TOKEN_SIGNATURE', rsaRestriction());
  });
  it('oversized token', () => refused(hs({ pad: 'x'.repeat(9000) }), 'ERR_TOKEN_TOO_LARGE'));
  it('SWT re-encoded with uppercase hex', async () => {
    const swt = await issueToken({ type: 'swt', key: signingKey('HS256', SECRET_B64), issuer: ISSUER, audience: AUDIENCE, expiresAt: NOW + 600, clock });
    const upper = swt.replace(/%[0-9a-f]{2}/g, (m) => m.toUpperCase());
    assert.notEqual(upper.split('&HMACSHA256=')[0], swt.split('&HMACSHA256=')[0]);
    await refused(upper, 'ERR_TOKEN_SIGNATURE', restriction('swt'));
  });
  it('SWT under a JWT template', async () => {
    const swt = await issueToken({ type: 'swt', key: signingKey('HS256', SECRET_B64), issuer: ISSUER, audience: AUDIENCE, expiresAt: NOW + 600, clock });
    await refused(swt, 'ERR_TOKEN_TYPE', restriction('jwt'));
  });
  it('JWT under an SWT template', () => refused(hs(), 'ERR_TOKEN_TYPE', restriction('swt')));
  it('duplicate claim (JSON.parse would keep the last)', () =>
    refused(rawJws('{"alg":"HS256"}', `{"iss":"${ISSUER}","aud":"urn:other","aud":"${AUDIENCE}","exp":${NOW + 600}}`, { hmac: SECRET }), 'ERR_TOKEN_DUPLICATE_CLAIM'));
  it('duplicate header parameter', () => refused(rawJws('{"alg":"none","alg":"HS256"}', claimsJson(), { hmac: SECRET }), 'ERR_TOKEN_DUPLICATE_CLAIM'));
  it('duplicate SWT field', () => refused(`Issuer=a&Issuer=b&Audience=c&ExpiresOn=1&HMACSHA256=${'A'.repeat(43)}%3d`, 'ERR_TOKEN_DUPLICATE_CLAIM', restriction('swt')));
  it('oversized claim value', () => refused(hs({ big: 'x'.repeat(3000) }), 'ERR_TOKEN_CLAIM_TOO_LARGE'));
  it('deeply nested claim', () => refused(hs({ deep: JSON.parse('['.repeat(40) + ']'.repeat(40)) }), 'ERR_TOKEN_CLAIM_TOO_LARGE'));
  it('two segments', () => refused(hs().split('.').slice(0, 2).join('.'), 'ERR_TOKEN_MALFORMED'));
  it('four segments', () => refused(`${hs()}.AAAA`, 'ERR_TOKEN_MALFORMED'));
  it('five segments (JWE)', () => refused(`${hs()}.AAAA.BBBB`, 'ERR_TOKEN_HEADER'));
  it('malformed base64url', () => refused(`eyJ*bGciOiJIUzI1NiJ9.${hs().split('.').slice(1).join('.')}`, 'ERR_TOKEN_MALFORMED'));
  it('payload that is not JSON', () => refused(`${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{not json').toString('base64url')}.AAAA`, 'ERR_TOKEN_MALFORMED'));
  it('payload that is a JSON array', () => refused(rawJws('{"alg":"HS256"}', '[1,2]', { hmac: SECRET }), 'ERR_TOKEN_MALFORMED'));
  it('crit header', () => refused(hs({}, '{"alg":"HS256","crit":["exp"]}'), 'ERR_TOKEN_HEADER'));
  it('SWT with a bad percent escape', () => refused(`Issuer=%zz&Audience=c&ExpiresOn=1&HMACSHA256=${'A'.repeat(43)}%3d`, 'ERR_TOKEN_MALFORMED', restriction('swt')));
  it('SWT without ExpiresOn', async () => {
    const swt = await issueToken({ type: 'swt', key: signingKey('HS256', SECRET_B64), issuer: ISSUER, audience: AUDIENCE, expiresAt: NOW + 600, clock });
    // Re-sign a body without ExpiresOn with the right key.
    const body = swt.split('&HMACSHA256=')[0]?.replace(/&ExpiresOn=\d+/, '') as string;
    const { createHmac } = await import('node:crypto');
    const mac = encodeURIComponent(createHmac('sha256', SECRET).update(body).digest('base64')).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
    await refused(`${body}&HMACSHA256=${mac}`, 'ERR_TOKEN_EXPIRY_MISSING', restriction('swt'));
  });
  it('an empty token', () => refused('', 'ERR_TOKEN_MALFORMED'));
});

describe('hostile input never crashes', () => {
  it('500 mutations of valid tokens all end in a KeysmithError or a success', async () => {
    const jwt = hs({ [CLAIM_CONTENT_KEY_ID]: KID.uuid });
    const swt = await issueToken({ type: 'swt', key: signingKey('HS256', SECRET_B64), issuer: ISSUER, audience: AUDIENCE, expiresAt: NOW + 600, clock, kid: KID });
    let seed = 12345;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const alphabet = 'AZaz09-_.=&%+{}[]":,\\\u0000\u00ff\ud800';
    for (let i = 0; i < 500; i++) {
      const [src, type] = i % 2 ? [jwt, 'jwt' as const] : [swt, 'swt' as const];
      const chars = [...src];
      const edits = 1 + rnd(4);
      for (let e = 0; e < edits; e++) {
        const at = rnd(chars.length);
        const op = rnd(3);
        if (op === 0) chars[at] = alphabet[rnd(alphabet.length)] as string;
        else if (op === 1) chars.splice(at, 1);
        else chars.splice(at, 0, alphabet[rnd(alphabet.length)] as string);
      }
      try {
        await verifyToken(chars.join(''), restriction(type), { clock, kid: KID });
      } catch (err) {
        assert.ok(isKeysmithError(err), `mutation ${i} threw ${String(err)}`);
        assert.match(err.code, /^ERR_TOKEN_/);
      }
    }
  });
});
