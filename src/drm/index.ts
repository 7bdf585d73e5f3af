/**
 * src/drm: the DRM table and the codecs behind it.
 *
 *   DRM_SYSTEMS, drmByName, drmBySystemId, parseDrmList   the table (table.ts)
 *   buildPsshBox, parsePsshBox(es)                        THE pssh codec (pssh-box.ts)
 *   mp4ProtectionContentProtection, renderDashContentProtection  DASH (dash.ts)
 *   formatHlsKeyTag                                       HLS (hls.ts)
 *   PlayReady and Widevine data codecs                    playready.ts, widevine.ts
 */
export type { DrmName, DrmContext, DrmSystem, ProtectionScheme } from './types.js';
export {
  DRM_SYSTEMS,
  drmByName,
  drmBySystemId,
  parseDrmList,
  systemNameOf,
  playReadyVersionFor,
  COMMON_SYSTEM_ID,
  LEGACY_CLEARKEY_SYSTEM_ID,
  FAIRPLAY_SYSTEM_ID,
} from './table.js';
export { buildPsshBox, parsePsshBox, parsePsshBoxes, looksLikePsshBox, MAX_PSSH_BOX_SIZE, MAX_PSSH_KIDS } from './pssh-box.js';
export type { PsshBox, BuildPsshBoxParams } from './pssh-box.js';
export {
  DASH_NAMESPACES,
  MP4_PROTECTION_SCHEME,
  mp4ProtectionContentProtection,
  renderDashContentProtection,
  renderXmlElement,
  contentProtectionElement,
  namespacesUsed,
} from './dash.js';
export type { DashContentProtection, XmlElement } from './dash.js';
export { formatHlsKeyTag, hlsMethodFor, hlsKeyIdAttr } from './hls.js';
export type { HlsKey, HlsMethod } from './hls.js';
export {
  PLAYREADY_SYSTEM_ID,
  PLAYREADY_HEADER_NS,
  PLAYREADY_VERSIONS,
  buildWrmHeader,
  buildPlayReadyObject,
  parsePlayReadyObject,
  parsePlayReadyPsshData,
  parseWrmHeader,
  playReadyChecksum,
  playReadyKidValue,
  verifyPlayReadyChecksum,
} from './playready.js';
export type { PlayReadyVersion, PlayReadyAlgId, PlayReadyKid, WrmHeaderParams, ParsedWrmHeader, ParsedPlayReadyKid } from './playready.js';
export { WIDEVINE_SYSTEM_ID, buildWidevinePsshData, parseWidevinePsshData, describeWidevinePsshData } from './widevine.js';
export type { WidevinePsshData } from './widevine.js';
export { findPsshBoxes, bufferSource } from './find-pssh.js';
export type { ByteSource, FoundPssh } from './find-pssh.js';
export { describePsshBox, inspectPsshBytes, inspectPsshSource, looksLikePlayReadyObject } from './inspect.js';
export type { PsshDescription, InspectResult, InspectInputKind } from './inspect.js';
