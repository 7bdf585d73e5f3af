/**
 * `inspect`: what an MP4 holds — tracks, codecs, protection scheme,
 * pattern, KIDs, IV sizes, PSSH systems, fragments and per-track sample
 * sanity — as one JSON-friendly report; optionally the box tree
 * (like mp4dump).
 */
import { KeyId } from '../crypto/values.js';
import { toHex } from '../crypto/bytes.js';
import { parsePsshBox, systemNameOf } from '../drm/index.js';
import { loadBox, walk, writeBox, type Box, type ByteSource } from '../media/bmff/index.js';
import { buildTrackIndex, type MovieIndex, type TrackInfo } from '../media/mp4/index.js';

export interface TrackReport {
  id: number;
  kind: string;
  handler: string;
  codec: string;
  sampleEntry: string;
  timescale: number;
  duration: number;
  samples: number;
  syncSamples: number;
  bytes: number;
  width?: number;
  height?: number;
  channels?: number;
  sampleRate?: number;
  encryption?: {
    scheme: string;
    kid: string;
    /** Per_Sample_IV_Size (0 with a constant IV). */
    ivSize: number;
    constantIv?: string;
    pattern?: { crypt: number; skip: number };
    samplesWithEncryptionInfo: number;
    samplesWithSubsamples: number;
    clearSamples: number;
  };
  problems: string[];
}

export interface PsshReport {
  systemId: string;
  system: string;
  version: number;
  kids: string[];
  dataSize: number;
}

export interface MovieReport {
  brands?: { major: string; compatible: string[] };
  fragmented: boolean;
  fragments: number;
  timescale: number;
  duration: number;
  durationSeconds: number;
  tracks: TrackReport[];
  pssh: PsshReport[];
  boxes?: BoxDump[];
}

export interface BoxDump {
  path: string;
  type: string;
  offset: number;
  size: number;
  depth: number;
  fields?: Record<string, unknown>;
}

function trackReport(t: TrackInfo): TrackReport {
  const s = t.samples;
  const e = t.sampleEntry;
  const r: TrackReport = {
    id: t.id,
    kind: t.kind,
    handler: t.handler,
    codec: t.codec,
    sampleEntry: e.type,
    timescale: t.timescale,
    duration: t.duration,
    samples: s.count,
    syncSamples: s.sync.filter(Boolean).length,
    bytes: s.sizes.reduce((a, b) => a + b, 0),
    problems: [],
  };
  if (t.kind === 'video' && typeof e.width === 'number') {
    r.width = e.width;
    r.height = e.height;
  }
  if (t.kind === 'audio' && typeof e.channelCount === 'number') {
    r.channels = e.channelCount;
    r.sampleRate = (e.sampleRate as number) / 65536;
  }
  if (s.count > 0 && !s.sync[0]) r.problems.push('the first sample is not a sync sample');
  if (t.encryption) {
    const enc = t.encryption;
    let withInfo = 0;
    let withSubs = 0;
    let clear = 0;
    (s.aux ?? []).forEach((a, i) => {
      if (!a) return;
      withInfo++;
      if (a.subsamples.length) withSubs++;
      if (a.seig && !a.seig.isProtected) clear++;
      const total = a.subsamples.reduce((n, x) => n + x.clear + x.encrypted, 0);
      if (a.subsamples.length && total !== s.sizes[i] && r.problems.length < 10) r.problems.push(`sample ${i + 1}: subsamples cover ${total} of ${s.sizes[i]} bytes`);
      if ((enc.scheme === 'cenc' || enc.scheme === 'cens') && a.subsamples.some((x) => x.encrypted % 16 !== 0) && r.problems.length < 10 && t.kind === 'video') {
        r.problems.push(`sample ${i + 1}: a protected range is not a multiple of 16 bytes`);
      }
    });
    if (enc.isProtected && t.samples.count > 0 && withInfo === 0 && !enc.constantIv) r.problems.push('encrypted track without any sample encryption info (senc)');
    r.encryption = {
      scheme: enc.scheme,
      kid: new KeyId(enc.kid).uuid,
      ivSize: enc.perSampleIvSize,
      samplesWithEncryptionInfo: withInfo,
      samplesWithSubsamples: withSubs,
      clearSamples: clear,
    };
    if (enc.perSampleIvSize === 0 && enc.constantIv) r.encryption.constantIv = toHex(enc.constantIv);
    if (enc.pattern) r.encryption.pattern = enc.pattern;
  }
  return r;
}

function psshReport(box: Box): PsshReport {
  const p = parsePsshBox(writeBox(box));
  return { systemId: p.systemId, system: systemNameOf(p.systemId), version: p.version, kids: p.kids.map((k) => k.uuid), dataSize: p.data.length };
}

/** Scalar fields of a box for the dump (buffers as hex, at most 64 bytes; long arrays as counts). */
function dumpFields(b: Box): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b)) {
    if (['type', 'children', 'offset', 'size', 'headerSize', 'raw'].includes(k)) continue;
    if (Buffer.isBuffer(v)) out[k] = v.length <= 64 ? toHex(v) : `${v.length} bytes`;
    else if (Array.isArray(v)) out[k] = v.length <= 8 ? v.map((x) => (Buffer.isBuffer(x) ? toHex(x) : x)) : `${v.length} entries`;
    else out[k] = v;
  }
  if (b.type === 'mdat') delete out.data;
  return Object.keys(out).length ? out : undefined;
}

/** The box tree: top-level boxes (mdat by header only) and everything inside moov/moof. */
export async function dumpBoxes(movie: MovieIndex): Promise<BoxDump[]> {
  const out: BoxDump[] = [];
  for (const h of movie.layout) {
    if (h.type === 'mdat' || h.type === 'free' || h.type === 'skip') {
      out.push({ path: h.type, type: h.type, offset: h.offset, size: h.size, depth: 0 });
      continue;
    }
    const box = h.type === 'moov' ? movie.moov : await loadBox(movie.source, h);
    for (const { box: b, path, depth } of walk([box])) {
      const d: BoxDump = { path, type: b.type, offset: b.offset ?? 0, size: b.size ?? 0, depth };
      const f = dumpFields(b);
      if (f) d.fields = f;
      out.push(d);
    }
  }
  return out;
}

export async function inspectMovie(source: ByteSource, options: { boxes?: boolean } = {}): Promise<MovieReport> {
  const movie = await buildTrackIndex(source);
  const report: MovieReport = {
    fragmented: movie.fragmented,
    fragments: movie.fragments,
    timescale: movie.timescale,
    duration: movie.duration,
    durationSeconds: movie.timescale ? movie.duration / movie.timescale : 0,
    tracks: movie.tracks.map(trackReport),
    pssh: movie.pssh.map(psshReport),
  };
  if (movie.ftyp) report.brands = { major: movie.ftyp.majorBrand as string, compatible: movie.ftyp.compatibleBrands as string[] };
  if (options.boxes) report.boxes = await dumpBoxes(movie);
  return report;
}
