/**
 * DASH MPD writer (ISO/IEC 23009-1 5th ed., DASH-IF IOP v4.3): a static
 * MPD, one Period, one AdaptationSet per content type, one Representation
 * per rendition with a SegmentTemplate ($Number$, startNumber 1) and a
 * SegmentTimeline that lists every segment's exact duration.
 *
 * Content protection (ISO/IEC 23001-7 §11, IOP §7.5): the generic
 * mp4protection descriptor (value = scheme, cenc:default_KID) first, then
 * one descriptor per DRM system; their content comes from the DRM table
 * rows (src/drm), never from here.
 */
import {
  contentProtectionElement,
  mp4ProtectionContentProtection,
  namespacesUsed,
  renderXmlElement,
  type DashContentProtection,
  type XmlElement,
} from '../drm/index.js';
import { drmContextFor, kidsOf, peakBitrate, type Presentation, type Rendition } from './model.js';

export const MPD_NAMESPACE = 'urn:mpeg:dash:schema:mpd:2011';
/** §8.5 ISO Base media file format live profile; CMAF profile (23009-1 §8.12). */
export const DASH_PROFILES = ['urn:mpeg:dash:profile:isoff-live:2011', 'urn:mpeg:dash:profile:cmaf:2019'];
/** ISO/IEC 23009-1 §5.8.5.4 (values from ISO/IEC 23001-8 ChannelConfiguration). */
export const AUDIO_CHANNEL_SCHEME = 'urn:mpeg:dash:23003:3:audio_channel_configuration:2011';

/** xs:duration with millisecond precision, e.g. PT8.000S, PT1H2M3.500S (§5.3.1.2 uses xs:duration). */
export function isoDuration(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `PT${h ? `${h}H` : ''}${h || m ? `${m}M` : ''}${s.toFixed(3)}S`;
}

/** <S t d r> runs (§5.3.9.6): equal consecutive durations fold into r. */
export function segmentTimeline(r: Rendition): XmlElement {
  const runs: XmlElement[] = [];
  let prevEnd: number | undefined;
  let last: { t: number; d: number; r: number; explicitT: boolean } | undefined;
  const flush = (): void => {
    if (!last) return;
    const attributes: Record<string, string> = {};
    if (last.explicitT) attributes.t = String(last.t);
    attributes.d = String(last.d);
    if (last.r > 0) attributes.r = String(last.r);
    runs.push({ name: 'S', attributes });
  };
  for (const s of r.segments) {
    const contiguous = prevEnd === s.start;
    if (last && contiguous && s.duration === last.d) last.r++;
    else {
      flush();
      last = { t: s.start, d: s.duration, r: 0, explicitT: !contiguous };
    }
    prevEnd = s.start + s.duration;
  }
  flush();
  return { name: 'SegmentTimeline', children: runs };
}

function segmentTemplate(r: Rendition): XmlElement {
  const first = r.segments[0]?.start ?? 0;
  return {
    name: 'SegmentTemplate',
    attributes: {
      timescale: String(r.timescale),
      ...(first > 0 ? { presentationTimeOffset: String(first) } : {}),
      initialization: r.init,
      media: r.media,
      startNumber: '1',
    },
    children: [segmentTimeline(r)],
  };
}

function representation(r: Rendition): XmlElement {
  const attributes: Record<string, string> = { id: r.id, bandwidth: String(peakBitrate(r)), codecs: r.codecs };
  const children: XmlElement[] = [];
  if (r.kind === 'video') {
    if (r.width) attributes.width = String(r.width);
    if (r.height) attributes.height = String(r.height);
    if (r.frameRate) attributes.frameRate = r.frameRate;
    attributes.sar = r.sar ?? '1:1';
  } else {
    if (r.sampleRate) attributes.audioSamplingRate = String(r.sampleRate);
    if (r.channels) children.push({ name: 'AudioChannelConfiguration', attributes: { schemeIdUri: AUDIO_CHANNEL_SCHEME, value: String(r.channels) } });
  }
  children.push(segmentTemplate(r));
  return { name: 'Representation', attributes, children };
}

function protectionOf(p: Presentation, set: readonly Rendition[]): DashContentProtection[] {
  if (!p.protection) return [];
  const kids = kidsOf(set);
  return [
    mp4ProtectionContentProtection({ scheme: p.protection.scheme, kids }),
    ...p.protection.drm.map((d) => d.dashContentProtection(drmContextFor(p.protection!, d, kids))),
  ];
}

const MIME: Record<Rendition['kind'], string> = { video: 'video/mp4', audio: 'audio/mp4' };

function adaptationSet(p: Presentation, kind: Rendition['kind'], set: Rendition[], id: number, cps: DashContentProtection[]): XmlElement {
  const attributes: Record<string, string> = {
    id: String(id),
    contentType: kind,
    mimeType: MIME[kind],
    segmentAlignment: 'true',
    startWithSAP: '1',
  };
  if (kind === 'video') {
    const widths = set.map((r) => r.width ?? 0);
    const heights = set.map((r) => r.height ?? 0);
    attributes.maxWidth = String(Math.max(...widths));
    attributes.maxHeight = String(Math.max(...heights));
    const rates = new Set(set.map((r) => r.frameRate).filter((x) => x !== undefined));
    if (rates.size === 1) attributes.maxFrameRate = [...rates][0]!;
  }
  const lang = set[0]?.language;
  if (lang) attributes.lang = lang;
  return {
    name: 'AdaptationSet',
    attributes,
    children: [...cps.map(contentProtectionElement), ...set.map(representation)],
  };
}

/** The MPD document (UTF-8 text, XML declaration, trailing newline). */
export function writeMpd(p: Presentation): string {
  const sets: { kind: Rendition['kind']; renditions: Rendition[]; cps: DashContentProtection[] }[] = [];
  for (const kind of ['video', 'audio'] as const) {
    const renditions = p.renditions.filter((r) => r.kind === kind);
    if (renditions.length > 0) sets.push({ kind, renditions, cps: protectionOf(p, renditions) });
  }
  const ns = namespacesUsed(sets.flatMap((s) => s.cps));
  const maxSegment = Math.max(0, ...p.renditions.flatMap((r) => r.segments.map((s) => s.duration / r.timescale)));
  const root: XmlElement = {
    name: 'MPD',
    attributes: {
      xmlns: MPD_NAMESPACE,
      ...Object.fromEntries(Object.entries(ns).map(([prefix, uri]) => [`xmlns:${prefix}`, uri])),
      profiles: DASH_PROFILES.join(','),
      type: 'static',
      mediaPresentationDuration: isoDuration(p.duration),
      // §5.3.1.2: enough to start at the declared bandwidth; one segment is.
      minBufferTime: isoDuration(Math.max(1, Math.ceil(maxSegment))),
      maxSegmentDuration: isoDuration(maxSegment),
    },
    children: [
      {
        name: 'Period',
        attributes: { id: '0', start: 'PT0S' },
        children: sets.map((s, i) => adaptationSet(p, s.kind, s.renditions, i, s.cps)),
      },
    ],
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${renderXmlElement(root)}\n`;
}
