/**
 * XML helpers shared by the DRM headers (PlayReady WRMHEADER, DASH
 * elements) and CPIX: escaping, and a bounded, entity-free parse over
 * fast-xml-parser.
 *
 * Hostile XML is refused before parsing: DOCTYPE/ENTITY declarations
 * (billion laughs, external entities) are never processed, size and
 * nesting depth are capped, and only the five predefined entities and
 * numeric character references are decoded (XML 1.0 §4.6, §4.1).
 */
import { createRequire } from 'node:module';
import type * as Fxp from 'fast-xml-parser';
import { KeysmithError } from '../errors.js';

/**
 * fast-xml-parser is loaded on first parse (its CommonJS build, synchronously):
 * importing its ESM build costs ~30 ms of start-up that encrypt/package never use.
 */
let fxp: typeof Fxp | undefined;
function loadFxp(): typeof Fxp {
  fxp ??= createRequire(import.meta.url)('fast-xml-parser') as typeof Fxp;
  return fxp;
}

/** Escape character data (XML 1.0 §2.4). */
export function escapeXmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escape an attribute value written between double quotes. */
export function escapeXmlAttr(s: string): string {
  return escapeXmlText(s).replace(/"/g, '&quot;');
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decode the predefined entities and character references; refuse any other entity. */
export function decodeXmlEntities(s: string, code = 'ERR_XML'): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&\s]{1,12});/g, (all, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) {
      const cp = Number.parseInt(name.slice(2), 16);
      if (!Number.isFinite(cp) || cp > 0x10ffff) throw new KeysmithError(code, `xml: bad character reference ${all}`);
      return String.fromCodePoint(cp);
    }
    if (name.startsWith('#')) {
      const cp = Number.parseInt(name.slice(1), 10);
      if (!Number.isFinite(cp) || cp > 0x10ffff) throw new KeysmithError(code, `xml: bad character reference ${all}`);
      return String.fromCodePoint(cp);
    }
    const v = PREDEFINED[name];
    if (v === undefined) throw new KeysmithError(code, `xml: undeclared entity ${all.slice(0, 16)} (entities are not processed)`);
    return v;
  });
}

export interface SafeXmlOptions {
  /** Error code prefix for failures, e.g. 'ERR_CPIX' → ERR_CPIX_XML. */
  code: string;
  /** Maximum document size in characters. */
  maxLength?: number;
  /** Maximum element nesting depth. */
  maxDepth?: number;
  /** fast-xml-parser preserveOrder (needed for canonicalisation). */
  preserveOrder?: boolean;
  /** Element names that are always arrays (non-preserveOrder mode). */
  arrays?: readonly string[];
  /** Only run the guards and the well-formedness check; return undefined. */
  validateOnly?: boolean;
}

/** Decode XML bytes: UTF-8 (with or without BOM) or UTF-16 with a BOM. */
export function decodeXmlBytes(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return b.subarray(2).toString('utf16le');
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
    const swapped = Buffer.from(b.subarray(2));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  // UTF-16LE without BOM: '<' followed by 0.
  if (b.length >= 4 && b[0] === 0x3c && b[1] === 0x00 && b[3] === 0x00) return b.toString('utf16le');
  const text = b.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parse XML safely. Attributes are kept under '@_name' (or ':@' with
 * preserveOrder), text under '#text'; values are NOT entity-decoded here
 * (use decodeXmlEntities on the strings you read) and never type-converted.
 */
export function parseXmlSafely(text: string, options: SafeXmlOptions): unknown {
  const code = `${options.code}_XML`;
  const maxLength = options.maxLength ?? 8 * 1024 * 1024;
  const maxDepth = options.maxDepth ?? 32;
  if (text.length > maxLength) throw new KeysmithError(code, `xml: document is larger than ${maxLength} characters`);
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new KeysmithError(code, 'xml: DOCTYPE and ENTITY declarations are refused (entity expansion is never processed)', {
      hint: 'remove the DOCTYPE; CPIX and PlayReady headers need none',
    });
  }
  const depth = maxNesting(text);
  if (depth > maxDepth) throw new KeysmithError(code, `xml: nesting depth ${depth} exceeds the limit of ${maxDepth}`);
  const { XMLParser, XMLValidator } = loadFxp();
  let valid: ReturnType<typeof XMLValidator.validate>;
  try {
    valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  } catch {
    throw new KeysmithError(code, 'xml: not well-formed');
  }
  if (valid !== true) {
    throw new KeysmithError(code, `xml: not well-formed: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  }
  if (options.validateOnly) return undefined;
  const arrays = new Set(options.arrays ?? []);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    processEntities: false,
    htmlEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: !options.preserveOrder,
    ignoreDeclaration: true,
    ignorePiTags: true,
    preserveOrder: options.preserveOrder ?? false,
    commentPropName: options.preserveOrder ? '#comment' : false,
    maxNestedTags: maxDepth + 1,
    isArray: (name) => arrays.has(localName(name)),
  });
  try {
    return parser.parse(text);
  } catch (err) {
    throw new KeysmithError(code, `xml: ${err instanceof Error ? err.message.split('\n')[0] : 'parse error'}`);
  }
}

/** Element nesting depth by a linear scan (comments, CDATA, PIs and declarations skipped). */
export function maxNesting(text: string): number {
  let depth = 0;
  let max = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      i = end < 0 ? n : end + 3;
      continue;
    }
    const gt = findTagEnd(text, lt + 1);
    if (gt < 0) break;
    const c = text[lt + 1];
    if (c === '?' || c === '!') {
      // declaration or PI
    } else if (c === '/') {
      depth--;
    } else if (text[gt - 1] !== '/') {
      depth++;
      if (depth > max) max = depth;
    } else if (depth + 1 > max) {
      max = depth + 1;
    }
    i = gt + 1;
  }
  return max;
}

function findTagEnd(text: string, from: number): number {
  let quote = '';
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '>') {
      return i;
    }
  }
  return -1;
}

export function localName(qname: string): string {
  const i = qname.indexOf(':');
  return i < 0 ? qname : qname.slice(i + 1);
}
