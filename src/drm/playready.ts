/**
 * PlayReady Object (PRO) and PlayReady Header (WRMHEADER), per Microsoft's
 * "PlayReady Header Specification" (learn.microsoft.com/playready/specifications/playready-header-specification):
 *
 * §2   PRO: u32 Length, u16 record count, records { u16 type, u16 length, value },
 *      all little-endian. Type 1 = PlayReady Header (UTF-16LE XML, no BOM),
 *      type 3 = Embedded License Store.
 * §3.2 Syntax: canonical XML, explicit closing tags, namespace attribute
 *      first, attributes in alphabetical order.
 * §3.3 v4.3.0.0: KIDS/KID, ALGID AESCTR or AESCBC; AESCBC carries no CHECKSUM.
 * §3.4 v4.2.0.0: KIDS/KID list (AESCTR).
 * §3.5 v4.1.0.0: one PROTECTINFO/KID with ALGID, CHECKSUM, VALUE attributes.
 * §3.6 v4.0.0.0: PROTECTINFO/KEYLEN+ALGID, DATA/KID and DATA/CHECKSUM elements.
 * §5   Key checksum (AESCTR): first 8 bytes of AES-128-ECB(content key, KID)
 *      where the KID is the little-endian GUID (the bytes in VALUE).
 */
import { aesEcbEncryptBlock } from '../crypto/aes.js';
import { ContentKey, KeyId, swapGuidBytes } from '../crypto/values.js';
import { constantTimeEqual } from '../crypto/ct.js';
import { KeysmithError } from '../errors.js';
import { decodeXmlEntities, escapeXmlAttr, escapeXmlText, parseXmlSafely } from './xml.js';

export const PLAYREADY_SYSTEM_ID = '9a04f079-9840-4286-ab92-e65be0885f95';
export const PLAYREADY_HEADER_NS = 'http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader';

export type PlayReadyVersion = '4.0' | '4.1' | '4.2' | '4.3';
export type PlayReadyAlgId = 'AESCTR' | 'AESCBC';
export const PLAYREADY_VERSIONS: readonly PlayReadyVersion[] = ['4.0', '4.1', '4.2', '4.3'];

export const PRO_RECORD_HEADER = 1;
export const PRO_RECORD_ELS = 3;
/** §2: "This value should not exceed 15 kilobytes"; we refuse above 64 KiB. */
export const MAX_PRO_SIZE = 64 * 1024;

export interface PlayReadyKid {
  kid: KeyId;
  /** 8-byte checksum (§5). Computed from `key` when the key is given. */
  checksum?: Buffer;
  key?: ContentKey;
}

export interface WrmHeaderParams {
  version: PlayReadyVersion;
  kids: PlayReadyKid[];
  /** AESCTR for cenc, AESCBC for cbcs (4.3 only). Default AESCTR. */
  algId?: PlayReadyAlgId;
  laUrl?: string;
  luiUrl?: string;
  /** DS_ID: base64 GUID of the domain service. */
  dsId?: string;
  /** Raw XML placed inside CUSTOMATTRIBUTES (must be well-formed). */
  customAttributes?: string;
  decryptorSetup?: 'ONDEMAND';
}

function usage(message: string, hint?: string): KeysmithError {
  return new KeysmithError('ERR_USAGE', message, { exit: 2, ...(hint === undefined ? {} : { hint }) });
}

/** §5: base64 of the first 8 bytes of AES-ECB(key, little-endian KID). */
export function playReadyChecksum(kid: KeyId, key: ContentKey | Uint8Array): Buffer {
  return aesEcbEncryptBlock(key, kid.guidBytes).subarray(0, 8);
}

/** The KID as PlayReady writes it: base64 of the little-endian GUID bytes. */
export function playReadyKidValue(kid: KeyId): string {
  return kid.guidBytes.toString('base64');
}

function checksumOf(k: PlayReadyKid): Buffer | undefined {
  if (k.checksum !== undefined) {
    if (k.checksum.length !== 8) throw new TypeError(`"playready checksum" expected length 8, got length=${k.checksum.length}`);
    return k.checksum;
  }
  return k.key === undefined ? undefined : playReadyChecksum(k.kid, k.key);
}

function textElement(name: string, value: string | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXmlText(value)}</${name}>`;
}

/** Build the canonical WRMHEADER XML string (§3). */
export function buildWrmHeader(p: WrmHeaderParams): string {
  const algId = p.algId ?? 'AESCTR';
  if (!PLAYREADY_VERSIONS.includes(p.version)) throw usage(`unknown PlayReady header version '${String(p.version)}'`, 'choose 4.0, 4.1, 4.2 or 4.3');
  if (algId === 'AESCBC' && p.version !== '4.3') {
    throw usage(`PlayReady header ${p.version} cannot carry AESCBC (cbcs) keys`, 'use --playready-version 4.3 for cbcs');
  }
  if ((p.version === '4.0' || p.version === '4.1') && p.kids.length > 1) {
    throw usage(`PlayReady header ${p.version} holds one KID, got ${p.kids.length}`, 'use --playready-version 4.2 or 4.3 for several KIDs');
  }
  if (p.version === '4.0' && p.kids.length === 0) throw usage('PlayReady header 4.0 needs a KID');
  for (const [name, v] of [['LA_URL', p.laUrl], ['LUI_URL', p.luiUrl], ['DS_ID', p.dsId]] as const) {
    if (v !== undefined && v.length === 0) throw usage(`PlayReady ${name} must not be empty (§3.3.3)`);
  }
  if (p.customAttributes !== undefined) {
    if (p.customAttributes.trim().length === 0) throw usage('PlayReady CUSTOMATTRIBUTES must not be empty (§3.3.3)');
    try {
      parseXmlSafely(`<C>${p.customAttributes}</C>`, { code: 'ERR_PSSH_PLAYREADY', maxLength: 16 * 1024, maxDepth: 16 });
    } catch (err) {
      throw usage(`PlayReady CUSTOMATTRIBUTES is not well-formed XML (${err instanceof Error ? err.message.replace(/^xml: /, '') : 'parse error'})`, 'close every element explicitly, e.g. <ContentId>42</ContentId>');
    }
  }
  let protect: string;
  let afterProtect = '';
  if (p.version === '4.0') {
    const k = p.kids[0]!;
    const sum = checksumOf(k);
    protect = '<PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO>';
    afterProtect = `<KID>${playReadyKidValue(k.kid)}</KID>${sum === undefined ? '' : `<CHECKSUM>${sum.toString('base64')}</CHECKSUM>`}`;
  } else {
    const kidXml = p.kids
      .map((k) => {
        const sum = algId === 'AESCBC' ? undefined : checksumOf(k);
        // §3.2.5: attributes in alphabetical order.
        return `<KID ALGID="${algId}"${sum === undefined ? '' : ` CHECKSUM="${sum.toString('base64')}"`} VALUE="${playReadyKidValue(k.kid)}"></KID>`;
      })
      .join('');
    if (p.kids.length === 0) protect = '';
    else protect = p.version === '4.1' ? `<PROTECTINFO>${kidXml}</PROTECTINFO>` : `<PROTECTINFO><KIDS>${kidXml}</KIDS></PROTECTINFO>`;
  }
  const data =
    protect +
    afterProtect +
    textElement('LA_URL', p.laUrl) +
    textElement('LUI_URL', p.luiUrl) +
    textElement('DS_ID', p.dsId) +
    (p.customAttributes === undefined ? '' : `<CUSTOMATTRIBUTES>${p.customAttributes}</CUSTOMATTRIBUTES>`) +
    (p.decryptorSetup === undefined || p.version === '4.0' ? '' : `<DECRYPTORSETUP>${p.decryptorSetup}</DECRYPTORSETUP>`);
  return `<WRMHEADER xmlns="${escapeXmlAttr(PLAYREADY_HEADER_NS)}" version="${p.version}.0.0"><DATA>${data}</DATA></WRMHEADER>`;
}

export interface PlayReadyRecord {
  type: number;
  value: Buffer;
}

/** Assemble a PlayReady Object (§2) from records (default: one header record). */
export function buildPlayReadyObject(header: string | WrmHeaderParams, extraRecords: PlayReadyRecord[] = []): Buffer {
  const xml = typeof header === 'string' ? header : buildWrmHeader(header);
  const records: PlayReadyRecord[] = [{ type: PRO_RECORD_HEADER, value: Buffer.from(xml, 'utf16le') }, ...extraRecords];
  for (const r of records) {
    if (r.value.length > 0xffff) throw new KeysmithError('ERR_PSSH_PLAYREADY', `PlayReady record of ${r.value.length} bytes exceeds the 65535-byte record limit`);
  }
  const total = 6 + records.reduce((n, r) => n + 4 + r.value.length, 0);
  const out = Buffer.alloc(total);
  let o = out.writeUInt32LE(total, 0);
  o = out.writeUInt16LE(records.length, o);
  for (const r of records) {
    o = out.writeUInt16LE(r.type, o);
    o = out.writeUInt16LE(r.value.length, o);
    o += r.value.copy(out, o);
  }
  return out;
}

function proError(message: string): KeysmithError {
  return new KeysmithError('ERR_PSSH_PLAYREADY', `playready object: ${message}`);
}

/** Parse the records of a PlayReady Object; every length must agree (§2). */
export function parsePlayReadyObject(bytes: Uint8Array): PlayReadyRecord[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 6) throw proError(`${b.length} bytes, shorter than its 6-byte header`);
  if (b.length > MAX_PRO_SIZE) throw proError(`${b.length} bytes, more than ${MAX_PRO_SIZE}`);
  const length = b.readUInt32LE(0);
  if (length !== b.length) throw proError(`Length field says ${length} bytes, the object has ${b.length}`);
  const count = b.readUInt16LE(4);
  if (count * 4 > b.length - 6) throw proError(`record count ${count} does not fit in ${b.length - 6} bytes`);
  const records: PlayReadyRecord[] = [];
  let o = 6;
  for (let i = 0; i < count; i++) {
    if (o + 4 > b.length) throw proError(`record ${i} header runs past the end`);
    const type = b.readUInt16LE(o);
    const len = b.readUInt16LE(o + 2);
    o += 4;
    if (o + len > b.length) throw proError(`record ${i} claims ${len} bytes, only ${b.length - o} left`);
    records.push({ type, value: Buffer.from(b.subarray(o, o + len)) });
    o += len;
  }
  if (o !== b.length) throw proError(`${b.length - o} bytes after the last of ${count} records`);
  return records;
}

export interface ParsedPlayReadyKid {
  kid: KeyId;
  algId?: string;
  checksum?: Buffer;
}

export interface ParsedWrmHeader {
  xml: string;
  version: string;
  kids: ParsedPlayReadyKid[];
  laUrl?: string;
  luiUrl?: string;
  dsId?: string;
  decryptorSetup?: string;
  hasCustomAttributes: boolean;
}

function headerError(message: string): KeysmithError {
  return new KeysmithError('ERR_PSSH_PLAYREADY', `playready header: ${message}`);
}

function textOf(node: unknown): string | undefined {
  if (node === undefined || node === null) return undefined;
  if (typeof node === 'string') return decodeXmlEntities(node, 'ERR_PSSH_PLAYREADY');
  if (typeof node === 'object' && '#text' in (node as Record<string, unknown>)) {
    return decodeXmlEntities(String((node as Record<string, unknown>)['#text']), 'ERR_PSSH_PLAYREADY');
  }
  return '';
}

function kidFromValue(value: string): KeyId {
  const raw = Buffer.from(value.trim(), 'base64');
  if (raw.length !== 16) throw headerError(`KID value '${value.slice(0, 40)}' is not a base64 16-byte GUID`);
  return new KeyId(swapGuidBytes(raw));
}

function checksumFrom(value: string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  const raw = Buffer.from(value.trim(), 'base64');
  return raw.length === 0 ? undefined : raw;
}

/** Parse WRMHEADER XML (any of 4.0-4.3) into its KIDs and URLs. */
export function parseWrmHeader(xml: string): ParsedWrmHeader {
  const doc = parseXmlSafely(xml, { code: 'ERR_PSSH_PLAYREADY', maxLength: 64 * 1024, maxDepth: 24, arrays: ['KID'] }) as Record<string, unknown>;
  const root = doc.WRMHEADER as Record<string, unknown> | undefined;
  if (!root || typeof root !== 'object') throw headerError('no WRMHEADER root element');
  const version = String(root['@_version'] ?? '');
  if (!/^4\.[0-3]\.0\.0$/.test(version)) throw headerError(`unsupported version '${version.slice(0, 16)}'`);
  const data = (root.DATA ?? {}) as Record<string, unknown>;
  const protect = (data.PROTECTINFO ?? {}) as Record<string, unknown>;
  const kids: ParsedPlayReadyKid[] = [];
  if (version === '4.0.0.0') {
    for (const k of (data.KID as unknown[] | undefined) ?? []) {
      const value = textOf(k);
      if (value) {
        const sum = checksumFrom(textOf(data.CHECKSUM));
        const alg = textOf(protect.ALGID);
        kids.push({ kid: kidFromValue(value), ...(alg ? { algId: alg } : {}), ...(sum ? { checksum: sum } : {}) });
      }
    }
  } else {
    const list = version === '4.1.0.0' ? protect.KID : (protect.KIDS as Record<string, unknown> | undefined)?.KID;
    for (const k of (list as Record<string, unknown>[] | undefined) ?? []) {
      const value = k?.['@_VALUE'];
      if (typeof value !== 'string') throw headerError('KID element without VALUE');
      const alg = k['@_ALGID'];
      const sum = checksumFrom(typeof k['@_CHECKSUM'] === 'string' ? k['@_CHECKSUM'] : undefined);
      kids.push({ kid: kidFromValue(value), ...(typeof alg === 'string' ? { algId: alg } : {}), ...(sum ? { checksum: sum } : {}) });
    }
  }
  const out: ParsedWrmHeader = { xml, version, kids, hasCustomAttributes: data.CUSTOMATTRIBUTES !== undefined };
  const la = textOf(data.LA_URL);
  if (la !== undefined) out.laUrl = la.trim();
  const lui = textOf(data.LUI_URL);
  if (lui !== undefined) out.luiUrl = lui.trim();
  const ds = textOf(data.DS_ID);
  if (ds !== undefined) out.dsId = ds.trim();
  const dec = textOf(data.DECRYPTORSETUP);
  if (dec !== undefined) out.decryptorSetup = dec.trim();
  return out;
}

/** Decode the UTF-16LE header record of a PlayReady Object. */
export function wrmHeaderXmlOf(records: PlayReadyRecord[]): string | undefined {
  const rec = records.find((r) => r.type === PRO_RECORD_HEADER);
  if (!rec) return undefined;
  if (rec.value.length % 2 !== 0) throw proError(`header record has an odd length ${rec.value.length} (UTF-16LE)`);
  let xml = rec.value.toString('utf16le');
  if (xml.charCodeAt(0) === 0xfeff) xml = xml.slice(1);
  return xml;
}

/** Parse a PlayReady Object (the pssh Data of the PlayReady system) down to its header. */
export function parsePlayReadyPsshData(data: Uint8Array): { records: { type: number; length: number }[]; header?: ParsedWrmHeader } {
  const records = parsePlayReadyObject(data);
  const xml = wrmHeaderXmlOf(records);
  return { records: records.map((r) => ({ type: r.type, length: r.value.length })), ...(xml === undefined ? {} : { header: parseWrmHeader(xml) }) };
}

/** Does the header's checksum for this KID match the content key? undefined when there is no checksum to compare. */
export function verifyPlayReadyChecksum(k: ParsedPlayReadyKid, key: ContentKey): boolean | undefined {
  if (k.checksum === undefined) return undefined;
  return constantTimeEqual(k.checksum, playReadyChecksum(k.kid, key));
}
