/**
 * `pssh inspect` as a library: describe pssh boxes for humans and --json,
 * like Shaka Packager's pssh-box.py --human and Bento4's mp4dump.
 * Input: one box, several concatenated, a bare PlayReady Object, or an MP4
 * file (through a ByteSource).
 */
import type { ContentKeyEntry } from '../keys/content-keys.js';
import { KeysmithError } from '../errors.js';
import { findPsshBoxes, type ByteSource } from './find-pssh.js';
import { looksLikePsshBox, parsePsshBoxes, type PsshBox } from './pssh-box.js';
import { parsePlayReadyPsshData, PLAYREADY_SYSTEM_ID, verifyPlayReadyChecksum } from './playready.js';
import { drmBySystemId, systemNameOf } from './table.js';

export interface PsshDescription {
  systemId: string;
  system: string;
  /** DRM table row name, when we have a row. */
  drm?: string;
  version: number;
  flags?: number;
  size: number;
  kids: string[];
  dataSize: number;
  /** Decoded system data (Widevine fields, PlayReady header …). */
  data?: Record<string, unknown>;
  /** Data we could not decode: the reason (the box itself is fine). */
  dataError?: { code: string; message: string };
  /** Raw data in base64 when the system is unknown. */
  dataBase64?: string;
  /** PlayReady: per KID, does the header checksum match the key given? */
  checksums?: { kid: string; match: boolean | null; reason?: string }[];
  /** Where the box was found in an MP4. */
  location?: { path: string; offset: number };
}

export function describePsshBox(box: PsshBox, keys: readonly ContentKeyEntry[] = []): PsshDescription {
  const row = drmBySystemId(box.systemId);
  const d: PsshDescription = {
    systemId: box.systemId,
    system: systemNameOf(box.systemId),
    ...(row ? { drm: row.name } : {}),
    version: box.version,
    ...(box.flags === undefined ? {} : { flags: box.flags }),
    size: box.size,
    kids: box.kids.map((k) => k.uuid),
    dataSize: box.data.length,
  };
  if (row?.parsePsshData && (box.data.length > 0 || row.name === 'clearkey')) {
    try {
      d.data = row.parsePsshData(box.data);
    } catch (err) {
      if (!(err instanceof KeysmithError)) throw err;
      d.dataError = { code: err.code, message: err.message };
    }
  } else if (box.data.length > 0) {
    d.dataBase64 = box.data.toString('base64');
  }
  if (row?.name === 'playready' && keys.length > 0 && d.data !== undefined) {
    const header = parsePlayReadyPsshData(box.data).header;
    d.checksums = (header?.kids ?? []).map((k) => {
      const entry = keys.find((e) => e.kid.equals(k.kid));
      if (!entry) return { kid: k.kid.uuid, match: null, reason: 'no key given for this KID' };
      const ok = verifyPlayReadyChecksum(k, entry.key);
      return ok === undefined ? { kid: k.kid.uuid, match: null, reason: 'header has no checksum' } : { kid: k.kid.uuid, match: ok };
    });
  }
  return d;
}

/** Is this a bare PlayReady Object (little-endian length equal to the size)? */
export function looksLikePlayReadyObject(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return b.readUInt32LE(0) === b.length && b.readUInt16LE(4) >= 1 && b.readUInt16LE(6) === 1;
}

export type InspectInputKind = 'pssh' | 'playready-object' | 'mp4';

export interface InspectResult {
  input: InspectInputKind;
  boxes: PsshDescription[];
}

/** Inspect bytes already in memory. */
export async function inspectPsshBytes(bytes: Uint8Array, keys: readonly ContentKeyEntry[] = []): Promise<InspectResult> {
  if (looksLikePsshBox(bytes)) return { input: 'pssh', boxes: parsePsshBoxes(bytes).map((b) => describePsshBox(b, keys)) };
  if (looksLikePlayReadyObject(bytes)) {
    const box: PsshBox = { systemId: PLAYREADY_SYSTEM_ID, version: 0, kids: [], data: Buffer.from(bytes), size: bytes.length };
    const d = describePsshBox(box, keys);
    return { input: 'playready-object', boxes: [d] };
  }
  const { bufferSource } = await import('./find-pssh.js');
  return inspectPsshSource(bufferSource(bytes), keys);
}

/** Inspect an MP4 file through random access (bounded memory). */
export async function inspectPsshSource(src: ByteSource, keys: readonly ContentKeyEntry[] = []): Promise<InspectResult> {
  const found = await findPsshBoxes(src);
  return {
    input: 'mp4',
    boxes: found.map((f) => ({ ...describePsshBox(f.box, keys), location: { path: f.path, offset: f.offset } })),
  };
}
