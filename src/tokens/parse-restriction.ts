/**
 * parseTokenRestriction: read a verification policy by its content, not its
 * file name: Azure v2 XML, Azure v3 JSON, or keysmith's JSON form. A JWKS
 * (the OpenID Connect stand-in) is given separately; its keys join the
 * template's. All forms produce the same TokenRestriction.
 */
import { templateError } from './errors.js';
import { jwksVerificationKeys, type VerificationKey } from './keys.js';
import type { TokenRestriction } from './restriction.js';
import { parseAzureV2Template } from './template-azure-v2.js';
import { isAzureV3, parseAzureV3Restriction } from './template-azure-v3.js';
import { MAX_TEMPLATE_BYTES, isPlainObject, parseTemplateJson, where } from './template-common.js';
import { isKeysmithRestriction, parseKeysmithRestriction } from './template-keysmith.js';

export type TemplateFormat = 'azure-v2-xml' | 'azure-v3-json' | 'keysmith-json';

export interface ParseRestrictionOptions {
  /** JWKS text ({"keys":[…]}) whose keys join the restriction's (required for OIDC templates). */
  jwks?: string;
}

export function parseJwks(text: string, source?: string): VerificationKey[] {
  return jwksVerificationKeys(parseTemplateJson(text, source));
}

/** Which template form a text is, or undefined. */
export function detectTemplateFormat(text: string): TemplateFormat | 'keysmith-policy' | 'jwks' | undefined {
  const t = text.trimStart();
  if (t.startsWith('<')) return 'azure-v2-xml';
  if (!t.startsWith('{')) return undefined;
  let v: unknown;
  try {
    v = parseTemplateJson(t);
  } catch {
    return undefined;
  }
  if (!isPlainObject(v)) return undefined;
  if ('version' in v && ('default' in v || isPlainObject(v.keys))) return 'keysmith-policy';
  if (isAzureV3(v)) return 'azure-v3-json';
  if (isKeysmithRestriction(v)) return 'keysmith-json';
  if (Array.isArray(v.keys)) return 'jwks';
  return undefined;
}

/** Parse an already-decoded JSON restriction object (keysmith or Azure v3 form). */
export function restrictionFromJson(v: unknown, source?: string, extraKeys: VerificationKey[] = []): TokenRestriction {
  if (!isPlainObject(v)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}restriction must be a JSON object`);
  if (isAzureV3(v)) return parseAzureV3Restriction(v, source, extraKeys);
  if (isKeysmithRestriction(v)) return parseKeysmithRestriction(v, source, extraKeys);
  throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}not a token restriction (keysmith JSON, Azure v3 JSON or Azure v2 XML)`, 'see docs/policy.md for the forms keysmith reads');
}

export function parseTokenRestriction(text: string, source?: string, options: ParseRestrictionOptions = {}): TokenRestriction {
  if (Buffer.byteLength(text, 'utf8') > MAX_TEMPLATE_BYTES) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}template larger than ${MAX_TEMPLATE_BYTES} bytes`);
  const extra = options.jwks === undefined ? [] : parseJwks(options.jwks, 'jwks');
  const t = text.replace(/^\uFEFF/, '').trim();
  if (t.startsWith('<')) return parseAzureV2Template(t, source, extra);
  if (!t.startsWith('{')) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}neither XML nor JSON`, 'see docs/policy.md for the forms keysmith reads');
  const v = parseTemplateJson(t, source);
  if (isPlainObject(v) && 'version' in v && ('default' in v || isPlainObject(v.keys))) {
    throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}is a keysmith policy document (per key), not one restriction`, 'read it with parseKeysmithPolicy, or give --kid so the CLI picks the key\'s restriction');
  }
  if (isPlainObject(v) && Array.isArray(v.keys) && !('issuer' in v)) {
    throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}is a JWKS, not a restriction`, 'give it with --jwks, together with a template (or --issuer/--audience)');
  }
  return restrictionFromJson(v, source, extra);
}
