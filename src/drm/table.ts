/**
 * THE DRM table: one row per system. Adding a system is adding a row.
 *
 * System IDs: DASH-IF content protection identifier registry
 * (dashif.org/identifiers/content_protection) and ISO/IEC 23001-7; the W3C
 * "Common" system (EME cenc initData format, w3.org/TR/eme-initdata-cenc §4).
 */
import { KeysmithError } from '../errors.js';
import type { ContentKeyEntry } from '../keys/content-keys.js';
import type { KeyId } from '../crypto/values.js';
import { buildPsshBox } from './pssh-box.js';
import { buildWidevinePsshData, describeWidevinePsshData, parseWidevinePsshData, WIDEVINE_SYSTEM_ID } from './widevine.js';
import {
  buildPlayReadyObject,
  parsePlayReadyPsshData,
  PLAYREADY_SYSTEM_ID,
  type PlayReadyVersion,
} from './playready.js';
import type { DashContentProtection } from './dash.js';
import { hlsKeyIdAttr, hlsMethodFor } from './hls.js';
import type { DrmContext, DrmSystem, ProtectionScheme } from './types.js';

export const COMMON_SYSTEM_ID = '1077efec-c0b2-4d02-ace3-3c1e52e2fb4b';
export const LEGACY_CLEARKEY_SYSTEM_ID = 'e2719d58-a985-b3c9-781a-b030af78d30e';
export const FAIRPLAY_SYSTEM_ID = '94ce86fb-07ff-4f43-adb8-93d2fa968ca2';

function usage(message: string, hint?: string): KeysmithError {
  return new KeysmithError('ERR_USAGE', message, { exit: 2, ...(hint === undefined ? {} : { hint }) });
}

function needKids(ctx: DrmContext, who: string): void {
  if (ctx.kids.length === 0) throw usage(`${who} needs at least one KID`, 'give --kid');
}

function checkScheme(row: { displayName: string; schemes: readonly ProtectionScheme[] }, scheme: ProtectionScheme): void {
  if (!row.schemes.includes(scheme)) {
    throw usage(`${row.displayName} does not support the '${scheme}' scheme`, `use ${row.schemes.join(' or ')}`);
  }
}

function keyFor(keys: readonly ContentKeyEntry[] | undefined, kid: KeyId): ContentKeyEntry | undefined {
  return keys?.find((k) => k.kid.equals(kid));
}

function psshElement(box: Buffer): { name: string; text: string } {
  return { name: 'cenc:pssh', text: box.toString('base64') };
}

// ---------------------------------------------------------------- Widevine
const WIDEVINE_SCHEMES: readonly ProtectionScheme[] = ['cenc', 'cbcs', 'cens', 'cbc1'];
const widevine: DrmSystem = {
  name: 'widevine',
  displayName: 'Widevine',
  systemId: WIDEVINE_SYSTEM_ID,
  aliasSystemIds: [],
  schemes: WIDEVINE_SCHEMES,
  psshData(ctx) {
    needKids(ctx, 'Widevine');
    return buildWidevinePsshData({
      kids: ctx.kids,
      ...(ctx.provider === undefined ? {} : { provider: ctx.provider }),
      ...(ctx.contentId === undefined ? {} : { contentId: ctx.contentId }),
      protectionScheme: ctx.scheme,
    });
  },
  psshBox(ctx) {
    checkScheme(this, ctx.scheme);
    const version = ctx.psshVersion ?? 0;
    return buildPsshBox({ systemId: this.systemId, version, ...(version === 1 ? { kids: ctx.kids } : {}), data: this.psshData(ctx)! });
  },
  parsePsshData: (data) => describeWidevinePsshData(parseWidevinePsshData(data)),
  dashContentProtection(ctx) {
    // DASH-IF IOP §7.7.4; value "Widevine" as Shaka Packager writes it.
    return { schemeIdUri: `urn:uuid:${this.systemId}`, value: 'Widevine', children: [psshElement(this.psshBox(ctx)!)] };
  },
  hlsKey(ctx) {
    // Shaka Packager / Widevine HLS: the pssh box in a data URI, KEYID of the key.
    return {
      method: hlsMethodFor(ctx.scheme),
      keyformat: `urn:uuid:${this.systemId}`,
      keyformatVersions: '1',
      uri: `data:text/plain;base64,${this.psshBox(ctx)!.toString('base64')}`,
      keyId: hlsKeyIdAttr(ctx.kids[0]!),
    };
  },
};

// ---------------------------------------------------------------- PlayReady
/** Default PlayReady header version for a context (see DrmContext.playreadyVersion). */
export function playReadyVersionFor(ctx: Pick<DrmContext, 'scheme' | 'kids' | 'playreadyVersion'>): PlayReadyVersion {
  if (ctx.playreadyVersion) return ctx.playreadyVersion;
  if (ctx.scheme === 'cbcs') return '4.3';
  return ctx.kids.length > 1 ? '4.2' : '4.0';
}

function playReadyObject(ctx: DrmContext): Buffer {
  needKids(ctx, 'PlayReady');
  const version = playReadyVersionFor(ctx);
  return buildPlayReadyObject({
    version,
    algId: ctx.scheme === 'cbcs' ? 'AESCBC' : 'AESCTR',
    kids: ctx.kids.map((kid) => {
      const entry = keyFor(ctx.keys, kid);
      return entry ? { kid, key: entry.key } : { kid };
    }),
    ...(ctx.laUrl === undefined ? {} : { laUrl: ctx.laUrl }),
    ...(ctx.luiUrl === undefined ? {} : { luiUrl: ctx.luiUrl }),
    ...(ctx.dsId === undefined ? {} : { dsId: ctx.dsId }),
    ...(ctx.customAttributes === undefined ? {} : { customAttributes: ctx.customAttributes }),
  });
}

const playready: DrmSystem = {
  name: 'playready',
  displayName: 'PlayReady',
  systemId: PLAYREADY_SYSTEM_ID,
  // The same GUID written in Microsoft's little-endian byte order, seen in some PIFF/Smooth content.
  aliasSystemIds: ['79f0049a-4098-8642-ab92-e65be0885f95'],
  schemes: ['cenc', 'cbcs'],
  psshData(ctx) {
    checkScheme(this, ctx.scheme);
    return playReadyObject(ctx);
  },
  psshBox(ctx) {
    const version = ctx.psshVersion ?? 0;
    return buildPsshBox({ systemId: this.systemId, version, ...(version === 1 ? { kids: ctx.kids } : {}), data: this.psshData(ctx)! });
  },
  parsePsshData(data) {
    const { records, header } = parsePlayReadyPsshData(data);
    return {
      records,
      ...(header === undefined
        ? {}
        : {
            header: {
              version: header.version,
              kids: header.kids.map((k) => ({
                kid: k.kid.uuid,
                ...(k.algId === undefined ? {} : { algId: k.algId }),
                ...(k.checksum === undefined ? {} : { checksum: k.checksum.toString('base64') }),
              })),
              ...(header.laUrl === undefined ? {} : { laUrl: header.laUrl }),
              ...(header.luiUrl === undefined ? {} : { luiUrl: header.luiUrl }),
              ...(header.dsId === undefined ? {} : { dsId: header.dsId }),
              ...(header.decryptorSetup === undefined ? {} : { decryptorSetup: header.decryptorSetup }),
              customAttributes: header.hasCustomAttributes,
              xml: header.xml,
            },
          }),
    };
  },
  dashContentProtection(ctx) {
    // PlayReady DASH Content Protection (MicrosoftDocs "mpeg-dash-playready"): value "MSPR 2.0",
    // cenc:pssh with the box and mspr:pro with the PlayReady Object.
    const pro = playReadyObject(ctx);
    return {
      schemeIdUri: `urn:uuid:${this.systemId}`,
      value: 'MSPR 2.0',
      children: [psshElement(this.psshBox(ctx)!), { name: 'mspr:pro', text: pro.toString('base64') }],
    };
  },
  hlsKey(ctx) {
    checkScheme(this, ctx.scheme);
    return {
      method: hlsMethodFor(ctx.scheme),
      keyformat: 'com.microsoft.playready',
      keyformatVersions: '1',
      uri: `data:text/plain;charset=UTF-16;base64,${playReadyObject(ctx).toString('base64')}`,
    };
  },
  smoothProtectionHeader(ctx) {
    checkScheme(this, ctx.scheme);
    // Smooth Streaming client manifest (MS-SSTR §2.2.2.2 ProtectionHeaderElement).
    return `<ProtectionHeader SystemID="${this.systemId.toUpperCase()}">${playReadyObject(ctx).toString('base64')}</ProtectionHeader>`;
  },
};

// ---------------------------------------------------------------- W3C Common / ClearKey
const clearkey: DrmSystem = {
  name: 'clearkey',
  displayName: 'W3C Common (ClearKey)',
  systemId: COMMON_SYSTEM_ID,
  aliasSystemIds: [LEGACY_CLEARKEY_SYSTEM_ID],
  schemes: ['cenc', 'cbcs', 'cens', 'cbc1'],
  psshData: () => Buffer.alloc(0),
  psshBox(ctx) {
    // W3C "Common SystemID and PSSH Box Format" (w3.org/TR/eme-initdata-cenc §4): version 1, KIDs, no data.
    needKids(ctx, 'The W3C common system');
    return buildPsshBox({ systemId: this.systemId, version: 1, kids: ctx.kids });
  },
  parsePsshData: (data) => (data.length === 0 ? {} : { note: `unexpected ${data.length} data bytes (the common system carries none)` }),
  dashContentProtection(ctx): DashContentProtection {
    // DASH-IF IOP v4.3 §7.6.2.6: ClearKey signalled with the DASH-IF ClearKey scheme,
    // value "ClearKey1.0" and dashif:Laurl; the pssh is the W3C common box.
    const children: DashContentProtection['children'] = [];
    if (ctx.laUrl !== undefined) children.push({ name: 'dashif:Laurl', attributes: { Lic_type: 'EME-1.0' }, text: ctx.laUrl });
    children.push(psshElement(this.psshBox(ctx)!));
    return { schemeIdUri: `urn:uuid:${LEGACY_CLEARKEY_SYSTEM_ID}`, value: 'ClearKey1.0', children };
  },
  hlsKey(ctx) {
    needKids(ctx, 'ClearKey');
    // hls.js (KeySystemFormats.CLEARKEY): a data URI whose first 16 bytes are the KID.
    return {
      method: hlsMethodFor(ctx.scheme),
      keyformat: 'org.w3.clearkey',
      keyformatVersions: '1',
      uri: ctx.keyUri ?? `data:text/plain;base64,${ctx.kids[0]!.base64}`,
      keyId: hlsKeyIdAttr(ctx.kids[0]!),
    };
  },
};

// ---------------------------------------------------------------- FairPlay
const fairplay: DrmSystem = {
  name: 'fairplay',
  displayName: 'FairPlay Streaming',
  systemId: FAIRPLAY_SYSTEM_ID,
  aliasSystemIds: [],
  schemes: ['cbcs'],
  // HLS FairPlay signals keys in the playlist only (skd:// URI); no pssh.
  psshData: () => undefined,
  psshBox: () => undefined,
  dashContentProtection(ctx) {
    checkScheme(this, ctx.scheme);
    return { schemeIdUri: `urn:uuid:${this.systemId}`, value: 'FairPlay', children: [] };
  },
  hlsKey(ctx) {
    checkScheme(this, ctx.scheme);
    needKids(ctx, 'FairPlay');
    // Apple HLS Authoring Spec / FairPlay Streaming: SAMPLE-AES, skd:// URI, KEYFORMAT com.apple.streamingkeydelivery.
    const uri = ctx.keyUri ?? `skd://${ctx.kids[0]!.hex}`;
    if (!uri.startsWith('skd://')) throw usage(`a FairPlay key URI must start with skd://, got '${uri.slice(0, 40)}'`);
    return { method: 'SAMPLE-AES', keyformat: 'com.apple.streamingkeydelivery', keyformatVersions: '1', uri };
  },
};

export const DRM_SYSTEMS: readonly DrmSystem[] = Object.freeze([widevine, playready, clearkey, fairplay]);

const ALIASES: Readonly<Record<string, string>> = { common: 'clearkey', 'w3c-common': 'clearkey', wv: 'widevine', pr: 'playready', fps: 'fairplay' };

export function drmByName(name: string): DrmSystem {
  const key = name.trim().toLowerCase();
  const row = DRM_SYSTEMS.find((s) => s.name === (ALIASES[key] ?? key));
  if (!row) {
    throw usage(`unknown DRM system '${name}'`, `choose one of ${[...DRM_SYSTEMS.map((s) => s.name), 'common'].join(', ')}`);
  }
  return row;
}

export function drmBySystemId(uuid: string): DrmSystem | undefined {
  const id = uuid.trim().toLowerCase().replace(/^urn:uuid:/, '').replace(/^\{|\}$/g, '');
  return DRM_SYSTEMS.find((s) => s.systemId === id || s.aliasSystemIds.includes(id));
}

/** 'widevine,playready' → rows, in the given order, without duplicates. */
export function parseDrmList(csv: string): DrmSystem[] {
  const out: DrmSystem[] = [];
  for (const part of csv.split(',').map((s) => s.trim()).filter(Boolean)) {
    const row = drmByName(part);
    if (!out.includes(row)) out.push(row);
  }
  if (out.length === 0) throw usage('no DRM system given', `choose from ${DRM_SYSTEMS.map((s) => s.name).join(', ')}`);
  return out;
}

/** Human name of a SystemID, including ones we recognise but have no row for. */
export function systemNameOf(uuid: string): string {
  const id = uuid.toLowerCase();
  if (id === LEGACY_CLEARKEY_SYSTEM_ID) return 'ClearKey (DASH-IF, legacy)';
  const row = drmBySystemId(id);
  if (row) return row.displayName;
  return OTHER_SYSTEMS[id] ?? 'unknown';
}

/** Systems we name in `pssh inspect` but do not build for (DASH-IF registry). */
const OTHER_SYSTEMS: Readonly<Record<string, string>> = {
  '5e629af5-38da-4063-8977-97ffbd9902d4': 'Marlin',
  'adb41c24-2dbf-4a6d-958b-4457c0d27b95': 'Nagra',
  '80a6be7e-1448-4c37-9e70-d5aebe04c8d2': 'Irdeto',
  '9a27dd82-fde2-4725-8cbc-4234aa06ec09': 'Verimatrix VCAS',
  '3ea8778f-7742-4bf9-b18b-e834b2acbd47': 'ClearKey AES-128 (DASH-IF)',
  'be58615b-19c4-4684-88b3-c8c57e99e957': 'ClearKey SAMPLE-AES (DASH-IF)',
  '3d5e6d35-9b9a-41e8-b843-dd3c6e72c42c': 'ChinaDRM',
};
