/**
 * inspectToken: decode a JWT or SWT WITHOUT verifying it, for humans
 * debugging tokens. Nothing here is trusted; the result says so.
 */
import { tokenError } from './errors.js';
import { decodeJwt, signatureIdentity } from './jwt.js';
import type { TokenType } from './restriction.js';
import { decodeSwt } from './swt.js';
import { checkTokenSize, sniffTokenType } from './verify.js';

export interface InspectedToken {
  verified: false;
  type: TokenType;
  header?: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** Epoch seconds, when the token states one. */
  expiresAt?: number;
  notBefore?: number;
  identity: string;
}

export function inspectToken(token: string): InspectedToken {
  checkTokenSize(token);
  const t = token.trim();
  const type = sniffTokenType(t);
  if (type === 'jwt') {
    const d = decodeJwt(t);
    const exp = typeof d.payload.exp === 'number' ? d.payload.exp : undefined;
    const nbf = typeof d.payload.nbf === 'number' ? d.payload.nbf : undefined;
    return {
      verified: false,
      type,
      header: d.header,
      claims: d.payload,
      ...(exp === undefined ? {} : { expiresAt: exp }),
      ...(nbf === undefined ? {} : { notBefore: nbf }),
      identity: signatureIdentity(d.signature),
    };
  }
  if (type === 'swt') {
    const d = decodeSwt(t);
    const exp = d.claims.ExpiresOn !== undefined && /^[0-9]{1,12}$/.test(d.claims.ExpiresOn) ? Number(d.claims.ExpiresOn) : undefined;
    return { verified: false, type, claims: d.claims, ...(exp === undefined ? {} : { expiresAt: exp }), identity: signatureIdentity(d.signature) };
  }
  throw tokenError('ERR_TOKEN_MALFORMED', 'neither a JWT (three base64url segments) nor an SWT (form fields ending in HMACSHA256=)');
}
