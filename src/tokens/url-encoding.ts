/**
 * Form encoding exactly as .NET's System.Web.HttpUtility.UrlEncode writes it,
 * which is what Azure Media Services' SWT tokens use (SPECS.md §8):
 * UTF-8 bytes; A-Z a-z 0-9 and - _ . ! * ( ) unescaped (HttpEncoder.IsUrlSafeChar);
 * space as '+'; every other byte as '%' and two LOWERCASE hex digits.
 * Java's URLEncoder differs (uppercase hex, '*' kept, '~' escaped …); the Azure
 * Java SDK lower-cases its escapes to match .NET.
 */

const SAFE = /[A-Za-z0-9\-_.!*()]/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const HEX = '0123456789abcdef';

export function dotnetUrlEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x80 && SAFE.test(ch)) out += ch;
    else if (byte === 0x20) out += '+';
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/**
 * Strict application/x-www-form-urlencoded decoding of one name or value:
 * '+' is space, '%' must be followed by two hex digits (either case — the MAC,
 * computed over the raw bytes, is what rejects a re-encoded token), and the
 * bytes must be valid UTF-8. Returns undefined when the text is malformed.
 */
export function formDecode(text: string): string | undefined {
  if (!/^(?:[^%]|%[0-9A-Fa-f]{2})*$/.test(text)) return undefined;
  if (/^[A-Za-z0-9\-_.!*()~]*$/.test(text)) return text; // nothing to decode
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === 0x2b) bytes.push(0x20);
    else if (c < 0x80) bytes.push(c);
    else return undefined; // raw non-ASCII never appears in an encoded SWT
  }
  try {
    return UTF8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}
