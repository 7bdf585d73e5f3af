/**
 * The presentation model the manifest writers read: renditions with their
 * segments (durations and sizes), codecs, picture and sound facts, and the
 * protection (CENC + the DRM table's systems, or the HLS AES-128 envelope).
 * Small and plain, so the DASH and HLS writers are testable alone.
 */
import type { KeyId } from '../crypto/values.js';
import type { ContentKeyEntry } from '../keys/content-keys.js';
import type { DrmContext, DrmSystem } from '../drm/index.js';

export interface SegmentRef {
  /** Decode time of the first sample, in the rendition's timescale. */
  start: number;
  /** Duration in the rendition's timescale. */
  duration: number;
  /** Bytes of the segment file. */
  size: number;
  /** AES-128 envelope: the IV of this segment. */
  iv?: Buffer;
}

/** What a rendition is, apart from where its segments live: shared by the packager's ladder and the manifests. */
export interface RenditionMedia {
  /** Representation id / directory name, e.g. 'video-480'. */
  id: string;
  kind: 'video' | 'audio';
  /** RFC 6381 codecs string, e.g. avc1.64001e, mp4a.40.2. */
  codecs: string;
  timescale: number;
  width?: number;
  height?: number;
  /** Frame rate as DASH writes it: '25' or '30000/1001'. */
  frameRate?: string;
  /** Sample aspect ratio, e.g. '1:1'. */
  sar?: string;
  sampleRate?: number;
  channels?: number;
  /** Default KID (protected renditions). */
  kid?: KeyId;
}

export interface Rendition extends RenditionMedia {
  /** Init segment path relative to the manifest, e.g. 'video-480/init.mp4'. */
  init: string;
  initSize: number;
  /** Media segment path with $Number$ (1-based), e.g. 'video-480/$Number$.m4s'. */
  media: string;
  segments: SegmentRef[];
  language?: string;
}

export interface CencProtection {
  scheme: 'cenc' | 'cbcs';
  /** Systems signalled, from the DRM table (the common-system pssh is in the init segments). */
  drm: readonly DrmSystem[];
  /** Keys (PlayReady checksums need them; never written out). */
  keys: readonly ContentKeyEntry[];
  /** License URL (ClearKey dashif:Laurl, PlayReady LA_URL). */
  laUrl?: string;
  /** FairPlay skd:// key URI. */
  fairplayKeyUri?: string;
}

export interface AesEnvelope {
  /** HLS key URI (the 16 raw key bytes are served there). */
  keyUri: string;
  /** IV of the init segment (EXT-X-MAP). */
  initIv: Buffer;
}

export interface Presentation {
  /** Presentation duration in seconds. */
  duration: number;
  /** The segment duration asked for (seconds). */
  segmentDuration: number;
  renditions: Rendition[];
  protection?: CencProtection;
  envelope?: AesEnvelope;
}

export function segmentUri(r: Rendition, index: number): string {
  return r.media.replace('$Number$', String(index + 1));
}

export function segmentSeconds(r: Rendition, s: SegmentRef): number {
  return s.duration / r.timescale;
}

export function renditionSeconds(r: Rendition): number {
  return r.segments.reduce((a, s) => a + s.duration, 0) / r.timescale;
}

/** Peak bitrate (bit/s) over the segments: the most demanding segment (RFC 8216 §4.3.4.2 BANDWIDTH). */
export function peakBitrate(r: Rendition): number {
  let peak = 0;
  for (const s of r.segments) {
    const sec = s.duration / r.timescale;
    if (sec > 0) peak = Math.max(peak, Math.ceil((s.size * 8) / sec));
  }
  return peak;
}

/** Average bitrate (bit/s) over the whole rendition (AVERAGE-BANDWIDTH). */
export function averageBitrate(r: Rendition): number {
  const sec = renditionSeconds(r);
  if (sec <= 0) return 0;
  return Math.ceil((r.segments.reduce((a, s) => a + s.size, 0) * 8) / sec);
}

/** The DRM table context of a set of renditions. */
export function drmContext(p: CencProtection, kids: readonly KeyId[]): DrmContext {
  return {
    kids: [...kids],
    keys: [...p.keys],
    scheme: p.scheme,
    ...(p.laUrl === undefined ? {} : { laUrl: p.laUrl }),
  };
}

/** The context for one system: FairPlay gets its skd:// URI. */
export function drmContextFor(p: CencProtection, drm: DrmSystem, kids: readonly KeyId[]): DrmContext {
  const ctx = drmContext(p, kids);
  if (drm.name === 'fairplay' && p.fairplayKeyUri !== undefined) ctx.keyUri = p.fairplayKeyUri;
  return ctx;
}

/** Distinct KIDs of renditions, in order. */
export function kidsOf(renditions: readonly Rendition[]): KeyId[] {
  const out: KeyId[] = [];
  for (const r of renditions) if (r.kid && !out.some((k) => k.hex === r.kid!.hex)) out.push(r.kid);
  return out;
}
