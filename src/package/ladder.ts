/**
 * An ABR ladder over the media engine: one video rendition per input, one
 * audio rendition (from the first input), every segment producible alone:
 *
 *   const ladder = await openLadder(['in_1080.mp4', 'in_720.mp4'], { mode: 'cbcs', keys, drm, segmentDuration: 4, random });
 *   ladder.initSegment('video-1080p');           // Buffer
 *   await ladder.mediaSegment('video-1080p', 0);  // Buffer: styp + moof + mdat (first segment)
 *   await ladder.close();
 *
 * The packager writes every segment through this; a just-in-time origin can
 * call it per request. All segment bytes come from src/protect/segments.ts
 * (the media engine); this module adds the ladder (alignment of the cuts
 * across renditions), the per-rendition facts the manifests need, and the
 * HLS AES-128 envelope (whole segment AES-128-CBC, PKCS#7, RFC 8216 §4.3.2.4).
 */
import { KeysmithError } from '../errors.js';
import { aesCbcEncrypt } from '../crypto/aes.js';
import type { RandomSource } from '../crypto/random.js';
import type { ContentKey } from '../crypto/values.js';
import type { ContentKeyEntry } from '../keys/content-keys.js';
import type { DrmSystem } from '../drm/index.js';
import type { RenditionMedia } from '../manifest/model.js';
import { child, type Box } from '../media/bmff/index.js';
import { codecConfigOf, codecStringOf } from '../protect/codec-config.js';
import { setupProtection, type MovieProtection } from '../protect/encryptor.js';
import { openMovie, planSegments, segmentTimes, writeInitSegment, writeMediaSegment, type MovieIndex, type SegmentPlan } from '../protect/segments.js';
import type { TrackInfo } from '../media/mp4/index.js';
import { MODES, type PackageMode } from './modes.js';

export interface LadderOptions {
  mode: PackageMode;
  /** Content keys: one for all tracks, or labelled video/audio (cenc, cbcs, cbc: the first key). */
  keys: readonly ContentKeyEntry[];
  /** DRM systems whose pssh go into the init segments (cenc, cbcs). */
  drm?: readonly DrmSystem[];
  /** Target segment duration in seconds. */
  segmentDuration: number;
  random: RandomSource;
}

export interface LadderRendition extends RenditionMedia {
  /** Input file the rendition comes from. */
  input: string;
  trackId: number;
  /** Per segment: start (decode time) and duration in the timescale; the engine's segment number. */
  segments: { start: number; duration: number; planIndex: number }[];
  /** AES-128 envelope: IV of the init segment and of each media segment. */
  initIv?: Buffer;
  segmentIvs?: Buffer[];
}

export interface Ladder {
  readonly renditions: readonly LadderRendition[];
  /** Presentation duration in seconds (the longest rendition). */
  readonly duration: number;
  /** The key of the AES-128 envelope (mode cbc). */
  readonly envelopeKey?: ContentKeyEntry;
  initSegment(id: string): Buffer;
  /** 0-based segment number. */
  mediaSegment(id: string, index: number): Promise<Buffer>;
  close(): Promise<void>;
}

interface Source {
  rendition: LadderRendition;
  movie: MovieIndex;
  plan: SegmentPlan;
  protection?: MovieProtection;
}

function fail(code: string, message: string, hint?: string): KeysmithError {
  return new KeysmithError(code, message, hint === undefined ? {} : { hint });
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Frame rate from the most common sample duration: '25' or '30000/1001'. */
export function frameRateOf(track: TrackInfo): string | undefined {
  const counts = new Map<number, number>();
  for (const d of track.samples.durations) if (d > 0) counts.set(d, (counts.get(d) ?? 0) + 1);
  let best = 0;
  let n = 0;
  for (const [d, c] of counts) if (c > n) [best, n] = [d, c];
  if (best === 0) return undefined;
  const g = gcd(track.timescale, best);
  const num = track.timescale / g;
  const den = best / g;
  return den === 1 ? String(num) : `${num}/${den}`;
}

/** `pasp` (ISO/IEC 14496-12 §12.1.4.2): hSpacing, vSpacing; absent means square pixels. */
function sarOf(entry: Box): string {
  const pasp = child(entry, 'pasp');
  const raw = pasp?.raw;
  if (!raw || raw.length < 8) return '1:1';
  const h = raw.readUInt32BE(raw.length - 8);
  const v = raw.readUInt32BE(raw.length - 4);
  return h > 0 && v > 0 ? `${h}:${v}` : '1:1';
}

/** The engine's per-segment times; segments where the track has no samples (a short audio tail) are left out. */
function segmentsOf(movie: MovieIndex, track: TrackInfo, plan: SegmentPlan): LadderRendition['segments'] {
  return segmentTimes(movie, plan, track.id).flatMap((t, n) => (t.samples > 0 ? [{ start: t.start, duration: t.duration, planIndex: n }] : []));
}

/** Add n to a 128-bit big-endian IV. */
function ivPlus(base: Buffer, n: number): Buffer {
  const iv = Buffer.from(base);
  let carry = n;
  for (let i = 15; i >= 0 && carry > 0; i--) {
    const v = iv[i]! + (carry % 256);
    iv[i] = v & 0xff;
    carry = Math.floor(carry / 256) + (v >> 8);
  }
  return iv;
}

function uniqueId(base: string, taken: Set<string>): string {
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
  taken.add(id);
  return id;
}

/**
 * Segments must start at the same instants in every video rendition
 * (DASH segmentAlignment, HLS switching): compare the cut times.
 */
function checkAlignment(videos: Source[]): void {
  const ref = videos[0];
  if (!ref) return;
  const refTrack = ref.movie.tracks.find((t) => t.id === ref.rendition.trackId)!;
  const frame = (refTrack.samples.durations[0] ?? 0) / refTrack.timescale;
  for (const v of videos.slice(1)) {
    const a = ref.plan.startTimes;
    const b = v.plan.startTimes;
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (Math.abs(a[i]! - b[i]!) > frame / 2 + 1e-6) {
        throw fail(
          'ERR_PACKAGE_GOP_ALIGNMENT',
          `segment ${i + 1} of ${v.rendition.input} starts at ${b[i]!.toFixed(3)} s, of ${ref.rendition.input} at ${a[i]!.toFixed(3)} s: the renditions' key frames do not align`,
          'encode every input with the same fixed GOP (e.g. ffmpeg -g 50 -keyint_min 50 -sc_threshold 0), or pick a --segment-duration that is a multiple of it',
        );
      }
    }
    if (a.length !== b.length) {
      throw fail(
        'ERR_PACKAGE_GOP_ALIGNMENT',
        `${v.rendition.input} cuts into ${b.length} segments, ${ref.rendition.input} into ${a.length}: the renditions do not align`,
        'give inputs of the same duration and GOP structure',
      );
    }
  }
}

/** Open the inputs and plan the ladder. Close it when done. */
export async function openLadder(inputs: readonly string[], options: LadderOptions): Promise<Ladder> {
  if (inputs.length === 0) throw new TypeError('no input');
  const mode = MODES[options.mode];
  const movies: MovieIndex[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(movies.map((m) => m.source.close().catch(() => undefined)));
  };
  try {
    for (const input of inputs) movies.push(await openMovie(input));
    const sources: Source[] = [];
    const taken = new Set<string>();
    let envelopeKey: ContentKeyEntry | undefined;
    if (mode.envelope) {
      envelopeKey = options.keys[0];
      if (!envelopeKey) throw new TypeError('the AES-128 envelope needs a key');
    }
    movies.forEach((movie, i) => {
      const input = inputs[i]!;
      const video = movie.tracks.filter((t) => t.kind === 'video' && t.samples.count > 0);
      if (video.length === 0) {
        throw fail('ERR_PACKAGE_INPUT', `${input}: no video track`, 'each input is one rendition of the ladder; give MP4 files with H.264 or HEVC video');
      }
      for (const t of movie.tracks) {
        if (t.encryption) throw fail('ERR_PACKAGE_INPUT', `${input}: track ${t.id} is already encrypted`, 'decrypt it first with keysmith decrypt');
      }
      const plan = planSegments(movie, options.segmentDuration);
      const protection = mode.scheme
        ? setupProtection(movie, { scheme: mode.scheme, keys: options.keys, drm: options.drm ?? [], random: options.random })
        : undefined;
      const picked: TrackInfo[] = [video[0]!];
      const audio = movie.tracks.find((t) => t.kind === 'audio' && t.samples.count > 0);
      if (i === 0 && audio) picked.push(audio);
      for (const t of picked) {
        const where = `${input} track ${t.id}`;
        const r: LadderRendition = {
          id: '',
          kind: t.kind as 'video' | 'audio',
          input,
          trackId: t.id,
          timescale: t.timescale,
          codecs: '',
          segments: segmentsOf(movie, t, plan),
        };
        if (t.kind === 'video') {
          const cfg = codecConfigOf(t.sampleEntry, t.codec, where);
          if (cfg.kind === 'audio') throw fail('ERR_PACKAGE_INPUT', `${where}: not a video codec`);
          r.codecs = codecStringOf(t.sampleEntry, t.codec, where);
          r.width = cfg.width || Number(t.sampleEntry.width ?? 0);
          r.height = cfg.height || Number(t.sampleEntry.height ?? 0);
          const rate = frameRateOf(t);
          if (rate) r.frameRate = rate;
          r.sar = sarOf(t.sampleEntry);
          r.id = uniqueId(`video-${r.height}p`, taken);
        } else {
          r.codecs = codecStringOf(t.sampleEntry, t.codec, where);
          const rate = Number(t.sampleEntry.sampleRate ?? 0) >>> 16; // 16.16 fixed point (§12.2.3)
          if (rate) r.sampleRate = rate;
          const ch = Number(t.sampleEntry.channelCount ?? 0);
          if (ch) r.channels = ch;
          r.id = uniqueId('audio', taken);
        }
        const p = protection?.tracks.get(t.id);
        if (p) r.kid = p.kid;
        if (envelopeKey) {
          r.kid = envelopeKey.kid;
          const base = options.random.bytes(16);
          r.initIv = ivPlus(base, 0);
          r.segmentIvs = r.segments.map((_, n) => ivPlus(base, n + 1));
        }
        sources.push({ rendition: r, movie, plan, ...(protection ? { protection } : {}) });
      }
    });
    checkAlignment(sources.filter((s) => s.rendition.kind === 'video'));
    const byId = new Map(sources.map((s) => [s.rendition.id, s]));
    const get = (id: string): Source => {
      const s = byId.get(id);
      if (!s) throw fail('ERR_PACKAGE_NO_RENDITION', `no rendition '${id}'`);
      return s;
    };
    const envelope = (data: Buffer, iv: Buffer): Buffer =>
      envelopeKey ? aesCbcEncrypt(envelopeKey.key as ContentKey, iv, data, { padding: true }) : data;
    const duration = Math.max(...sources.map((s) => s.rendition.segments.reduce((a, x) => a + x.duration, 0) / s.rendition.timescale));
    return {
      renditions: sources.map((s) => s.rendition),
      duration,
      ...(envelopeKey ? { envelopeKey } : {}),
      initSegment(id) {
        const s = get(id);
        return envelope(writeInitSegment(s.movie, s.rendition.trackId, s.protection), s.rendition.initIv!);
      },
      async mediaSegment(id, index) {
        const s = get(id);
        if (!Number.isInteger(index) || index < 0 || index >= s.rendition.segments.length) {
          throw fail('ERR_PACKAGE_NO_SEGMENT', `${id} has no segment ${index + 1}`);
        }
        const planIndex = s.rendition.segments[index]!.planIndex;
        const bytes = await writeMediaSegment(s.movie, s.plan, s.rendition.trackId, planIndex, s.protection, { styp: true, sequenceNumber: planIndex + 1 });
        if (!bytes) throw fail('ERR_PACKAGE_NO_SEGMENT', `${id} has no samples in segment ${index + 1}`);
        return envelope(bytes, s.rendition.segmentIvs?.[index] ?? Buffer.alloc(0));
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
