/**
 * HLS key signalling (RFC 8216 §4.3.2.4 EXT-X-KEY, §4.3.4.5 EXT-X-SESSION-KEY;
 * Apple HLS Authoring Specification). A DRM row returns `HlsKey`; the
 * playlist writer prints it with `formatHlsKeyTag`.
 */
import type { KeyId } from '../crypto/values.js';

export type HlsMethod = 'SAMPLE-AES' | 'SAMPLE-AES-CTR';

export interface HlsKey {
  /** SAMPLE-AES for cbcs, SAMPLE-AES-CTR for cenc. */
  method: HlsMethod;
  keyformat: string;
  keyformatVersions: string;
  uri: string;
  /** KEYID attribute (0x + 32 hex digits), when the system signals it. */
  keyId?: string;
}

export function hlsMethodFor(scheme: string): HlsMethod {
  return scheme === 'cbcs' || scheme === 'cbc1' ? 'SAMPLE-AES' : 'SAMPLE-AES-CTR';
}

export function hlsKeyIdAttr(kid: KeyId): string {
  return `0x${kid.hex.toUpperCase()}`;
}

function quoted(s: string): string {
  // RFC 8216 §4.2: quoted-string may not contain " or CR/LF.
  if (/["\r\n]/.test(s)) throw new TypeError('HLS quoted-string cannot contain a double quote or a line break');
  return `"${s}"`;
}

/** `#EXT-X-KEY:METHOD=…,URI="…",KEYFORMAT="…",KEYFORMATVERSIONS="…"[,KEYID=0x…]`. */
export function formatHlsKeyTag(key: HlsKey, tag: 'EXT-X-KEY' | 'EXT-X-SESSION-KEY' = 'EXT-X-KEY', iv?: string): string {
  const attrs = [`METHOD=${key.method}`, `URI=${quoted(key.uri)}`];
  if (key.keyId !== undefined) attrs.push(`KEYID=${key.keyId}`);
  if (iv !== undefined) attrs.push(`IV=${iv}`);
  attrs.push(`KEYFORMAT=${quoted(key.keyformat)}`, `KEYFORMATVERSIONS=${quoted(key.keyformatVersions)}`);
  return `#${tag}:${attrs.join(',')}`;
}
