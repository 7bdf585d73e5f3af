/**
 * DASH ContentProtection descriptors (ISO/IEC 23009-1 §5.8.4.1, ISO/IEC
 * 23001-7 §11, DASH-IF IOP v4.3 §7.5-7.7), as DATA: a DRM row returns a
 * `DashContentProtection` object and the manifest writer renders it with
 * `renderDashContentProtection` (or walks it into its own XML tree).
 *
 * Shape (one clear shape for every row):
 *   { schemeIdUri, value?, attributes?: { 'cenc:default_KID': … },
 *     children: XmlElement[]  // e.g. <cenc:pssh>, <mspr:pro>, <dashif:Laurl> }
 * Element and attribute names carry the prefixes of DASH_NAMESPACES; the
 * MPD root must declare those it uses (see `namespacesUsed`).
 */
import type { KeyId } from '../crypto/values.js';
import { escapeXmlAttr, escapeXmlText } from './xml.js';

/** Namespace prefixes the descriptors use; declare them on the MPD root. */
export const DASH_NAMESPACES = {
  cenc: 'urn:mpeg:cenc:2013',
  mspr: 'urn:microsoft:playready',
  dashif: 'https://dashif.org/CPS',
} as const;

export const MP4_PROTECTION_SCHEME = 'urn:mpeg:dash:mp4protection:2011';

export interface XmlElement {
  /** Qualified name, e.g. 'cenc:pssh'. */
  name: string;
  attributes?: Record<string, string>;
  text?: string;
  children?: XmlElement[];
}

export interface DashContentProtection {
  schemeIdUri: string;
  value?: string;
  /** Further attributes, e.g. { 'cenc:default_KID': '…' }. */
  attributes?: Record<string, string>;
  children: XmlElement[];
}

/**
 * The generic descriptor every protected AdaptationSet carries first
 * (ISO/IEC 23001-7 §11.2): value = scheme, cenc:default_KID = the KID.
 */
export function mp4ProtectionContentProtection(p: { scheme: string; kids: readonly KeyId[] }): DashContentProtection {
  const cp: DashContentProtection = { schemeIdUri: MP4_PROTECTION_SCHEME, value: p.scheme, children: [] };
  if (p.kids.length > 0) cp.attributes = { 'cenc:default_KID': p.kids[0]!.uuid };
  return cp;
}

function renderAttributes(attrs: Record<string, string> | undefined): string {
  if (!attrs) return '';
  return Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${escapeXmlAttr(v)}"`)
    .join('');
}

/** Render one element (no XML declaration, no namespace declarations). */
export function renderXmlElement(el: XmlElement, indent = '', step = '  '): string {
  const open = `${indent}<${el.name}${renderAttributes(el.attributes)}`;
  const kids = el.children ?? [];
  if (kids.length === 0 && el.text === undefined) return `${open}/>`;
  if (kids.length === 0) return `${open}>${escapeXmlText(el.text ?? '')}</${el.name}>`;
  const inner = kids.map((c) => renderXmlElement(c, indent + step, step)).join('\n');
  return `${open}>\n${inner}\n${indent}</${el.name}>`;
}

export function contentProtectionElement(cp: DashContentProtection): XmlElement {
  return {
    name: 'ContentProtection',
    attributes: { schemeIdUri: cp.schemeIdUri, ...(cp.value === undefined ? {} : { value: cp.value }), ...(cp.attributes ?? {}) },
    children: cp.children,
  };
}

/** `<ContentProtection …>` as an XML fragment. */
export function renderDashContentProtection(cp: DashContentProtection, indent = ''): string {
  return renderXmlElement(contentProtectionElement(cp), indent);
}

/** The namespace prefixes (keys of DASH_NAMESPACES) used by these descriptors. */
export function namespacesUsed(cps: readonly DashContentProtection[]): Record<string, string> {
  const used: Record<string, string> = {};
  const visit = (name: string): void => {
    const prefix = name.includes(':') ? name.slice(0, name.indexOf(':')) : '';
    if (prefix in DASH_NAMESPACES) used[prefix] = DASH_NAMESPACES[prefix as keyof typeof DASH_NAMESPACES];
  };
  const walk = (el: XmlElement): void => {
    visit(el.name);
    Object.keys(el.attributes ?? {}).forEach(visit);
    (el.children ?? []).forEach(walk);
  };
  cps.forEach((cp) => walk(contentProtectionElement(cp)));
  return used;
}
