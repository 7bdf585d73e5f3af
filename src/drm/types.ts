/**
 * The DRM table's types. One `DrmSystem` row per system says everything
 * about it: identity, PSSH, DASH, HLS and Smooth signalling. Packaging,
 * manifests, CPIX and the key server all read these rows and write no DRM
 * detail of their own.
 */
import type { KeyId } from '../crypto/values.js';
import type { ContentKeyEntry } from '../keys/content-keys.js';
import type { DashContentProtection } from './dash.js';
import type { HlsKey } from './hls.js';
import type { PlayReadyVersion } from './playready.js';

export type DrmName = 'widevine' | 'playready' | 'clearkey' | 'fairplay';
export type ProtectionScheme = 'cenc' | 'cbcs' | 'cens' | 'cbc1';

/** What a row needs to build its headers and signalling. */
export interface DrmContext {
  kids: KeyId[];
  /** Content keys, when known (PlayReady checksums). Never rendered. */
  keys?: ContentKeyEntry[];
  scheme: ProtectionScheme;
  /** License acquisition URL (PlayReady LA_URL, ClearKey dashif:Laurl). */
  laUrl?: string;
  /** HLS key URI, e.g. skd://… for FairPlay (default derived from the KID). */
  keyUri?: string;
  /** Widevine content_id. */
  contentId?: Buffer;
  /** Widevine provider. */
  provider?: string;
  /** PlayReady header version (default: 4.3 for cbcs, 4.2 for several KIDs, else 4.0). */
  playreadyVersion?: PlayReadyVersion;
  /** PlayReady LUI_URL (non-silent license acquisition page). */
  luiUrl?: string;
  /** PlayReady DS_ID (base64 GUID of a domain service). */
  dsId?: string;
  /** PlayReady CUSTOMATTRIBUTES: raw, well-formed XML. */
  customAttributes?: string;
  /** pssh box version for Widevine/PlayReady (default 0; 1 also lists the KIDs). */
  psshVersion?: 0 | 1;
}

export interface DrmSystem {
  name: DrmName;
  displayName: string;
  /** SystemID as a lowercase UUID. */
  systemId: string;
  /** Other SystemIDs recognised as this system when reading (e.g. the legacy DASH-IF ClearKey ID). */
  aliasSystemIds: readonly string[];
  /** Protection schemes the system can play. */
  schemes: readonly ProtectionScheme[];
  /** The system-specific pssh Data (undefined for systems without a pssh, i.e. FairPlay). */
  psshData(ctx: DrmContext): Buffer | undefined;
  /** The full 'pssh' box (undefined for FairPlay). */
  psshBox(ctx: DrmContext): Buffer | undefined;
  /** Decode pssh Data into a JSON-friendly description (what `pssh inspect` prints). */
  parsePsshData?(data: Uint8Array): Record<string, unknown>;
  /** The DASH ContentProtection descriptor of this system (see dash.ts for the shape). */
  dashContentProtection(ctx: DrmContext): DashContentProtection;
  /** HLS EXT-X-KEY / EXT-X-SESSION-KEY attributes. */
  hlsKey(ctx: DrmContext): HlsKey;
  /** Smooth Streaming `<ProtectionHeader>` element (PlayReady only). */
  smoothProtectionHeader?(ctx: DrmContext): string;
}
