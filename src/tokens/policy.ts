/**
 * The keysmith per-key policy document (docs/policy.md), read by the key
 * server: for each content key (by KID), open or token-restricted delivery,
 * with a default for keys not listed.
 *
 *   { "version": 1,
 *     "default": { "authorization": "open" } | { "authorization": "token", "token": <restriction> },
 *     "keys": { "<kid>": { "authorization": … } } }
 *
 * <restriction> is keysmith's JSON restriction, an Azure v3
 * ContentKeyPolicyTokenRestriction object, or an Azure v2 XML template as a
 * string. Without "default", keys not listed are refused ("deny").
 */
import { KeyId } from '../crypto/values.js';
import { templateError } from './errors.js';
import type { TokenRestriction } from './restriction.js';
import { parseAzureV2Template } from './template-azure-v2.js';
import { MAX_TEMPLATE_BYTES, isPlainObject, onlyKnown, parseTemplateJson, where } from './template-common.js';
import { restrictionFromJson } from './parse-restriction.js';

export type KeyAuthorization = { authorization: 'open' } | { authorization: 'token'; token: TokenRestriction } | { authorization: 'deny' };

export interface KeysmithPolicy {
  version: 1;
  /** For keys not listed. Absent in the file means deny. */
  default: KeyAuthorization;
  /** By lowercase UUID. */
  keys: Map<string, KeyAuthorization>;
}

export const MAX_POLICY_KEYS = 10_000;

function readAuthorization(v: unknown, what: string, source?: string): KeyAuthorization {
  if (!isPlainObject(v)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}${what} must be an object`);
  onlyKnown(v, ['authorization', 'token'], what, source);
  switch (v.authorization) {
    case 'open':
    case 'deny':
      if (v.token !== undefined) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}${what}: "token" only goes with "authorization": "token"`);
      return { authorization: v.authorization };
    case 'token': {
      const t = v.token;
      if (t === undefined) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}${what}: "authorization": "token" needs a "token" restriction`);
      const label = `${where(source)}${what}.token`.replace(/: $/, '');
      const token = typeof t === 'string' ? parseAzureV2Template(t, label) : restrictionFromJson(t, label);
      return { authorization: 'token', token };
    }
    default:
      throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}${what}.authorization must be "open", "token" or "deny"`);
  }
}

export function parseKeysmithPolicy(text: string, source?: string): KeysmithPolicy {
  if (Buffer.byteLength(text, 'utf8') > MAX_TEMPLATE_BYTES * 16) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}policy larger than ${MAX_TEMPLATE_BYTES * 16} bytes`);
  const v = parseTemplateJson(text.replace(/^\uFEFF/, ''), source);
  if (!isPlainObject(v)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}policy must be a JSON object`);
  onlyKnown(v, ['version', 'default', 'keys'], 'policy', source);
  if (v.version !== 1) throw templateError('ERR_TEMPLATE_UNSUPPORTED', `${where(source)}policy version must be 1`);
  const def = v.default === undefined ? ({ authorization: 'deny' } as const) : readAuthorization(v.default, 'default', source);
  const keys = new Map<string, KeyAuthorization>();
  if (v.keys !== undefined) {
    if (!isPlainObject(v.keys)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}keys must be an object keyed by KID`);
    const entries = Object.entries(v.keys);
    if (entries.length > MAX_POLICY_KEYS) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}more than ${MAX_POLICY_KEYS} keys`);
    for (const [kidText, auth] of entries) {
      let kid: KeyId;
      try {
        kid = KeyId.parse(kidText);
      } catch {
        throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}keys: "${kidText.slice(0, 64)}" is not a key id`, 'use the KID as a UUID, e.g. 0e7fd0c2-5a43-4d7b-9b4c-0c7d9c6c1e11');
      }
      if (keys.has(kid.uuid)) throw templateError('ERR_TEMPLATE_INVALID', `${where(source)}keys: ${kid.uuid} is listed twice (in different notations)`);
      keys.set(kid.uuid, readAuthorization(auth, `keys["${kid.uuid}"]`, source));
    }
  }
  return { version: 1, default: def, keys };
}

/** The rule for one KID: its own entry, else the default. */
export function authorizationFor(policy: KeysmithPolicy, kid: KeyId): KeyAuthorization {
  return policy.keys.get(kid.uuid) ?? policy.default;
}
