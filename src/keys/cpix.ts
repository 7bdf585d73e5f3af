/**
 * CPIX 2.3 (DASH-IF "Content Protection Information Exchange Format",
 * dashif.org/docs/CPIX2.3) export and import.
 *
 * §5.3.2  ContentKey: @kid, @explicitIV, @commonEncryptionScheme; the value
 *         in Data/pskc:Secret as PlainValue or EncryptedValue + ValueMAC.
 * §6.3    Encrypted keys: a random 256-bit document key encrypts each content
 *         key with AES-256-CBC (CipherValue = IV ‖ ciphertext, PKCS#7);
 *         HMAC-SHA512 with a random MAC key over the CipherValue bytes is the
 *         ValueMAC; document and MAC keys are encrypted to every recipient's
 *         certificate with RSA-OAEP (MGF1 with SHA-1, xmlenc#rsa-oaep-mgf1p).
 * §5.3.3  DRMSystemList: per KID and system, PSSH, ContentProtectionData,
 *         HLSSignalingData (media/master), SmoothStreamingProtectionHeaderData,
 *         all base64, taken from the DRM table (src/drm).
 * §5.3.4-5 ContentKeyPeriodList and ContentKeyUsageRuleList: read and kept.
 * §6.4    XML signatures: verified (see xmldsig.ts), never merely assumed.
 */
import { constants, createHmac, privateDecrypt, publicEncrypt, type KeyObject, type X509Certificate } from 'node:crypto';
import { aesCbcDecrypt, aesCbcEncrypt } from '../crypto/aes.js';
import { constantTimeEqual } from '../crypto/ct.js';
import { systemRandom, type RandomSource } from '../crypto/random.js';
import { ContentKey, KeyId } from '../crypto/values.js';
import { KeysmithError } from '../errors.js';
import { decodeXmlBytes, escapeXmlAttr, escapeXmlText, parseXmlSafely } from '../drm/xml.js';
import { drmBySystemId, systemNameOf } from '../drm/table.js';
import { formatHlsKeyTag } from '../drm/hls.js';
import { DASH_NAMESPACES, renderXmlElement, type XmlElement } from '../drm/dash.js';
import type { DrmContext, DrmSystem, ProtectionScheme } from '../drm/types.js';
import { parsePsshBox } from '../drm/pssh-box.js';
import type { ContentKeyEntry } from './content-keys.js';
import { attr, childElements, parseXmlTree, textContent, type XElement } from './xml-c14n.js';
import { verifyCpixSignatures, XMLDSIG_NS, type SignatureReport } from './xmldsig.js';
import { assertStrongCertificate, assertStrongRsaKey, loadCertificate, subjectOf } from './x509.js';

export const CPIX_NS = 'urn:dashif:org:cpix';
export const PSKC_NS = 'urn:ietf:params:xml:ns:keyprov:pskc';
export const XMLENC_NS = 'http://www.w3.org/2001/04/xmlenc#';
export const CPIX_VERSION = '2.3';
const AES256_CBC = 'http://www.w3.org/2001/04/xmlenc#aes256-cbc';
const RSA_OAEP = 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p';
const HMAC_SHA512 = 'http://www.w3.org/2001/04/xmldsig-more#hmac-sha512';
const MAX_CONTENT_KEYS = 10_000;
const MAX_LIST_ITEMS = 100_000;

export interface CpixContentKey {
  kid: KeyId;
  /** The key, when in the clear or decrypted. */
  key?: ContentKey;
  /** The document carried the key encrypted. */
  encrypted: boolean;
  commonEncryptionScheme?: string;
  explicitIV?: string;
  id?: string;
}

export interface CpixRecipient {
  subject: string;
  sha256: string;
  /** This recipient's certificate matches the private key given. */
  matchesPrivateKey?: boolean;
}

export interface CpixDrmSystem {
  systemId: string;
  system: string;
  kid: KeyId;
  /** base64 pssh box, as written. */
  pssh?: string;
  psshError?: string;
  /** Decoded ContentProtectionData (XML text). */
  contentProtectionData?: string;
  hlsSignalingData: { playlist: string; text: string }[];
  /** base64 PlayReady Object for Smooth Streaming. */
  smoothStreamingProtectionHeaderData?: string;
  uriExtXKey?: string;
}

export interface CpixPeriod {
  id?: string;
  index?: number;
  start?: string;
  end?: string;
}

export interface CpixFilter {
  /** Element local name: LabelFilter, VideoFilter, AudioFilter, BitrateFilter, KeyPeriodFilter. */
  type: string;
  attributes: Record<string, string>;
}

export interface CpixUsageRule {
  kid: KeyId;
  intendedTrackType?: string;
  filters: CpixFilter[];
}

export interface CpixDocument {
  version?: string;
  contentId?: string;
  id?: string;
  keys: CpixContentKey[];
  recipients: CpixRecipient[];
  drmSystems: CpixDrmSystem[];
  periods: CpixPeriod[];
  usageRules: CpixUsageRule[];
  /** Every signature found was verified (invalid ones throw). */
  signatures: SignatureReport[];
}

function cpixError(code: string, message: string, hint?: string): KeysmithError {
  return new KeysmithError(code, message, hint === undefined ? {} : { hint });
}

function formatError(message: string): KeysmithError {
  return cpixError('ERR_CPIX_FORMAT', `cpix: ${message}`);
}

// ---------------------------------------------------------------- import

function only(parent: XElement, local: string, ns: string, where: string): XElement | undefined {
  const list = childElements(parent, local, ns);
  if (list.length > 1) throw formatError(`${where} has ${list.length} ${local} elements, expected at most one`);
  return list[0];
}

function need(parent: XElement, local: string, ns: string, where: string): XElement {
  const el = only(parent, local, ns, where);
  if (!el) throw formatError(`${where} lacks ${local}`);
  return el;
}

function b64(el: XElement, what: string): Buffer {
  const t = textContent(el).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t)) throw formatError(`${what} is not base64`);
  return Buffer.from(t, 'base64');
}

function bounded<T>(list: T[], what: string, max = MAX_LIST_ITEMS): T[] {
  if (list.length > max) throw formatError(`more than ${max} ${what}`);
  return list;
}

interface DeliveryData {
  cert: X509Certificate;
  documentKey: Buffer;
  macKey: Buffer;
}

function rsaOaepDecrypt(key: KeyObject, data: Buffer, what: string): Buffer {
  try {
    return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, data);
  } catch {
    throw cpixError('ERR_CPIX_DECRYPT', `cpix: cannot decrypt the ${what} with this private key`, 'check that the key belongs to the recipient certificate');
  }
}

function readEncryptedValue(parent: XElement, algorithm: string, where: string): Buffer {
  const method = need(parent, 'EncryptionMethod', XMLENC_NS, where);
  const alg = attr(method, 'Algorithm');
  if (alg !== algorithm) throw cpixError('ERR_CPIX_ALGORITHM', `cpix: ${where} uses ${alg ?? '(none)'}, expected ${algorithm}`);
  const cipherData = need(parent, 'CipherData', XMLENC_NS, where);
  return b64(need(cipherData, 'CipherValue', XMLENC_NS, where), `${where} CipherValue`);
}

function readDeliveryData(list: XElement | undefined, privateKey: KeyObject | undefined): { recipients: CpixRecipient[]; mine?: DeliveryData } {
  const recipients: CpixRecipient[] = [];
  let mine: DeliveryData | undefined;
  for (const dd of bounded(list ? childElements(list, 'DeliveryData', CPIX_NS) : [], 'DeliveryData elements', 1000)) {
    const dk = need(dd, 'DeliveryKey', CPIX_NS, 'DeliveryData');
    const x509 = childElements(dk, 'X509Data', XMLDSIG_NS).flatMap((d) => childElements(d, 'X509Certificate', XMLDSIG_NS))[0];
    if (!x509) throw formatError('DeliveryKey lacks ds:X509Data/ds:X509Certificate');
    const cert = loadCertificate(textContent(x509), 'recipient certificate');
    const recipient: CpixRecipient = { subject: subjectOf(cert), sha256: cert.fingerprint256 };
    if (privateKey) {
      recipient.matchesPrivateKey = cert.checkPrivateKey(privateKey);
      if (recipient.matchesPrivateKey && !mine) {
        const docKeyEl = need(dd, 'DocumentKey', CPIX_NS, 'DeliveryData');
        if (attr(docKeyEl, 'Algorithm') !== AES256_CBC) throw cpixError('ERR_CPIX_ALGORITHM', `cpix: DocumentKey algorithm ${attr(docKeyEl, 'Algorithm') ?? '(none)'} is not ${AES256_CBC}`);
        const secret = need(need(docKeyEl, 'Data', CPIX_NS, 'DocumentKey'), 'Secret', PSKC_NS, 'DocumentKey');
        const encDoc = readEncryptedValue(need(secret, 'EncryptedValue', PSKC_NS, 'DocumentKey'), RSA_OAEP, 'DocumentKey');
        const macMethod = need(dd, 'MACMethod', CPIX_NS, 'DeliveryData');
        if (attr(macMethod, 'Algorithm') !== HMAC_SHA512) throw cpixError('ERR_CPIX_ALGORITHM', `cpix: MACMethod ${attr(macMethod, 'Algorithm') ?? '(none)'} is not ${HMAC_SHA512}`);
        const encMac = readEncryptedValue(need(macMethod, 'Key', CPIX_NS, 'MACMethod'), RSA_OAEP, 'MACMethod Key');
        const documentKey = rsaOaepDecrypt(privateKey, encDoc, 'document key');
        const macKey = rsaOaepDecrypt(privateKey, encMac, 'MAC key');
        if (documentKey.length !== 32) throw cpixError('ERR_CPIX_DECRYPT', `cpix: document key is ${documentKey.length} bytes, expected 32 (AES-256)`);
        if (macKey.length < 32) throw cpixError('ERR_CPIX_DECRYPT', `cpix: MAC key is ${macKey.length} bytes, too short for HMAC-SHA512`);
        mine = { cert, documentKey, macKey };
      }
    }
    recipients.push(recipient);
  }
  return mine ? { recipients, mine } : { recipients };
}

function parseKid(text: string | undefined, where: string): KeyId {
  if (text === undefined) throw formatError(`${where} lacks @kid`);
  try {
    return KeyId.parse(text);
  } catch {
    throw formatError(`${where} @kid '${text.slice(0, 40)}' is not a UUID`);
  }
}

function readContentKeys(list: XElement | undefined, delivery: DeliveryData | undefined, hasRecipients: boolean): CpixContentKey[] {
  const out: CpixContentKey[] = [];
  const seen = new Set<string>();
  for (const ck of bounded(list ? childElements(list, 'ContentKey', CPIX_NS) : [], 'content keys', MAX_CONTENT_KEYS)) {
    const kid = parseKid(attr(ck, 'kid'), 'ContentKey');
    if (seen.has(kid.hex)) throw formatError(`content key ${kid.uuid} appears twice`);
    seen.add(kid.hex);
    const entry: CpixContentKey = { kid, encrypted: false };
    for (const name of ['commonEncryptionScheme', 'explicitIV', 'id'] as const) {
      const v = attr(ck, name);
      if (v !== undefined) entry[name] = v;
    }
    const data = only(ck, 'Data', CPIX_NS, `ContentKey ${kid.uuid}`);
    const secret = data && only(data, 'Secret', PSKC_NS, `ContentKey ${kid.uuid}`);
    if (secret) {
      const plain = only(secret, 'PlainValue', PSKC_NS, `ContentKey ${kid.uuid}`);
      const enc = only(secret, 'EncryptedValue', PSKC_NS, `ContentKey ${kid.uuid}`);
      if (plain && enc) throw formatError(`content key ${kid.uuid} has both PlainValue and EncryptedValue`);
      if (plain) {
        const value = b64(plain, `content key ${kid.uuid}`);
        if (value.length !== 16) throw formatError(`content key ${kid.uuid} is ${value.length} bytes, expected 16`);
        entry.key = new ContentKey(value);
      } else if (enc) {
        entry.encrypted = true;
        const cipherValue = readEncryptedValue(enc, AES256_CBC, `content key ${kid.uuid}`);
        const macEl = only(secret, 'ValueMAC', PSKC_NS, `ContentKey ${kid.uuid}`);
        if (!hasRecipients) throw formatError(`content key ${kid.uuid} is encrypted but the document has no DeliveryDataList`);
        if (delivery) {
          if (!macEl) throw cpixError('ERR_CPIX_MAC', `cpix: encrypted content key ${kid.uuid} has no ValueMAC`);
          const mac = createHmac('sha512', delivery.macKey).update(cipherValue).digest();
          if (!constantTimeEqual(mac, b64(macEl, 'ValueMAC'))) {
            throw cpixError('ERR_CPIX_MAC', `cpix: the MAC of encrypted content key ${kid.uuid} does not verify`, 'the document was altered or damaged; do not use it');
          }
          if (cipherValue.length !== 48) throw cpixError('ERR_CPIX_DECRYPT', `cpix: encrypted content key ${kid.uuid} is ${cipherValue.length} bytes, expected 48 (IV + two blocks)`);
          let value: Buffer;
          try {
            value = aesCbcDecrypt(delivery.documentKey, cipherValue.subarray(0, 16), cipherValue.subarray(16), { padding: true });
          } catch {
            throw cpixError('ERR_CPIX_DECRYPT', `cpix: cannot decrypt content key ${kid.uuid}`);
          }
          if (value.length !== 16) throw cpixError('ERR_CPIX_DECRYPT', `cpix: content key ${kid.uuid} decrypts to ${value.length} bytes, expected 16`);
          entry.key = new ContentKey(value);
          value.fill(0);
        }
      }
    }
    out.push(entry);
  }
  return out;
}

function readDrmSystems(list: XElement | undefined): CpixDrmSystem[] {
  return bounded(list ? childElements(list, 'DRMSystem', CPIX_NS) : [], 'DRM systems').map((el) => {
    const systemId = (attr(el, 'systemId') ?? '').toLowerCase();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(systemId)) throw formatError(`DRMSystem @systemId '${systemId.slice(0, 40)}' is not a UUID`);
    const sys: CpixDrmSystem = { systemId, system: systemNameOf(systemId), kid: parseKid(attr(el, 'kid'), 'DRMSystem'), hlsSignalingData: [] };
    const pssh = only(el, 'PSSH', CPIX_NS, 'DRMSystem');
    if (pssh) {
      const bytes = b64(pssh, 'PSSH');
      sys.pssh = bytes.toString('base64');
      try {
        parsePsshBox(bytes);
      } catch (err) {
        sys.psshError = err instanceof KeysmithError ? err.message : 'unreadable';
      }
    }
    const cpd = only(el, 'ContentProtectionData', CPIX_NS, 'DRMSystem');
    if (cpd) sys.contentProtectionData = b64(cpd, 'ContentProtectionData').toString('utf8');
    for (const h of childElements(el, 'HLSSignalingData', CPIX_NS)) {
      sys.hlsSignalingData.push({ playlist: attr(h, 'playlist') ?? 'media', text: b64(h, 'HLSSignalingData').toString('utf8') });
    }
    const ss = only(el, 'SmoothStreamingProtectionHeaderData', CPIX_NS, 'DRMSystem');
    if (ss) sys.smoothStreamingProtectionHeaderData = b64(ss, 'SmoothStreamingProtectionHeaderData').toString('base64');
    const uri = only(el, 'URIExtXKey', CPIX_NS, 'DRMSystem');
    if (uri) sys.uriExtXKey = b64(uri, 'URIExtXKey').toString('utf8');
    return sys;
  });
}

function readPeriods(list: XElement | undefined): CpixPeriod[] {
  return bounded(list ? childElements(list, 'ContentKeyPeriod', CPIX_NS) : [], 'key periods').map((el) => {
    const p: CpixPeriod = {};
    const id = attr(el, 'id');
    if (id !== undefined) p.id = id;
    const index = attr(el, 'index');
    if (index !== undefined) {
      if (!/^\d{1,10}$/.test(index)) throw formatError(`ContentKeyPeriod @index '${index.slice(0, 20)}' is not an unsigned integer`);
      p.index = Number(index);
    }
    const start = attr(el, 'start');
    if (start !== undefined) p.start = start;
    const end = attr(el, 'end');
    if (end !== undefined) p.end = end;
    return p;
  });
}

function readUsageRules(list: XElement | undefined): CpixUsageRule[] {
  return bounded(list ? childElements(list, 'ContentKeyUsageRule', CPIX_NS) : [], 'usage rules').map((el) => {
    const rule: CpixUsageRule = { kid: parseKid(attr(el, 'kid'), 'ContentKeyUsageRule'), filters: [] };
    const t = attr(el, 'intendedTrackType');
    if (t !== undefined) rule.intendedTrackType = t;
    for (const f of bounded(childElements(el, undefined, CPIX_NS), 'filters', 1000)) {
      rule.filters.push({ type: f.local, attributes: Object.fromEntries(f.attrs.map((a) => [a.name, a.value])) });
    }
    return rule;
  });
}

export interface ParseCpixOptions {
  /** The recipient's private key: decrypts encrypted content keys. */
  privateKey?: KeyObject;
  /** Maximum document size in bytes (default 16 MiB). */
  maxBytes?: number;
}

/** Parse, verify and (with a private key) decrypt a CPIX document. */
export function parseCpix(input: Uint8Array | string, options: ParseCpixOptions = {}): CpixDocument {
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  if (typeof input !== 'string' && input.length > maxBytes) throw cpixError('ERR_CPIX_XML', `cpix: document larger than ${maxBytes} bytes`);
  const text = typeof input === 'string' ? input : decodeXmlBytes(input);
  // Bounded, entity-free well-formedness check through fast-xml-parser first.
  parseXmlSafely(text, { code: 'ERR_CPIX', maxLength: maxBytes, maxDepth: 32, validateOnly: true });
  const root = parseXmlTree(text);
  if (root.local !== 'CPIX' || root.ns !== CPIX_NS) {
    throw formatError(`root element is {${root.ns}}${root.local}, expected {${CPIX_NS}}CPIX`);
  }
  if (options.privateKey) assertStrongRsaKey(options.privateKey, 'private key');
  const signatures = verifyCpixSignatures(root);
  const lists = ['DeliveryDataList', 'ContentKeyList', 'DRMSystemList', 'ContentKeyPeriodList', 'ContentKeyUsageRuleList'] as const;
  const el = Object.fromEntries(lists.map((l) => [l, only(root, l, CPIX_NS, 'CPIX')])) as Record<(typeof lists)[number], XElement | undefined>;
  const { recipients, mine } = readDeliveryData(el.DeliveryDataList, options.privateKey);
  if (options.privateKey && recipients.length > 0 && !mine) {
    throw cpixError('ERR_CPIX_RECIPIENT', 'cpix: the document is not addressed to this private key', `its recipients: ${recipients.map((r) => r.subject).join('; ')}`);
  }
  const doc: CpixDocument = {
    keys: readContentKeys(el.ContentKeyList, mine, recipients.length > 0),
    recipients,
    drmSystems: readDrmSystems(el.DRMSystemList),
    periods: readPeriods(el.ContentKeyPeriodList),
    usageRules: readUsageRules(el.ContentKeyUsageRuleList),
    signatures,
  };
  for (const name of ['version', 'contentId', 'id'] as const) {
    const v = attr(root, name);
    if (v !== undefined) doc[name] = v;
  }
  if (mine) {
    mine.documentKey.fill(0);
    mine.macKey.fill(0);
  }
  return doc;
}

/** The keys of a document as keys.json entries (labels from LabelFilter usage rules). */
export function cpixKeyEntries(doc: CpixDocument): ContentKeyEntry[] {
  return doc.keys.flatMap((k) => {
    if (!k.key) return [];
    const label = doc.usageRules.find((r) => r.kid.equals(k.kid))?.filters.find((f) => f.type === 'LabelFilter')?.attributes.label;
    return [{ kid: k.kid, key: k.key, ...(label === undefined ? {} : { label }) }];
  });
}

// ---------------------------------------------------------------- export

export interface BuildCpixOptions {
  keys: readonly ContentKeyEntry[];
  /** Recipient certificates: keys are encrypted to each. None: keys in the clear. */
  recipients?: readonly X509Certificate[];
  /** DRM systems to signal per key (DRMSystemList), with their context. */
  drm?: { systems: readonly DrmSystem[]; scheme: ProtectionScheme; context?: Omit<DrmContext, 'kids' | 'keys' | 'scheme'> };
  contentId?: string;
  /** ContentKey@commonEncryptionScheme (default: the DRM scheme, when DRM signalling is asked for). */
  scheme?: ProtectionScheme;
  periods?: readonly CpixPeriod[];
  /** Usage rules; keys with a label and no rule get a LabelFilter rule. */
  usageRules?: readonly CpixUsageRule[];
  random?: RandomSource;
}

function el(name: string, attrs: Record<string, string | undefined>, inner = ''): string {
  const a = Object.entries(attrs)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXmlAttr(v)}"`)
    .join('');
  return inner === '' ? `<${name}${a} />` : `<${name}${a}>${inner}</${name}>`;
}

function encryptedValue(algorithm: string, cipher: Buffer): string {
  return el('enc:EncryptionMethod', { Algorithm: algorithm }) + el('enc:CipherData', {}, el('enc:CipherValue', {}, cipher.toString('base64')));
}

function rsaOaepEncrypt(cert: X509Certificate, data: Buffer): Buffer {
  return publicEncrypt({ key: cert.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, data);
}

/** ContentProtectionData: the descriptor's children as standalone XML (namespaces declared inline). */
function contentProtectionData(children: readonly XmlElement[]): string {
  return children
    .map((c) => {
      const prefix = c.name.includes(':') ? c.name.slice(0, c.name.indexOf(':')) : '';
      const ns = DASH_NAMESPACES[prefix as keyof typeof DASH_NAMESPACES];
      return renderXmlElement({ ...c, attributes: { ...(ns ? { [`xmlns:${prefix}`]: ns } : {}), ...(c.attributes ?? {}) } }, '', '');
    })
    .join('')
    .replace(/\n/g, '');
}

function drmSystemXml(row: DrmSystem, ctx: DrmContext): string {
  const parts: string[] = [];
  const box = row.psshBox(ctx);
  if (box) parts.push(el('PSSH', {}, box.toString('base64')));
  const cp = row.dashContentProtection(ctx);
  if (cp.children.length > 0) parts.push(el('ContentProtectionData', {}, Buffer.from(contentProtectionData(cp.children), 'utf8').toString('base64')));
  const hls = row.hlsKey(ctx);
  parts.push(el('HLSSignalingData', { playlist: 'media' }, Buffer.from(formatHlsKeyTag(hls, 'EXT-X-KEY'), 'utf8').toString('base64')));
  parts.push(el('HLSSignalingData', { playlist: 'master' }, Buffer.from(formatHlsKeyTag(hls, 'EXT-X-SESSION-KEY'), 'utf8').toString('base64')));
  if (row.smoothProtectionHeader) {
    const header = row.smoothProtectionHeader(ctx);
    const pro = />([^<]*)</.exec(header)?.[1] ?? '';
    parts.push(el('SmoothStreamingProtectionHeaderData', {}, pro));
  }
  return el('DRMSystem', { kid: ctx.kids[0]!.uuid, systemId: row.systemId }, parts.join(''));
}

/** Write a CPIX 2.3 document. Content keys are encrypted when recipients are given. */
export function buildCpix(o: BuildCpixOptions): string {
  const random = o.random ?? systemRandom;
  const recipients = o.recipients ?? [];
  recipients.forEach((c, i) => assertStrongCertificate(c, `recipient ${i + 1} (${subjectOf(c)})`));
  if (o.keys.length > MAX_CONTENT_KEYS) throw cpixError('ERR_USAGE', `more than ${MAX_CONTENT_KEYS} keys`);
  const sections: string[] = [];
  let documentKey: Buffer | undefined;
  let macKey: Buffer | undefined;
  if (recipients.length > 0) {
    documentKey = random.bytes(32);
    macKey = random.bytes(64);
    const delivery = recipients.map((cert) =>
      el(
        'DeliveryData',
        {},
        el('DeliveryKey', {}, el('ds:X509Data', {}, el('ds:X509Certificate', {}, cert.raw.toString('base64')))) +
          el('DocumentKey', { Algorithm: AES256_CBC }, el('Data', {}, el('pskc:Secret', {}, el('pskc:EncryptedValue', {}, encryptedValue(RSA_OAEP, rsaOaepEncrypt(cert, documentKey!)))))) +
          el('MACMethod', { Algorithm: HMAC_SHA512 }, el('Key', {}, encryptedValue(RSA_OAEP, rsaOaepEncrypt(cert, macKey!)))),
      ),
    );
    sections.push(el('DeliveryDataList', {}, delivery.join('')));
  }
  const scheme = o.scheme ?? o.drm?.scheme;
  const keysXml = o.keys.map((k) => {
    let secret: string;
    if (documentKey && macKey) {
      const iv = random.bytes(16);
      const cipherValue = Buffer.concat([iv, aesCbcEncrypt(documentKey, iv, k.key.bytes, { padding: true })]);
      const mac = createHmac('sha512', macKey).update(cipherValue).digest();
      secret = el('pskc:EncryptedValue', {}, encryptedValue(AES256_CBC, cipherValue)) + el('pskc:ValueMAC', {}, mac.toString('base64'));
    } else {
      secret = el('pskc:PlainValue', {}, k.key.exportBase64());
    }
    return el('ContentKey', { commonEncryptionScheme: scheme, kid: k.kid.uuid }, el('Data', {}, el('pskc:Secret', {}, secret)));
  });
  sections.push(el('ContentKeyList', {}, keysXml.join('')));
  if (o.drm && o.drm.systems.length > 0) {
    const systems = o.keys.flatMap((k) =>
      o.drm!.systems.map((row) => drmSystemXml(row, { ...(o.drm!.context ?? {}), kids: [k.kid], keys: [k], scheme: o.drm!.scheme })),
    );
    sections.push(el('DRMSystemList', {}, systems.join('')));
  }
  if (o.periods && o.periods.length > 0) {
    sections.push(
      el(
        'ContentKeyPeriodList',
        {},
        o.periods.map((p) => el('ContentKeyPeriod', { end: p.end, id: p.id, index: p.index === undefined ? undefined : String(p.index), start: p.start })).join(''),
      ),
    );
  }
  const rules: CpixUsageRule[] = [...(o.usageRules ?? [])];
  for (const k of o.keys) {
    if (k.label !== undefined && !rules.some((r) => r.kid.equals(k.kid))) rules.push({ kid: k.kid, filters: [{ type: 'LabelFilter', attributes: { label: k.label } }] });
  }
  if (rules.length > 0) {
    sections.push(
      el(
        'ContentKeyUsageRuleList',
        {},
        rules.map((r) => el('ContentKeyUsageRule', { intendedTrackType: r.intendedTrackType, kid: r.kid.uuid }, r.filters.map((f) => el(f.type, f.attributes)).join(''))).join(''),
      ),
    );
  }
  documentKey?.fill(0);
  macKey?.fill(0);
  const rootAttrs = {
    xmlns: CPIX_NS,
    'xmlns:ds': XMLDSIG_NS,
    'xmlns:enc': XMLENC_NS,
    'xmlns:pskc': PSKC_NS,
    contentId: o.contentId,
    version: CPIX_VERSION,
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${el('CPIX', rootAttrs, sections.join(''))}\n`;
}

/** A JSON-friendly summary of a parsed document (no key material). */
export function describeCpix(doc: CpixDocument): Record<string, unknown> {
  return {
    ...(doc.version === undefined ? {} : { version: doc.version }),
    ...(doc.contentId === undefined ? {} : { contentId: doc.contentId }),
    keys: doc.keys.map((k) => ({
      kid: k.kid.uuid,
      encrypted: k.encrypted,
      decrypted: k.encrypted && k.key !== undefined,
      hasValue: k.key !== undefined,
      ...(k.commonEncryptionScheme === undefined ? {} : { commonEncryptionScheme: k.commonEncryptionScheme }),
      ...(k.explicitIV === undefined ? {} : { explicitIV: k.explicitIV }),
    })),
    recipients: doc.recipients,
    drmSystems: doc.drmSystems.map((d) => ({
      systemId: d.systemId,
      system: d.system,
      drm: drmBySystemId(d.systemId)?.name,
      kid: d.kid.uuid,
      pssh: d.pssh !== undefined,
      ...(d.psshError === undefined ? {} : { psshError: d.psshError }),
      contentProtectionData: d.contentProtectionData !== undefined,
      hlsSignalingData: d.hlsSignalingData.map((h) => h.playlist),
      smoothStreamingProtectionHeaderData: d.smoothStreamingProtectionHeaderData !== undefined,
    })),
    periods: doc.periods,
    usageRules: doc.usageRules.map((r) => ({ kid: r.kid.uuid, ...(r.intendedTrackType ? { intendedTrackType: r.intendedTrackType } : {}), filters: r.filters })),
    signatures: { count: doc.signatures.length, allVerified: true, details: doc.signatures },
  };
}
