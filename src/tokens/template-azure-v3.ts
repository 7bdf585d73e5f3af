/**
 * Azure Media Services v3 ContentKeyPolicyTokenRestriction (ARM JSON,
 * Microsoft.Media 2018-07-01 … 2023-01-01; see azure-rest-api-specs
 * examples/content-key-policies-create-nodrm-token.json):
 *   issuer, audience, primaryVerificationKey, alternateVerificationKeys[],
 *   requiredClaims[{claimType, claimValue}], restrictionTokenType "Jwt"|"Swt",
 *   openIdConnectDiscoveryDocument (a URL).
 * Keys by "@odata.type" (or the SDKs' "odataType"):
 *   #Microsoft.Media.ContentKeyPolicySymmetricTokenKey        keyValue (base64)
 *   #Microsoft.Media.ContentKeyPolicyRsaTokenKey              exponent, modulus (base64)
 *   #Microsoft.Media.ContentKeyPolicyX509CertificateTokenKey  rawBody (base64 DER)
 * Also accepted: the restriction wrapped as a policy option ({"restriction":…})
 * or a whole ContentKeyPolicy ({"properties":{"options":[…]}}) with exactly one
 * token restriction.
 */
import { templateError } from './errors.js';
import { rsaVerificationKey, symmetricVerificationKey, x509VerificationKey, type VerificationKey } from './keys.js';
import type { TokenRestriction } from './restriction.js';
import { base64Field, finishRestriction, isPlainObject, requiredClaim, tokenType, where } from './template-common.js';

const ODATA = '#Microsoft.Media.';
export const AZURE_V3_TOKEN_RESTRICTION = `${ODATA}ContentKeyPolicyTokenRestriction`;

function odataType(o: Record<string, unknown>): string | undefined {
  const v = o['@odata.type'] ?? o.odataType;
  return typeof v === 'string' ? v : undefined;
}

/** Does this JSON value look like an Azure v3 restriction or policy? */
export function isAzureV3(v: Record<string, unknown>): boolean {
  return (
    odataType(v) !== undefined ||
    'restrictionTokenType' in v ||
    'primaryVerificationKey' in v ||
    (isPlainObject(v.restriction) && isAzureV3(v.restriction)) ||
    (isPlainObject(v.properties) && Array.isArray(v.properties.options)) ||
    Array.isArray(v.options)
  );
}

function readKey(k: unknown, what: string, source?: string): VerificationKey {
  if (!isPlainObject(k)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}${what} is not an object`);
  const type = odataType(k) ?? '';
  switch (type) {
    case `${ODATA}ContentKeyPolicySymmetricTokenKey`:
      return symmetricVerificationKey(base64Field(k.keyValue, `${what}.keyValue`, source));
    case `${ODATA}ContentKeyPolicyRsaTokenKey`:
      return rsaVerificationKey(base64Field(k.modulus, `${what}.modulus`, source), base64Field(k.exponent, `${what}.exponent`, source));
    case `${ODATA}ContentKeyPolicyX509CertificateTokenKey`:
      return x509VerificationKey(base64Field(k.rawBody, `${what}.rawBody`, source));
    default:
      throw templateError('ERR_TEMPLATE_UNSUPPORTED', `${where(source)}${what} has unknown @odata.type "${type.slice(0, 80)}"`, 'known: ContentKeyPolicySymmetricTokenKey, ContentKeyPolicyRsaTokenKey, ContentKeyPolicyX509CertificateTokenKey');
  }
}

function unwrap(v: Record<string, unknown>, source?: string): Record<string, unknown> {
  const options = isPlainObject(v.properties) && Array.isArray(v.properties.options) ? v.properties.options : Array.isArray(v.options) ? v.options : undefined;
  if (options) {
    const restrictions = options
      .map((o) => (isPlainObject(o) ? o.restriction : undefined))
      .filter((r): r is Record<string, unknown> => isPlainObject(r) && odataType(r) === AZURE_V3_TOKEN_RESTRICTION);
    if (restrictions.length !== 1) {
      throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}the ContentKeyPolicy has ${restrictions.length} token restrictions, expected exactly one`, 'save the one restriction object you want as its own file');
    }
    return restrictions[0] as Record<string, unknown>;
  }
  if (isPlainObject(v.restriction)) return v.restriction;
  return v;
}

export function parseAzureV3Restriction(value: Record<string, unknown>, source?: string, extraKeys: VerificationKey[] = []): TokenRestriction {
  const r = unwrap(value, source);
  const t = odataType(r);
  if (t !== undefined && t !== AZURE_V3_TOKEN_RESTRICTION) {
    throw templateError('ERR_TEMPLATE_UNSUPPORTED', `${where(source)}restriction is ${t}, not a token restriction`, 'an open restriction needs no template');
  }
  const issuer = r.issuer;
  const audience = r.audience;
  if (typeof issuer !== 'string' || issuer.length === 0) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}issuer must be a non-empty string`);
  if (typeof audience !== 'string' || audience.length === 0) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}audience must be a non-empty string`);
  const keys: VerificationKey[] = [];
  if (r.primaryVerificationKey !== undefined && r.primaryVerificationKey !== null) keys.push(readKey(r.primaryVerificationKey, 'primaryVerificationKey', source));
  if (r.alternateVerificationKeys !== undefined && r.alternateVerificationKeys !== null) {
    if (!Array.isArray(r.alternateVerificationKeys)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}alternateVerificationKeys must be an array`);
    r.alternateVerificationKeys.forEach((k, i) => keys.push(readKey(k, `alternateVerificationKeys[${i}]`, source)));
  }
  const claims = r.requiredClaims ?? [];
  if (!Array.isArray(claims)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}requiredClaims must be an array`);
  const oidc = r.openIdConnectDiscoveryDocument;
  return finishRestriction(
    {
      type: tokenType(r.restrictionTokenType, source),
      issuer,
      audience,
      keys: [...keys, ...extraKeys],
      requiredClaims: claims.map((c) => {
        if (!isPlainObject(c)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}requiredClaims entry is not an object`);
        return requiredClaim(c.claimType, c.claimValue, source);
      }),
      needsJwks: typeof oidc === 'string' && oidc.length > 0,
    },
    source,
  );
}
