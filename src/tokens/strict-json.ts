/**
 * A bounded JSON parser (RFC 8259) for hostile input. Unlike JSON.parse it
 * refuses duplicate member names (RFC 7515 §5.2 and RFC 7519 §4 require a
 * JWS/JWT parser to reject them, or to keep only the lexically last one; we
 * reject, because JSON.parse would silently keep the last), and it limits
 * nesting depth, member count and string length.
 *
 * Errors are thrown as StrictJsonError; callers map them to their own codes.
 */

export interface StrictJsonLimits {
  /** Maximum nesting of objects/arrays. */
  maxDepth: number;
  /** Maximum members in one object or items in one array. */
  maxMembers: number;
  /** Maximum length of any one string (name or value), in UTF-16 code units. */
  maxString: number;
}

export const DEFAULT_JSON_LIMITS: StrictJsonLimits = { maxDepth: 16, maxMembers: 256, maxString: 4096 };

export class StrictJsonError extends Error {
  readonly kind: 'syntax' | 'duplicate' | 'limit';
  /** The duplicate member name, or what overflowed. Never a value. */
  readonly what: string;
  constructor(kind: 'syntax' | 'duplicate' | 'limit', what: string) {
    super(`${kind}: ${what}`);
    this.kind = kind;
    this.what = what;
  }
}

const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
// A JSON string: no raw control characters, only the escapes RFC 8259 §7 allows.
const STRING_RE = /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;
const WS_RE = /[ \t\n\r]*/y;

export function parseStrictJson(text: string, limits: StrictJsonLimits = DEFAULT_JSON_LIMITS): unknown {
  let pos = 0;

  function ws(): void {
    WS_RE.lastIndex = pos;
    WS_RE.exec(text);
    pos = WS_RE.lastIndex;
  }

  function string(): string {
    STRING_RE.lastIndex = pos;
    const m = STRING_RE.exec(text);
    if (!m) throw new StrictJsonError('syntax', `bad string at offset ${pos}`);
    pos = STRING_RE.lastIndex;
    const value = JSON.parse(m[0]) as string;
    if (value.length > limits.maxString) throw new StrictJsonError('limit', `string longer than ${limits.maxString}`);
    return value;
  }

  function value(depth: number): unknown {
    ws();
    const c = text[pos];
    if (c === '{') return object(depth + 1);
    if (c === '[') return array(depth + 1);
    if (c === '"') return string();
    if (text.startsWith('true', pos)) return (pos += 4), true;
    if (text.startsWith('false', pos)) return (pos += 5), false;
    if (text.startsWith('null', pos)) return (pos += 4), null;
    NUMBER_RE.lastIndex = pos;
    const m = NUMBER_RE.exec(text);
    if (!m) throw new StrictJsonError('syntax', `unexpected character at offset ${pos}`);
    pos = NUMBER_RE.lastIndex;
    const n = Number(m[0]);
    if (!Number.isFinite(n)) throw new StrictJsonError('limit', 'number out of range');
    return n;
  }

  function object(depth: number): Record<string, unknown> {
    if (depth > limits.maxDepth) throw new StrictJsonError('limit', `nesting deeper than ${limits.maxDepth}`);
    pos++; // {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    ws();
    if (text[pos] === '}') return pos++, out;
    for (;;) {
      ws();
      if (text[pos] !== '"') throw new StrictJsonError('syntax', `expected a member name at offset ${pos}`);
      const name = string();
      if (seen.has(name)) throw new StrictJsonError('duplicate', name);
      seen.add(name);
      if (seen.size > limits.maxMembers) throw new StrictJsonError('limit', `more than ${limits.maxMembers} members`);
      ws();
      if (text[pos] !== ':') throw new StrictJsonError('syntax', `expected ':' at offset ${pos}`);
      pos++;
      const v = value(depth);
      // An own property even for "__proto__", as JSON.parse does; never the prototype.
      Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true });
      ws();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (text[pos] === '}') return pos++, out;
      throw new StrictJsonError('syntax', `expected ',' or '}' at offset ${pos}`);
    }
  }

  function array(depth: number): unknown[] {
    if (depth > limits.maxDepth) throw new StrictJsonError('limit', `nesting deeper than ${limits.maxDepth}`);
    pos++; // [
    const out: unknown[] = [];
    ws();
    if (text[pos] === ']') return pos++, out;
    for (;;) {
      out.push(value(depth));
      if (out.length > limits.maxMembers) throw new StrictJsonError('limit', `more than ${limits.maxMembers} items`);
      ws();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (text[pos] === ']') return pos++, out;
      throw new StrictJsonError('syntax', `expected ',' or ']' at offset ${pos}`);
    }
  }

  const result = value(0);
  ws();
  if (pos !== text.length) throw new StrictJsonError('syntax', `trailing data at offset ${pos}`);
  return result;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
