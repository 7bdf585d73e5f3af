/**
 * Simple Web Token as Azure Media Services / ACS write it (SPECS.md §8):
 *   <claims, form-encoded>&Audience=…&ExpiresOn=<unix s>&Issuer=…&HMACSHA256=<urlencoded base64 MAC>
 * (SWT 0.9.5.1 §3 and §4: the HMACSHA256 pair is last, and its MAC covers
 * every byte before "&HMACSHA256="). The MAC is computed over the raw bytes
 * received, never over a re-encoding, and compared in constant time.
 * Encoding follows .NET HttpUtility.UrlEncode (url-encoding.ts).
 */
import { createHmac, type KeyObject } from 'node:crypto';
import { constantTimeEqual } from '../crypto/ct.js';
import { tokenError } from './errors.js';
import type { VerificationKey } from './keys.js';
import type { TokenRestriction } from './restriction.js';
import { MAX_CLAIM_NAME, MAX_CLAIM_VALUE, MAX_CLAIMS } from './token-limits.js';
import { dotnetUrlEncode, formDecode } from './url-encoding.js';

export const SWT_SIGNATURE_FIELD = 'HMACSHA256';
export const SWT_RESERVED = ['Audience', 'ExpiresOn', 'Issuer', SWT_SIGNATURE_FIELD] as const;

export interface DecodedSwt {
  /** Name/value pairs in token order (decoded), without HMACSHA256. */
  pairs: [string, string][];
  claims: Record<string, string>;
  /** The raw bytes the MAC covers. */
  signedBytes: Buffer;
  signature: Buffer;
}

const SEPARATOR = `&${SWT_SIGNATURE_FIELD}=`;

/** Parse an SWT without checking its MAC. */
export function decodeSwt(token: string): DecodedSwt {
  // Encoded SWTs are printable ASCII without spaces; anything else was never written by an encoder.
  if (!/^[\x21-\x7e]+$/.test(token)) throw tokenError('ERR_TOKEN_MALFORMED', 'SWT contains characters outside printable ASCII');
  const at = token.lastIndexOf(SEPARATOR);
  if (at < 0) throw tokenError('ERR_TOKEN_MALFORMED', `SWT has no ${SWT_SIGNATURE_FIELD} field at its end`);
  const signedText = token.slice(0, at);
  const sigText = formDecode(token.slice(at + SEPARATOR.length));
  if (sigText === undefined || !/^[A-Za-z0-9+/]{43}=$/.test(sigText)) throw tokenError('ERR_TOKEN_MALFORMED', `SWT ${SWT_SIGNATURE_FIELD} is not a base64 HMAC-SHA256`);
  const fields = signedText.split('&');
  if (fields.length > MAX_CLAIMS) throw tokenError('ERR_TOKEN_CLAIM_TOO_LARGE', `SWT has more than ${MAX_CLAIMS} fields`);
  const pairs: [string, string][] = [];
  const claims: Record<string, string> = {};
  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq <= 0) throw tokenError('ERR_TOKEN_MALFORMED', 'SWT field without a name=value form');
    const name = formDecode(field.slice(0, eq));
    const value = formDecode(field.slice(eq + 1));
    if (name === undefined || value === undefined) throw tokenError('ERR_TOKEN_MALFORMED', 'SWT field is not valid form encoding');
    if (name.length > MAX_CLAIM_NAME || value.length > MAX_CLAIM_VALUE) throw tokenError('ERR_TOKEN_CLAIM_TOO_LARGE', 'SWT claim name or value is too long');
    if (name === SWT_SIGNATURE_FIELD) throw tokenError('ERR_TOKEN_MALFORMED', `SWT has ${SWT_SIGNATURE_FIELD} before its end`);
    if (Object.prototype.hasOwnProperty.call(claims, name)) throw tokenError('ERR_TOKEN_DUPLICATE_CLAIM', `SWT names "${name.slice(0, 64)}" twice`);
    Object.defineProperty(claims, name, { value, enumerable: true, writable: true, configurable: true });
    pairs.push([name, value]);
  }
  return { pairs, claims, signedBytes: Buffer.from(signedText, 'latin1'), signature: Buffer.from(sigText, 'base64') };
}

export function swtMac(key: KeyObject, signedBytes: Uint8Array): Buffer {
  return createHmac('sha256', key).update(signedBytes).digest();
}

export interface SwtVerified {
  decoded: DecodedSwt;
  key: VerificationKey;
}

export function verifySwtSignature(token: string, restriction: TokenRestriction): SwtVerified {
  const decoded = decodeSwt(token);
  const keys = restriction.keys.filter((k) => k.kind === 'symmetric');
  if (keys.length === 0) throw tokenError('ERR_TOKEN_ALGORITHM', 'SWT needs a symmetric key, and the restriction has none');
  let match: VerificationKey | undefined;
  // Check every key, so the time taken does not tell which key matched.
  for (const key of keys) {
    if (constantTimeEqual(swtMac(key.key, decoded.signedBytes), decoded.signature) && !match) match = key;
  }
  if (!match) throw tokenError('ERR_TOKEN_SIGNATURE', 'SWT HMACSHA256 does not verify with any key of the restriction');
  return { decoded, key: match };
}

export interface SwtIssueInput {
  key: KeyObject;
  issuer: string;
  audience: string;
  expiresAt: number;
  claims: [string, string][];
}

/** Byte-identical to TokenRestrictionTemplateSerializer.GenerateTestToken (.NET SDK). */
export function issueSwt(input: SwtIssueInput): string {
  let text = '';
  for (const [name, value] of input.claims) {
    if ((SWT_RESERVED as readonly string[]).includes(name)) throw tokenError('ERR_TOKEN_MALFORMED', `SWT claim name ${name} is reserved`);
    text += `${dotnetUrlEncode(name)}=${dotnetUrlEncode(value)}&`;
  }
  text += `Audience=${dotnetUrlEncode(input.audience)}&`;
  text += `ExpiresOn=${input.expiresAt}&`;
  text += `Issuer=${dotnetUrlEncode(input.issuer)}`;
  const mac = swtMac(input.key, Buffer.from(text, 'utf8'));
  return `${text}${SEPARATOR}${dotnetUrlEncode(mac.toString('base64'))}`;
}
