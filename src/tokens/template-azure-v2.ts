/**
 * Azure Media Services v2 TokenRestrictionTemplate XML (DataContract
 * serialisation, namespace
 * http://schemas.microsoft.com/Azure/MediaServices/KeyDelivery/TokenRestrictionTemplate/v1),
 * as TokenRestrictionTemplateSerializer writes it (azure-sdk-for-media-services,
 * ContentKeyAuthorization/TokenRestrictionTemplate*.cs):
 *   AlternateVerificationKeys/TokenVerificationKey[@i:type], Audience, Issuer,
 *   PrimaryVerificationKey[@i:type | @i:nil], RequiredClaims/TokenClaim{ClaimType, ClaimValue[@i:nil]},
 *   TokenType (JWT|SWT; absent means SWT), OpenIdConnectDiscoveryDocument/OpenIdDiscoveryUri.
 * Key types: SymmetricVerificationKey/KeyValue (base64), RsaTokenVerificationKey/RawBody
 * (base64 of UTF-8 JSON {"e":base64,"n":base64}), X509CertTokenVerificationKey/RawBody (base64 DER).
 */
import { XMLParser } from 'fast-xml-parser';
import { templateError } from './errors.js';
import { rsaVerificationKey, symmetricVerificationKey, x509VerificationKey, type VerificationKey } from './keys.js';
import type { RequiredClaim, TokenRestriction } from './restriction.js';
import { base64Field, finishRestriction, isPlainObject, parseTemplateJson, requiredClaim, tokenType, where } from './template-common.js';

export const AZURE_V2_NAMESPACE = 'http://schemas.microsoft.com/Azure/MediaServices/KeyDelivery/TokenRestrictionTemplate/v1';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  trimValues: true,
  isArray: (name) => name === 'TokenVerificationKey' || name === 'TokenClaim',
});

type Node = Record<string, unknown>;

function isNil(v: unknown): boolean {
  return isPlainObject(v) && v['@_nil'] === 'true';
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isPlainObject(v) && typeof v['#text'] === 'string') return v['#text'];
  return undefined;
}

function readKey(node: unknown, what: string, source?: string): VerificationKey {
  if (!isPlainObject(node)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}${what} is empty`);
  const type = String(node['@_type'] ?? '');
  switch (type.toLowerCase()) {
    case 'symmetricverificationkey':
      return symmetricVerificationKey(base64Field(text(node.KeyValue), `${what} KeyValue`, source));
    case 'rsatokenverificationkey': {
      const body = base64Field(text(node.RawBody), `${what} RawBody`, source).toString('utf8');
      const json = parseTemplateJson(body, source);
      if (!isPlainObject(json)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}${what} RawBody is not {"e":…,"n":…}`);
      return rsaVerificationKey(base64Field(json.n, `${what} modulus`, source), base64Field(json.e, `${what} exponent`, source));
    }
    case 'x509certtokenverificationkey':
      return x509VerificationKey(base64Field(text(node.RawBody), `${what} RawBody`, source));
    default:
      throw templateError('ERR_TEMPLATE_UNSUPPORTED', `${where(source)}${what} has unknown key type "${type.slice(0, 64)}"`, 'known: SymmetricVerificationKey, RsaTokenVerificationKey, X509CertTokenVerificationKey');
  }
}

export function parseAzureV2Template(xml: string, source?: string, extraKeys: VerificationKey[] = []): TokenRestriction {
  // No DTDs: nothing to expand, nothing external (XXE, billion laughs).
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}XML with a DOCTYPE is not accepted`);
  const rootTag = /<(?:[A-Za-z_][\w.-]*:)?TokenRestrictionTemplate\b[^>]*>/.exec(xml);
  if (!rootTag) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}not a TokenRestrictionTemplate document`);
  if (!rootTag[0].includes(`"${AZURE_V2_NAMESPACE}"`) && !rootTag[0].includes(`'${AZURE_V2_NAMESPACE}'`)) {
    throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}TokenRestrictionTemplate is not in namespace ${AZURE_V2_NAMESPACE}`);
  }
  let doc: Node;
  try {
    doc = parser.parse(xml, true) as Node;
  } catch (err) {
    throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}not well-formed XML: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
  }
  const t = doc.TokenRestrictionTemplate;
  if (!isPlainObject(t)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}TokenRestrictionTemplate is empty`);
  const issuer = text(t.Issuer);
  const audience = text(t.Audience);
  if (!issuer) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}Issuer is missing`);
  if (!audience) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}Audience is missing`);
  const keys: VerificationKey[] = [];
  if (t.PrimaryVerificationKey !== undefined && !isNil(t.PrimaryVerificationKey)) keys.push(readKey(t.PrimaryVerificationKey, 'PrimaryVerificationKey', source));
  const alt = isPlainObject(t.AlternateVerificationKeys) ? t.AlternateVerificationKeys.TokenVerificationKey : undefined;
  if (Array.isArray(alt)) alt.forEach((k, i) => keys.push(readKey(k, `AlternateVerificationKeys[${i}]`, source)));
  const claims: RequiredClaim[] = [];
  const tc = isPlainObject(t.RequiredClaims) ? t.RequiredClaims.TokenClaim : undefined;
  if (Array.isArray(tc)) {
    for (const c of tc) {
      if (!isPlainObject(c)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}TokenClaim is empty`);
      claims.push(requiredClaim(text(c.ClaimType), isNil(c.ClaimValue) || c.ClaimValue === '' ? undefined : text(c.ClaimValue), source));
    }
  }
  const oidc = t.OpenIdConnectDiscoveryDocument;
  const needsJwks = oidc !== undefined && !isNil(oidc) && isPlainObject(oidc) && Boolean(text(oidc.OpenIdDiscoveryUri));
  return finishRestriction(
    {
      // DataContract default: a template without TokenType is SWT (TokenRestrictionTemplateSerializerTests.InputMissingRequiredClaimsOkay).
      type: t.TokenType === undefined ? 'swt' : tokenType(text(t.TokenType), source),
      issuer,
      audience,
      keys: [...keys, ...extraKeys],
      requiredClaims: claims,
      needsJwks,
    },
    source,
  );
}
