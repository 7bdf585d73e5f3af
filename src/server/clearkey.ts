/**
 * W3C Encrypted Media Extensions, ClearKey (SPECS §7; EME §9.1.3 license
 * request format, §9.1.4 license format):
 *   request  {"kids":["<b64url KID>",…],"type":"temporary"}
 *   response {"keys":[{"kty":"oct","kid":"<b64url>","k":"<b64url key>"}],"type":"temporary"}
 * base64url without padding; KIDs in big-endian UUID byte order.
 */
import { KeyId } from '../crypto/values.js';
import type { ContentKeyEntry } from '../keys/content-keys.js';

export const MAX_LICENSE_KIDS = 64;
const SESSION_TYPES = ['temporary', 'persistent-license'] as const;
export type SessionType = (typeof SESSION_TYPES)[number];

export interface LicenseRequest {
  kids: KeyId[];
  type: SessionType;
}

/** Parse a license request; returns a one-line reason on bad input (400). */
export function parseLicenseRequest(body: Buffer): LicenseRequest | string {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return 'the license request is not JSON';
  }
  const d = doc as { kids?: unknown; type?: unknown } | null;
  if (!d || typeof d !== 'object' || !Array.isArray(d.kids)) return 'the license request has no "kids" array';
  if (d.kids.length === 0) return '"kids" is empty';
  if (d.kids.length > MAX_LICENSE_KIDS) return `"kids" holds more than ${MAX_LICENSE_KIDS} key ids`;
  const type = d.type === undefined ? 'temporary' : d.type;
  if (!SESSION_TYPES.includes(type as SessionType)) return '"type" must be "temporary" or "persistent-license"';
  const kids: KeyId[] = [];
  const seen = new Set<string>();
  for (const k of d.kids) {
    // 16 bytes are 22 base64url characters without padding (EME §9.1.3); tolerate "==".
    if (typeof k !== 'string' || !/^[A-Za-z0-9_-]{22}(==)?$/.test(k)) return '"kids" must hold base64url 16-byte key ids';
    const kid = new KeyId(Buffer.from(k.slice(0, 22), 'base64url'));
    if (!seen.has(kid.hex)) kids.push(kid);
    seen.add(kid.hex);
  }
  return { kids, type: type as SessionType };
}

/** The JWK set for the granted keys. Contains key material: only for the response body. */
export function formatLicense(keys: readonly ContentKeyEntry[], type: SessionType): string {
  return JSON.stringify({
    keys: keys.map((e) => ({ kty: 'oct', kid: e.kid.base64url, k: e.key.exportBase64Url() })),
    type,
  });
}
