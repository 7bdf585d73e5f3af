/**
 * Restriction templates: Azure v2 XML and v3 JSON read from fixtures (sources
 * in test/fixtures/tokens/README.md), keysmith's JSON form, JWKS for OIDC,
 * and the per-key policy document. Every form yields the same restriction.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyId } from '../../src/crypto/values.js';
import { CLAIM_CONTENT_KEY_ID, authorizationFor, detectTemplateFormat, issueToken, parseKeysmithPolicy, parseTokenRestriction, signingKey, verifyToken, type TokenRestriction } from '../../src/tokens/index.js';
import { ALT_SECRET_B64, AUDIENCE, EC_PRIVATE_PEM, ISSUER, KID, NOW, RSA_PRIVATE_PEM, SECRET_B64, clock, fixture } from './helpers.js';

/** A restriction without KeyObjects, for comparing forms. */
function shape(r: TokenRestriction): unknown {
  return { ...r, keys: r.keys.map((k) => ({ kind: k.kind, algorithms: k.algorithms, fingerprint: k.fingerprint })) };
}

describe('Azure Media Services v2 TokenRestrictionTemplate XML', () => {
  it('reads the SDK SWT template: primary and alternate keys, claims, SWT by default', async () => {
    const r = parseTokenRestriction(fixture('azure-v2-swt.xml'), 'azure-v2-swt.xml');
    assert.equal(r.type, 'swt');
    assert.equal(r.issuer, 'http://sampleissuerurl/');
    assert.equal(r.audience, 'http://sampleaudience/');
    assert.deepEqual(r.keys.map((k) => k.kind), ['symmetric', 'symmetric']);
    assert.deepEqual(r.requiredClaims, [{ type: CLAIM_CONTENT_KEY_ID }, { type: 'urn:myservice:claims:rental', value: 'true' }]);
    const token = await issueToken({ type: 'swt', key: signingKey('HS256', ALT_SECRET_B64), issuer: r.issuer, audience: r.audience, expiresAt: NOW + 600, kid: KID, claims: [['urn:myservice:claims:rental', 'true']], clock });
    assert.equal((await verifyToken(token, r, { clock, kid: KID })).type, 'swt');
  });

  it('reads the SDK JWT template with an X509CertTokenVerificationKey', () => {
    const r = parseTokenRestriction(fixture('azure-v2-jwt-x509.xml'));
    assert.equal(r.type, 'jwt');
    assert.equal(r.keys[0]?.kind, 'rsa');
    assert.equal(r.keys[0]?.source, 'x509');
    assert.ok(r.keys[0]?.algorithms.includes('RS256'));
    assert.ok(!r.keys[0]?.algorithms.some((a) => a.startsWith('HS')));
  });

  it('reads RsaTokenVerificationKey (RawBody {"e","n"}) and verifies an RS256 token with it', async () => {
    const r = parseTokenRestriction(fixture('azure-v2-jwt-rsa.xml'));
    assert.deepEqual(r.keys.map((k) => k.source), ['rsa', 'x509']);
    assert.equal(r.keys[0]?.fingerprint, r.keys[1]?.fingerprint);
    const token = await issueToken({ type: 'jwt', key: signingKey('RS256', RSA_PRIVATE_PEM), issuer: ISSUER, audience: AUDIENCE, expiresAt: NOW + 600, kid: KID, clock });
    assert.equal((await verifyToken(token, r, { clock, kid: KID })).algorithm, 'RS256');
  });

  it('an OpenID Connect template needs a JWKS, and verifies with it', async () => {
    assert.throws(() => parseTokenRestriction(fixture('azure-v2-oidc.xml')), { code: 'ERR_TEMPLATE_OIDC' });
    const r = parseTokenRestriction(fixture('azure-v2-oidc.xml'), 'oidc', { jwks: fixture('jwks.json') });
    assert.deepEqual(r.keys.map((k) => k.kid), ['ec-test', 'rsa-test']);
    const token = await issueToken({ type: 'jwt', key: signingKey('ES256', EC_PRIVATE_PEM), issuer: ISSUER, audience: AUDIENCE, expiresAt: NOW + 600, clock });
    assert.equal((await verifyToken(token, r, { clock })).algorithm, 'ES256');
  });

  it('refuses a DOCTYPE (no entity expansion) and a wrong namespace', () => {
    const xml = fixture('azure-v2-swt.xml');
    assert.throws(() => parseTokenRestriction(`<!DOCTYPE x [<!ENTITY a "aaaa">]>${xml}`), { code: 'ERR_TEMPLATE_INVALID' });
    assert.throws(() => parseTokenRestriction(xml.replace('TokenRestrictionTemplate/v1"', 'TokenRestrictionTemplate/v9"')), { code: 'ERR_TEMPLATE_INVALID' });
  });

  it('refuses a template without Issuer (as the SDK does)', () => {
    assert.throws(() => parseTokenRestriction(fixture('azure-v2-swt.xml').replace(/<Issuer>.*<\/Issuer>/, '')), { code: 'ERR_TEMPLATE_INVALID', message: /Issuer/ });
  });
});

describe('Azure Media Services v3 ContentKeyPolicyTokenRestriction JSON', () => {
  it('reads @odata.type keys: RSA primary, symmetric and X.509 alternates', async () => {
    const r = parseTokenRestriction(fixture('azure-v3-jwt-rsa.json'));
    assert.equal(r.type, 'jwt');
    assert.deepEqual(r.keys.map((k) => k.source), ['rsa', 'symmetric', 'x509']);
    assert.deepEqual(r.requiredClaims, [{ type: CLAIM_CONTENT_KEY_ID }, { type: 'urn:myservice:claims:rental', value: 'true' }]);
    const token = await issueToken({ type: 'jwt', key: signingKey('HS256', SECRET_B64), issuer: ISSUER, audience: AUDIENCE, expiresAt: NOW + 600, kid: KID, claims: [['urn:myservice:claims:rental', 'true']], clock });
    assert.equal((await verifyToken(token, r, { clock, kid: KID })).algorithm, 'HS256');
  });

  it('reads the SDK odataType form', () => {
    assert.equal(parseTokenRestriction(fixture('azure-v3-swt-sdk-odatatype.json')).type, 'swt');
  });

  it('reads the REST example policy, and refuses its 16-byte key as too short for HS256', () => {
    assert.equal(detectTemplateFormat(fixture('azure-v3-policy-example.json')), 'azure-v3-json');
    assert.throws(() => parseTokenRestriction(fixture('azure-v3-policy-example.json')), { code: 'ERR_TOKEN_KEY_INVALID', message: /16 bytes/ });
    const fixed = fixture('azure-v3-policy-example.json').replace('AAAAAAAAAAAAAAAAAAAAAA==', SECRET_B64);
    const r = parseTokenRestriction(fixed);
    assert.equal(r.issuer, 'urn:issuer');
    assert.equal(r.type, 'swt');
  });

  it('refuses duplicate JSON members in a template', () => {
    assert.throws(() => parseTokenRestriction('{"issuer":"a","issuer":"b"}'), { code: 'ERR_TEMPLATE_INVALID', message: /twice/ });
  });
});

describe('keysmith forms', () => {
  it('the same restriction from v2 XML, v3 JSON and keysmith JSON', () => {
    const v2 = parseTokenRestriction(fixture('azure-v2-swt.xml'));
    const v3 = parseTokenRestriction(fixture('azure-v3-swt-sdk-odatatype.json'));
    const ks = parseTokenRestriction(
      JSON.stringify({
        type: 'swt',
        issuer: 'http://sampleissuerurl/',
        audience: 'http://sampleaudience/',
        keys: [{ kind: 'symmetric', key: SECRET_B64 }, { kind: 'symmetric', key: ALT_SECRET_B64 }],
        requiredClaims: [{ type: CLAIM_CONTENT_KEY_ID }, { type: 'urn:myservice:claims:rental', value: 'true' }],
      }),
    );
    assert.deepEqual(shape(v3), shape(v2));
    assert.deepEqual(shape(ks), shape(v2));
  });

  it('reads keysmith-jwt.json: symmetric narrowed to HS256, PEM and JWK keys', () => {
    const r = parseTokenRestriction(fixture('keysmith-jwt.json'));
    assert.deepEqual(r.keys.map((k) => [k.kind, k.algorithms.join(',')]), [['symmetric', 'HS256'], ['ec', 'ES256'], ['rsa', 'RS256']]);
    assert.equal(r.clockToleranceSeconds, 30);
  });

  it('refuses unknown fields, so a typo cannot drop a rule', () => {
    assert.throws(() => parseTokenRestriction(JSON.stringify({ type: 'jwt', issuer: 'a', audience: 'b', keys: [{ kind: 'symmetric', key: SECRET_B64 }], requiredClaim: [] })), { code: 'ERR_TEMPLATE_INVALID', message: /requiredClaim/ });
  });

  it('refuses an HS512 narrowing on a key too short for it', () => {
    assert.throws(() => parseTokenRestriction(JSON.stringify({ type: 'jwt', issuer: 'a', audience: 'b', keys: [{ kind: 'symmetric', key: Buffer.alloc(32, 7).toString('base64'), algorithms: ['HS512'] }] })), { code: 'ERR_TOKEN_KEY_INVALID' });
  });

  it('reads the per-key policy: open, token (keysmith, v3 JSON, v2 XML), deny, default', () => {
    const p = parseKeysmithPolicy(fixture('keysmith-policy.json'));
    assert.equal(authorizationFor(p, KeyId.parse('0e7fd0c25a434d7b9b4c0c7d9c6c1e11')).authorization, 'open');
    const v3 = authorizationFor(p, KeyId.parse('9a1b8c7d-6e5f-4031-2233-445566778899'));
    assert.equal(v3.authorization === 'token' && v3.token.type, 'jwt');
    const v2 = authorizationFor(p, KeyId.parse('5d2c1b0a-0000-4000-8000-000000000001'));
    assert.equal(v2.authorization === 'token' && v2.token.type, 'swt');
    assert.equal(authorizationFor(p, KeyId.parse('5d2c1b0a-0000-4000-8000-000000000002')).authorization, 'deny');
    const other = authorizationFor(p, KeyId.parse('11111111-2222-4333-8444-555555555555'));
    assert.equal(other.authorization === 'token' && other.token.issuer, 'http://sampleissuerurl/');
  });

  it('a policy without default denies keys it does not list', () => {
    const p = parseKeysmithPolicy('{"version":1,"keys":{"0e7fd0c2-5a43-4d7b-9b4c-0c7d9c6c1e11":{"authorization":"open"}}}');
    assert.equal(authorizationFor(p, KeyId.parse('11111111-2222-4333-8444-555555555555')).authorization, 'deny');
  });

  it('refuses the same KID twice in two notations', () => {
    assert.throws(() => parseKeysmithPolicy('{"version":1,"keys":{"0e7fd0c2-5a43-4d7b-9b4c-0c7d9c6c1e11":{"authorization":"open"},"0E7FD0C25A434D7B9B4C0C7D9C6C1E11":{"authorization":"deny"}}}'), { code: 'ERR_TEMPLATE_INVALID', message: /twice/ });
  });

  it('parseTokenRestriction points a policy document to parseKeysmithPolicy', () => {
    assert.throws(() => parseTokenRestriction(fixture('keysmith-policy.json')), { code: 'ERR_TEMPLATE_INVALID', message: /policy document/ });
  });
});
