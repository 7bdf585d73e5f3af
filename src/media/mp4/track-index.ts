/**
 * Demux an MP4 (progressive moov+mdat, or fragmented moov+moof/mdat) into
 * a per-track sample index: where each sample's bytes are, its decode
 * time, duration, composition offset and sync flag, and — for encrypted
 * input — its per-sample encryption auxiliary data (senc / seig).
 *
 * Sample tables: ISO/IEC 14496-12 §8.6.1.2 stts, §8.6.1.3 ctts,
 * §8.7.4 stsc, §8.7.3 stsz/stz2, §8.7.5 stco/co64, §8.6.2 stss.
 * Fragments: §8.8.3 trex, §8.8.7 tfhd, §8.8.8 trun, §8.8.12 tfdt.
 * The index never holds sample bytes: they are read by range on demand.
 */
import {
  bmffError, child, children, loadBox, path, readTopLevelHeaders, requirePath,
  type Box, type BoxHeader, type ByteSource,
} from '../bmff/index.js';
import { parseSampleEncryption, readTrackEncryption, type SampleAuxInfo, type TrackEncryptionInfo } from './encryption-info.js';

/** Samples one track may hold (bounds memory against hostile tables: ~40 bytes each). */
export const MAX_SAMPLES_PER_TRACK = 20_000_000;

/** No real sample is this large (an 8K intra frame is a few MB); larger ones are refused before reading. */
export const MAX_SAMPLE_SIZE = 256 * 1024 * 1024;

/**
 * The samples a file of `fileSize` bytes can plausibly hold: real samples
 * are never under a few bytes, so a tiny file cannot claim millions of
 * (zero-size or constant-size) samples and make the index allocate them.
 */
export function sampleLimit(fileSize: number): number {
  return Math.min(MAX_SAMPLES_PER_TRACK, Math.max(100_000, Math.floor(fileSize / 4)));
}

/** Per-sample IV (empty with a constant IV), subsample map (empty = whole sample) and any seig override. */
export type SampleAux = SampleAuxInfo;

export interface SampleTable {
  count: number;
  offsets: number[];
  sizes: number[];
  /** Decode times in the track timescale. */
  dts: number[];
  durations: number[];
  /** Composition offsets (cts - dts), signed. */
  ctsOffsets: number[];
  sync: boolean[];
  /** Encryption aux info by sample, for encrypted fragmented input. */
  aux?: (SampleAux | undefined)[];
}

export type TrackKind = 'video' | 'audio' | 'other';

export interface TrackInfo {
  id: number;
  kind: TrackKind;
  handler: string;
  timescale: number;
  /** The input trak box (tkhd, edts, mdia …): the init segment is built from it. */
  trak: Box;
  /** The first sample entry (stsd child), as found (encv/enca for encrypted input). */
  sampleEntry: Box;
  /** The codec fourcc: the sample entry type, or frma's original format when encrypted. */
  codec: string;
  /** sinf/schm/tenc facts when the input track is encrypted. */
  encryption?: TrackEncryptionInfo;
  samples: SampleTable;
  /** Media duration in the track timescale (sum of sample durations). */
  duration: number;
}

export interface MovieIndex {
  source: ByteSource;
  ftyp?: Box;
  moov: Box;
  /** Movie timescale (mvhd). */
  timescale: number;
  /** Movie duration in the movie timescale (mvhd; fragmented input: from samples). */
  duration: number;
  tracks: TrackInfo[];
  fragmented: boolean;
  /** moof count of fragmented input. */
  fragments: number;
  /** Top-level box headers, in file order. */
  layout: BoxHeader[];
  /** pssh boxes found in moov and moofs (raw). */
  pssh: Box[];
  /** Fragmented input: per track, its sample count before each moof (the input's own fragment cuts). */
  fragmentStarts: Map<number, number[]>;
}

const HANDLER_KIND: Record<string, TrackKind> = { vide: 'video', soun: 'audio' };

function newTable(): SampleTable {
  return { count: 0, offsets: [], sizes: [], dts: [], durations: [], ctsOffsets: [], sync: [] };
}

function tooMany(what: string, count: number, at: Box, limit = MAX_SAMPLES_PER_TRACK): never {
  throw bmffError('ERR_BMFF_COUNT', `${what} ${count} exceeds the limit of ${limit} for this file`, at.type, at.offset ?? 0);
}

/** §8.7.3: sample sizes from stsz or stz2. */
function sampleSizes(stbl: Box, label: string, fileSize: number): number[] {
  const limit = sampleLimit(fileSize);
  const stsz = child(stbl, 'stsz');
  if (stsz) {
    const n = stsz.sampleCount as number;
    if (n > limit) tooMany('sample count', n, stsz, limit);
    if (stsz.sampleSize !== 0) {
      if ((stsz.sampleSize as number) * n > fileSize) {
        throw bmffError('ERR_BMFF_SAMPLE_RANGE', `${n} samples of ${stsz.sampleSize} bytes cannot fit in the file (${fileSize} bytes)`, `${label}/stbl/stsz`, stsz.offset ?? 0);
      }
      return new Array<number>(n).fill(stsz.sampleSize as number);
    }
    return (stsz.entries as { size: number }[]).map((e) => e.size);
  }
  const stz2 = child(stbl, 'stz2');
  if (!stz2) throw bmffError('ERR_BMFF_MISSING', 'no stsz or stz2 box', `${label}/stbl`, stbl.offset ?? 0);
  const n = stz2.sampleCount as number;
  if (n > limit) tooMany('sample count', n, stz2, limit);
  const bits = stz2.fieldSize as number;
  const packed = stz2.packedSizes as Buffer;
  if (![4, 8, 16].includes(bits)) throw bmffError('ERR_BMFF_INVALID', `field_size ${bits} is not 4, 8 or 16`, `${label}/stbl/stz2`, stz2.offset ?? 0);
  if (Math.ceil((n * bits) / 8) > packed.length) throw bmffError('ERR_BMFF_COUNT', `sample_count ${n} needs more bytes than the box holds`, `${label}/stbl/stz2`, stz2.offset ?? 0);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    if (bits === 16) out[i] = packed.readUInt16BE(i * 2);
    else if (bits === 8) out[i] = packed[i]!;
    else out[i] = i % 2 === 0 ? packed[i >> 1]! >> 4 : packed[i >> 1]! & 15;
  }
  return out;
}

/** Fill a progressive track's table from its stbl. */
function demuxProgressive(stbl: Box, label: string, fileSize: number): SampleTable {
  const t = newTable();
  const sizes = sampleSizes(stbl, label, fileSize);
  const n = sizes.length;
  t.count = n;
  t.sizes = sizes;
  // §8.6.1.2 stts: decode deltas.
  const stts = requirePath(stbl, 'stts', label);
  let i = 0;
  let time = 0;
  for (const e of stts.entries as { sampleCount: number; sampleDelta: number }[]) {
    for (let k = 0; k < e.sampleCount && i < n; k++, i++) {
      t.dts.push(time);
      t.durations.push(e.sampleDelta);
      time += e.sampleDelta;
    }
    if (i >= n) break;
  }
  if (i < n) throw bmffError('ERR_BMFF_INVALID', `stts covers ${i} samples, stsz has ${n}`, `${label}/stbl/stts`, stts.offset ?? 0);
  // §8.6.1.3 ctts: composition offsets (v0 unsigned, v1 signed).
  const ctts = child(stbl, 'ctts');
  t.ctsOffsets = new Array<number>(n).fill(0);
  if (ctts) {
    let j = 0;
    for (const e of ctts.entries as { sampleCount: number; sampleOffset: number }[]) {
      for (let k = 0; k < e.sampleCount && j < n; k++, j++) t.ctsOffsets[j] = e.sampleOffset | 0;
      if (j >= n) break;
    }
  }
  // §8.6.2 stss: sync samples (absent: every sample is a sync sample).
  const stss = child(stbl, 'stss');
  t.sync = new Array<boolean>(n).fill(!stss);
  if (stss) for (const e of stss.entries as { sampleNumber: number }[]) if (e.sampleNumber >= 1 && e.sampleNumber <= n) t.sync[e.sampleNumber - 1] = true;
  // §8.7.4 stsc + §8.7.5 stco/co64: chunk offsets.
  const stsc = requirePath(stbl, 'stsc', label);
  const co = child(stbl, 'stco') ?? child(stbl, 'co64');
  if (!co) throw bmffError('ERR_BMFF_MISSING', 'no stco or co64 box', `${label}/stbl`, stbl.offset ?? 0);
  const chunks = (co.entries as { offset: number }[]).map((e) => e.offset);
  const runs = stsc.entries as { firstChunk: number; samplesPerChunk: number }[];
  let s = 0;
  for (let r = 0; r < runs.length && s < n; r++) {
    const run = runs[r]!;
    const last = r + 1 < runs.length ? runs[r + 1]!.firstChunk - 1 : chunks.length;
    if (run.firstChunk < 1 || last > chunks.length) {
      throw bmffError('ERR_BMFF_INVALID', `stsc refers to chunk ${Math.max(run.firstChunk, last)} of ${chunks.length}`, `${label}/stbl/stsc`, stsc.offset ?? 0);
    }
    for (let c = run.firstChunk; c <= last && s < n; c++) {
      let off = chunks[c - 1]!;
      for (let k = 0; k < run.samplesPerChunk && s < n; k++, s++) {
        t.offsets.push(off);
        off += sizes[s]!;
      }
    }
  }
  if (s < n) throw bmffError('ERR_BMFF_INVALID', `chunks hold ${s} samples, stsz has ${n}`, `${label}/stbl/stsc`, stsc.offset ?? 0);
  checkRanges(t, fileSize, `${label}/stbl`, stbl.offset ?? 0);
  return t;
}

function checkRanges(t: SampleTable, fileSize: number, where: string, at: number): void {
  for (let i = 0; i < t.count; i++) {
    if (t.sizes[i]! > MAX_SAMPLE_SIZE) throw bmffError('ERR_BMFF_INVALID', `sample ${i + 1} claims ${t.sizes[i]} bytes (limit ${MAX_SAMPLE_SIZE})`, where, at);
    if (t.offsets[i]! + t.sizes[i]! > fileSize) {
      throw bmffError('ERR_BMFF_SAMPLE_RANGE', `sample ${i + 1} (${t.sizes[i]} bytes at ${t.offsets[i]}) lies outside the file (${fileSize} bytes)`, where, at);
    }
  }
}

interface TrexDefaults {
  defaultSampleDescriptionIndex: number;
  defaultSampleDuration: number;
  defaultSampleSize: number;
  defaultSampleFlags: number;
}

/** §8.8.8.1: sample_is_non_sync_sample is bit 16 of the sample flags. */
const NON_SYNC = 0x10000;

/** Append one traf's samples (§8.8.7–8.8.12 defaults and offsets). */
function demuxTraf(traf: Box, moof: Box, track: TrackInfo, trex: TrexDefaults | undefined, nextDts: number, fileSize: number, path: string): number {
  const tfhd = requirePath(traf, 'tfhd', path);
  const t = track.samples;
  const flags = tfhd.flags ?? 0;
  // §8.8.7.1: base-data-offset, else default-base-is-moof / the moof start.
  const base = flags & 0x1 ? (tfhd.baseDataOffset as number) : (moof.offset ?? 0);
  const tfdt = child(traf, 'tfdt');
  let dts = tfdt ? (tfdt.baseMediaDecodeTime as number) : nextDts;
  const first = t.count;
  let dataEnd = base;
  for (const trun of children(traf, 'trun')) {
    const tf = trun.flags ?? 0;
    let off = tf & 0x1 ? base + (trun.dataOffset as number) : dataEnd;
    const list = trun.samples as Record<string, number>[];
    const limit = sampleLimit(fileSize);
    if (t.count + list.length > limit) tooMany('sample count', t.count + list.length, trun, limit);
    list.forEach((s, i) => {
      const duration = s.duration ?? tfhd.defaultSampleDuration ?? trex?.defaultSampleDuration ?? 0;
      const size = s.size ?? tfhd.defaultSampleSize ?? trex?.defaultSampleSize ?? 0;
      const sf = i === 0 && tf & 0x4 ? (trun.firstSampleFlags as number) : (s.flags ?? tfhd.defaultSampleFlags ?? trex?.defaultSampleFlags ?? 0);
      t.offsets.push(off);
      t.sizes.push(size);
      t.dts.push(dts);
      t.durations.push(duration);
      t.ctsOffsets.push(s.compositionTimeOffset === undefined ? 0 : trun.version === 0 ? s.compositionTimeOffset | 0 : s.compositionTimeOffset);
      t.sync.push((sf & NON_SYNC) === 0);
      t.count++;
      off += size;
      dts += duration;
    });
    dataEnd = off;
  }
  const added = t.count - first;
  for (let i = first; i < t.count; i++) {
    if (t.sizes[i]! > MAX_SAMPLE_SIZE) throw bmffError('ERR_BMFF_INVALID', `sample ${i - first + 1} of the fragment claims ${t.sizes[i]} bytes (limit ${MAX_SAMPLE_SIZE})`, `${path}/trun`, traf.offset ?? 0);
    if (t.offsets[i]! < 0 || t.offsets[i]! + t.sizes[i]! > fileSize) {
      throw bmffError('ERR_BMFF_SAMPLE_RANGE', `sample ${i - first + 1} of the fragment (${t.sizes[i]} bytes at ${t.offsets[i]}) lies outside the file`, `${path}/trun`, traf.offset ?? 0);
    }
  }
  if (track.encryption || child(traf, 'senc')) {
    const aux = parseSampleEncryption(traf, track.encryption, added, path, t.sizes.slice(first));
    if (aux) {
      t.aux ??= [];
      while (t.aux.length < first) t.aux.push(undefined);
      t.aux.push(...aux);
    }
  }
  return dts;
}

function trackOf(trak: Box, i: number, fileSize: number, fragmented: boolean): TrackInfo {
  const label = `moov/trak[${i + 1}]`;
  const tkhd = requirePath(trak, 'tkhd', label);
  const mdhd = requirePath(trak, 'mdia/mdhd', label);
  const hdlr = requirePath(trak, 'mdia/hdlr', label);
  const stbl = requirePath(trak, 'mdia/minf/stbl', label);
  const stsd = requirePath(stbl, 'stsd', `${label}/mdia/minf`);
  const entry = stsd.children?.[0];
  if (!entry) throw bmffError('ERR_BMFF_MISSING', 'stsd has no sample entry', `${label}/mdia/minf/stbl/stsd`, stsd.offset ?? 0);
  const encryption = readTrackEncryption(entry, `${label}/mdia/minf/stbl/stsd/${entry.type}`);
  const timescale = mdhd.timescale as number;
  if (!timescale) throw bmffError('ERR_BMFF_INVALID', 'timescale is 0', `${label}/mdia/mdhd`, mdhd.offset ?? 0);
  const samples = fragmented && !(child(stbl, 'stsz')?.sampleCount || child(stbl, 'stz2')?.sampleCount) ? newTable() : demuxProgressive(stbl, label, fileSize);
  const handler = hdlr.handlerType as string;
  const info: TrackInfo = {
    id: tkhd.trackId as number,
    kind: HANDLER_KIND[handler] ?? 'other',
    handler,
    timescale,
    trak,
    sampleEntry: entry,
    codec: encryption?.originalFormat ?? entry.type,
    samples,
    duration: 0,
  };
  if (encryption) info.encryption = encryption;
  return info;
}

/**
 * Index every track of an MP4. Reads box headers by position, loads
 * moov and each moof, never mdat payloads.
 */
export async function buildTrackIndex(source: ByteSource): Promise<MovieIndex> {
  const layout = await readTopLevelHeaders(source);
  const moovHeader = layout.find((h) => h.type === 'moov');
  if (!moovHeader) throw bmffError('ERR_BMFF_MISSING', 'no moov box: not an MP4 file, or a media segment without its init segment', '', 0, 'give the whole file (or the init segment followed by the media segments)');
  const moov = await loadBox(source, moovHeader);
  const ftypHeader = layout.find((h) => h.type === 'ftyp');
  const ftyp = ftypHeader ? await loadBox(source, ftypHeader) : undefined;
  const mvhd = requirePath(moov, 'mvhd', 'moov');
  const fragmented = layout.some((h) => h.type === 'moof') || Boolean(child(moov, 'mvex'));
  const traks = children(moov, 'trak');
  const tracks = traks.map((trak, i) => trackOf(trak, i, source.size, fragmented));
  const byId = new Map(tracks.map((t) => [t.id, t]));
  const trex = new Map<number, TrexDefaults>();
  for (const x of children(child(moov, 'mvex'), 'trex')) trex.set(x.trackId as number, x as unknown as TrexDefaults);
  const pssh = children(moov, 'pssh');
  let fragments = 0;
  const nextDts = new Map<number, number>();
  for (const t of tracks) nextDts.set(t.id, t.samples.count ? t.samples.dts[t.samples.count - 1]! + t.samples.durations[t.samples.count - 1]! : 0);
  const fragmentStarts = new Map<number, number[]>(tracks.map((t) => [t.id, []]));
  for (const h of layout) {
    if (h.type !== 'moof') continue;
    fragments++;
    for (const t of tracks) fragmentStarts.get(t.id)!.push(t.samples.count);
    const moof = await loadBox(source, h);
    pssh.push(...children(moof, 'pssh'));
    children(moof, 'traf').forEach((traf, k) => {
      const where = `moof@${h.offset}/traf[${k + 1}]`;
      const tfhd = requirePath(traf, 'tfhd', where);
      const track = byId.get(tfhd.trackId as number);
      if (!track) throw bmffError('ERR_BMFF_INVALID', `track_ID ${tfhd.trackId} has no trak in moov`, `${where}/tfhd`, tfhd.offset ?? 0);
      nextDts.set(track.id, demuxTraf(traf, moof, track, trex.get(track.id), nextDts.get(track.id) ?? 0, source.size, where));
    });
  }
  let movieDuration = mvhd.duration as number;
  const movieTimescale = mvhd.timescale as number;
  for (const t of tracks) {
    t.duration = t.samples.durations.reduce((a, b) => a + b, 0);
    if (t.samples.aux && t.samples.aux.length < t.samples.count) while (t.samples.aux.length < t.samples.count) t.samples.aux.push(undefined);
    if (fragmented && movieTimescale) movieDuration = Math.max(movieDuration, Math.round((t.duration * movieTimescale) / t.timescale));
  }
  const index: MovieIndex = { source, moov, timescale: movieTimescale, duration: movieDuration, tracks, fragmented, fragments, layout, pssh, fragmentStarts };
  if (ftyp) index.ftyp = ftyp;
  return index;
}

export { path as boxPath };
