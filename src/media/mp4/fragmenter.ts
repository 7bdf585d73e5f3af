/**
 * Fragment an indexed movie into CMAF-style fragments (ISO/IEC 23000-19
 * structure over ISO/IEC 14496-12 §8.8): an init segment (ftyp + moov with
 * mvex/trex, no samples) and, per track and segment, one moof + mdat.
 *
 * Every segment can be produced alone from the index: the packager and a
 * just-in-time origin ask for (track, segment number) and get bytes, with
 * no state carried from earlier segments. Per-track hooks (src/protect)
 * change the sample entry, add moov boxes (pssh) and transform sample bytes
 * and add traf boxes (senc, saiz, saio) — this module knows no AES.
 */
import { boxHeader, boxSize, child, writeBox, type Box, type ByteSource } from '../bmff/index.js';
import type { MovieIndex, TrackInfo } from './track-index.js';

export interface SegmentPlan {
  /** Target fragment duration in seconds. */
  fragmentDuration: number;
  segmentCount: number;
  /** Track whose sync samples decide the cuts (the first video track, else the first track). */
  referenceTrackId: number;
  /** Per track id: the first sample index of each segment, then the sample count (length segmentCount + 1). */
  cuts: Map<number, number[]>;
  /** Start of each segment in seconds (reference track decode time). */
  startTimes: number[];
}

/**
 * Cut points: a new segment starts at the first sync sample of the
 * reference track at or after each multiple of `fragmentDuration`; other
 * tracks (audio) are cut at the first sample whose decode time reaches the
 * same instant.
 */
export function planSegments(movie: MovieIndex, fragmentDuration: number): SegmentPlan {
  if (!(fragmentDuration > 0)) throw new TypeError('fragment duration must be a positive number of seconds');
  const withSamples = movie.tracks.filter((t) => t.samples.count > 0);
  const ref = withSamples.find((t) => t.kind === 'video') ?? withSamples[0] ?? movie.tracks[0];
  const cuts = new Map<number, number[]>();
  if (!ref) return { fragmentDuration, segmentCount: 0, referenceTrackId: 0, cuts, startTimes: [] };
  const r = ref.samples;
  const refCuts = [0];
  if (r.count > 0) {
    const t0 = r.dts[0]!;
    for (let i = 1; i < r.count; i++) {
      if (r.sync[i] && r.dts[i]! - t0 >= fragmentDuration * ref.timescale * refCuts.length) refCuts.push(i);
    }
  }
  const segmentCount = r.count > 0 ? refCuts.length : 0;
  const startTimes = refCuts.slice(0, segmentCount).map((i) => (r.dts[i] ?? 0) / ref.timescale);
  for (const t of movie.tracks) {
    const list: number[] = [0];
    if (t === ref) list.push(...refCuts.slice(1));
    else {
      let i = 0;
      for (let k = 1; k < segmentCount; k++) {
        const cut = refCuts[k]!;
        // dts_t / ts_t >= dts_ref / ts_ref, compared without division.
        while (i < t.samples.count && t.samples.dts[i]! * ref.timescale < r.dts[cut]! * t.timescale) i++;
        list.push(i);
      }
    }
    list.push(t.samples.count);
    cuts.set(t.id, list);
  }
  return { fragmentDuration, segmentCount, referenceTrackId: ref.id, cuts, startTimes };
}

export interface SegmentTime {
  /** Decode time of the segment's first sample, in the track timescale (tfdt). */
  start: number;
  /** Sum of the segment's sample durations, in the track timescale. */
  duration: number;
  /** Sample count (0: the track has no samples in this segment). */
  samples: number;
}

/** Per-segment times of one track (for DASH SegmentTimeline, HLS EXTINF). */
export function segmentTimes(movie: MovieIndex, plan: SegmentPlan, trackId: number): SegmentTime[] {
  const track = movie.tracks.find((t) => t.id === trackId);
  const cuts = plan.cuts.get(trackId);
  if (!track || !cuts) throw new TypeError(`no track ${trackId} in the plan`);
  const out: SegmentTime[] = [];
  for (let k = 0; k < plan.segmentCount; k++) {
    const a = cuts[k]!;
    const b = cuts[k + 1]!;
    let duration = 0;
    for (let i = a; i < b; i++) duration += track.samples.durations[i]!;
    out.push({ start: track.samples.dts[a] ?? track.samples.dts[a - 1] ?? 0, duration, samples: b - a });
  }
  return out;
}

/**
 * The input's own fragmentation, for fragmented input: segment k holds each
 * track's samples of input moof k (a faithful re-write, e.g. after decrypt).
 * Undefined for progressive input.
 */
export function planFromFragments(movie: MovieIndex): SegmentPlan | undefined {
  if (movie.fragments === 0) return undefined;
  const cuts = new Map<number, number[]>();
  const lead = movie.tracks.some((t) => (movie.fragmentStarts.get(t.id)?.[0] ?? 0) > 0);
  for (const t of movie.tracks) {
    const starts = movie.fragmentStarts.get(t.id) ?? [];
    cuts.set(t.id, [...(lead ? [0] : []), ...starts, t.samples.count]);
  }
  const ref = movie.tracks.find((t) => t.kind === 'video') ?? movie.tracks[0];
  const refCuts = ref ? cuts.get(ref.id)! : [];
  const segmentCount = movie.fragments + (lead ? 1 : 0);
  return {
    fragmentDuration: 0,
    segmentCount,
    referenceTrackId: ref?.id ?? 0,
    cuts,
    startTimes: refCuts.slice(0, segmentCount).map((i) => (ref!.samples.dts[i] ?? 0) / ref!.timescale),
  };
}

/** What a track's protection (or unprotection) changes. Implemented in src/protect. */
export interface TrackHooks {
  /** The sample entries the init segment carries (e.g. avc1 → [encv with sinf, clear avc1 for a clear lead]). */
  sampleEntry?(entry: Box): Box | Box[];
  /** Transform a fragment's samples in place; `first` is the index of samples[0] in the track. */
  fragment?(first: number, samples: Buffer[]): FragmentExtras;
}

export interface FragmentExtras {
  /** Boxes appended to the traf after trun (senc, saiz, saio, sbgp, sgpd …). */
  trafBoxes: Box[];
  /** tfhd sample_description_index (1-based) when not the first entry. */
  sampleDescriptionIndex?: number;
  /** Called with each traf child's offset from the first byte of the moof, before the final write. */
  place?(offsetInMoof: (box: Box) => number): void;
}

export interface InitOptions {
  /** Tracks to include (default: all), in order. */
  trackIds?: readonly number[];
  hooks?: ReadonlyMap<number, TrackHooks>;
  /** Boxes appended to moov (pssh). */
  moovBoxes?: readonly Box[];
}

const INIT_BRANDS = ['iso6', 'cmfc', 'mp41', 'dash'];

function copyBox(b: Box): Box {
  return { ...b, children: b.children?.map(copyBox) };
}

function initTrak(t: TrackInfo, hooks: TrackHooks | undefined): Box {
  const trak = t.trak;
  const mdia = child(trak, 'mdia')!;
  const minf = child(mdia, 'minf')!;
  const mapped = hooks?.sampleEntry ? hooks.sampleEntry(copyBox(t.sampleEntry)) : t.sampleEntry;
  const entries = Array.isArray(mapped) ? mapped : [mapped];
  const fullEmpty = (type: string, extra: Record<string, unknown> = {}): Box => ({ type, version: 0, flags: 0, entries: [], ...extra });
  const stbl: Box = {
    type: 'stbl',
    children: [
      { type: 'stsd', version: 0, flags: 0, children: entries },
      fullEmpty('stts'),
      fullEmpty('stsc'),
      fullEmpty('stsz', { sampleSize: 0, sampleCount: 0 }),
      fullEmpty('stco'),
    ],
  };
  const dinf = child(minf, 'dinf') ?? { type: 'dinf', children: [{ type: 'dref', version: 0, flags: 0, children: [{ type: 'url ', version: 0, flags: 1, location: Buffer.alloc(0) }] }] };
  const minfChildren = (minf.children ?? []).filter((c) => c.type !== 'stbl' && c.type !== 'dinf');
  const kept = (trak.children ?? []).filter((c) => c.type === 'tkhd' || c.type === 'edts');
  return {
    type: 'trak',
    children: [
      ...kept,
      {
        type: 'mdia',
        children: [
          ...(mdia.children ?? []).filter((c) => c.type === 'mdhd' || c.type === 'hdlr'),
          { type: 'minf', children: [...minfChildren, dinf, stbl] },
        ],
      },
    ],
  };
}

/** ftyp + moov (mvhd, trak…, mvex/trex, extra boxes) for the chosen tracks. */
export function buildInitSegment(movie: MovieIndex, options: InitOptions = {}): Buffer {
  const ids = options.trackIds ?? movie.tracks.map((t) => t.id);
  const tracks = ids.map((id) => {
    const t = movie.tracks.find((x) => x.id === id);
    if (!t) throw new TypeError(`no track ${id}`);
    return t;
  });
  const mvhd = { ...child(movie.moov, 'mvhd')! };
  mvhd.duration = movie.duration;
  if (mvhd.duration > 0xffffffff) mvhd.version = 1;
  const ftyp: Box = { type: 'ftyp', majorBrand: 'iso6', minorVersion: 0, compatibleBrands: INIT_BRANDS };
  const moov: Box = {
    type: 'moov',
    children: [
      mvhd,
      ...tracks.map((t) => initTrak(t, options.hooks?.get(t.id))),
      {
        type: 'mvex',
        children: tracks.map((t) => ({ type: 'trex', version: 0, flags: 0, trackId: t.id, defaultSampleDescriptionIndex: 1, defaultSampleDuration: 0, defaultSampleSize: 0, defaultSampleFlags: 0 })),
      },
      ...(options.moovBoxes ?? []),
    ],
  };
  return Buffer.concat([writeBox(ftyp), writeBox(moov)]);
}

/** Read samples [a, b) of a track, coalescing adjacent ranges into one read. */
export async function readSamples(source: ByteSource, track: TrackInfo, a: number, b: number): Promise<Buffer[]> {
  const { offsets, sizes } = track.samples;
  const out: Buffer[] = [];
  const MAX_READ = 32 * 1024 * 1024;
  let i = a;
  while (i < b) {
    const start = offsets[i]!;
    let end = start + sizes[i]!;
    let j = i + 1;
    while (j < b && offsets[j] === end && end - start < MAX_READ) end += sizes[j++]!;
    const buf = await source.read(start, end - start);
    let p = 0;
    for (let k = i; k < j; k++) {
      out.push(buf.subarray(p, p + sizes[k]!));
      p += sizes[k]!;
    }
    i = j;
  }
  return out;
}

/** Spare span buffers for readSamplesInto (a few segments are built concurrently). */
const spanPool: Buffer[] = [];
const SPAN_POOL_SIZE = 4;
/**
 * Reading through a gap costs a kernel copy (~10 GB/s, on a threadpool
 * thread); each positional read saved costs ~20 us of main-thread promise
 * and syscall overhead: read through gaps up to this much per read saved.
 */
const GAP_PER_READ = 128 * 1024;
const MAX_SPAN = 16 * 1024 * 1024;
/** Larger span buffers are not kept (a long-running origin holds at most 4 x 8 MiB). */
const POOLED_SPAN_MAX = 8 * 1024 * 1024;

/**
 * Read samples [a, b) straight into `target` from `at` on, back to back;
 * returns one view per sample. Runs that lie close together in the file
 * (interleaved input stores one track's samples between the other's: the
 * bench clip alternates every sample) are read as ONE span into a pooled
 * buffer and copied out; otherwise each run is read in place, concurrently.
 */
export async function readSamplesInto(source: ByteSource, track: TrackInfo, a: number, b: number, target: Buffer, at: number): Promise<Buffer[]> {
  const { offsets, sizes } = track.samples;
  const out: Buffer[] = [];
  // Runs: [file offset, length, target position].
  const runs: number[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  let p = at;
  let i = a;
  while (i < b) {
    const start = offsets[i]!;
    let end = start + sizes[i]!;
    let j = i + 1;
    while (j < b && offsets[j] === end) end += sizes[j++]!;
    runs.push(start, end - start, p);
    if (start < lo) lo = start;
    if (end > hi) hi = end;
    for (let k = i; k < j; k++) {
      out.push(target.subarray(p, p + sizes[k]!));
      p += sizes[k]!;
    }
    i = j;
  }
  const count = runs.length / 3;
  const span = hi - lo;
  if (count > 1 && span <= MAX_SPAN && span - (p - at) <= (count - 1) * GAP_PER_READ) {
    const k = spanPool.findIndex((x) => x.length >= span);
    // Room to spare, so the pooled buffers fit the next segments' spans too.
    const scratch = k >= 0 ? spanPool.splice(k, 1)[0]! : Buffer.allocUnsafe(Math.max(Math.ceil(span * 1.5), 1024 * 1024));
    try {
      await source.readInto(scratch, lo, span);
      for (let r = 0; r < runs.length; r += 3) scratch.copy(target, runs[r + 2]!, runs[r]! - lo, runs[r]! - lo + runs[r + 1]!);
    } finally {
      if (spanPool.length < SPAN_POOL_SIZE && scratch.length <= POOLED_SPAN_MAX) spanPool.push(scratch);
    }
    return out;
  }
  const reads: Promise<void>[] = [];
  for (let r = 0; r < runs.length; r += 3) reads.push(source.readInto(target.subarray(runs[r + 2]!, runs[r + 2]! + runs[r + 1]!), runs[r]!, runs[r + 1]!));
  await Promise.all(reads);
  return out;
}

/** §8.8.3.1 sample flags: sync samples depend on nothing; others are non-sync and depend on others. */
const SYNC_FLAGS = 0x02000000;
const NON_SYNC_FLAGS = 0x01010000;

export interface MediaSegmentOptions {
  hooks?: TrackHooks;
  /** mfhd sequence number (default segmentNumber + 1). */
  sequenceNumber?: number;
  /** Prefix an styp box (separate segment files). */
  styp?: boolean;
  /** Where sample bytes are read from (default movie.source); see `segmentWindow`. */
  source?: ByteSource;
}

/**
 * moof + mdat for one track and segment (0-based), or undefined when the
 * track has no samples in that segment. The moof carries mfhd and one traf:
 * tfhd (default-base-is-moof), tfdt v1, trun v1 (data offset, durations,
 * sizes, flags, composition offsets) and the hooks' boxes.
 */
export async function buildMediaSegment(movie: MovieIndex, plan: SegmentPlan, trackId: number, segmentNumber: number, options: MediaSegmentOptions = {}): Promise<Buffer | undefined> {
  const { track, a, b } = segmentRange(movie, plan, trackId, segmentNumber);
  if (b <= a) return undefined;
  // One allocation per segment: the samples are read straight to their place in the returned
  // buffer and transformed there; styp + moof + the mdat header go in the room left in front.
  let payload = 0;
  for (let i = a; i < b; i++) payload += track.samples.sizes[i]!;
  const room = 1024 + 64 * (b - a);
  const buf = Buffer.allocUnsafe(room + payload);
  const data = await readSamplesInto(options.source ?? movie.source, track, a, b, buf, room);
  const head = segmentHead(track, segmentNumber, a, b, data, options);
  const headLength = head.reduce((n, h) => n + h.length, 0);
  if (headLength > room) return Buffer.concat([...head, buf.subarray(room)]);
  let at = room - headLength;
  for (const h of head) at += h.copy(buf, at);
  return buf.subarray(room - headLength);
}

function segmentRange(movie: MovieIndex, plan: SegmentPlan, trackId: number, segmentNumber: number): { track: TrackInfo; a: number; b: number } {
  const track = movie.tracks.find((t) => t.id === trackId);
  const cuts = plan.cuts.get(trackId);
  if (!track || !cuts) throw new TypeError(`no track ${trackId} in the plan`);
  if (!Number.isInteger(segmentNumber) || segmentNumber < 0 || segmentNumber >= plan.segmentCount) throw new RangeError(`segment ${segmentNumber} is out of range (0..${plan.segmentCount - 1})`);
  return { track, a: cuts[segmentNumber]!, b: cuts[segmentNumber + 1]! };
}

/** Same as buildMediaSegment, as a list of buffers to write in order (no copy of the sample data). */
export async function buildMediaSegmentParts(movie: MovieIndex, plan: SegmentPlan, trackId: number, segmentNumber: number, options: MediaSegmentOptions = {}): Promise<Buffer[] | undefined> {
  const { track, a, b } = segmentRange(movie, plan, trackId, segmentNumber);
  if (b <= a) return undefined;
  const data = await readSamples(options.source ?? movie.source, track, a, b);
  return [...segmentHead(track, segmentNumber, a, b, data, options), ...contiguous(data)];
}

/**
 * Transform the samples (hooks) and build what precedes them: [styp], moof
 * (mfhd, traf: tfhd, tfdt v1, trun v1, the hooks' boxes) and the mdat header.
 */
function segmentHead(track: TrackInfo, segmentNumber: number, a: number, b: number, data: Buffer[], options: MediaSegmentOptions): Buffer[] {
  const trackId = track.id;
  const s = track.samples;
  const extras = options.hooks?.fragment?.(a, data);
  let anyCto = false;
  const samples: Record<string, number>[] = [];
  for (let i = a; i < b; i++) {
    const cto = s.ctsOffsets[i]!;
    if (cto !== 0) anyCto = true;
    samples.push({ duration: s.durations[i]!, size: data[i - a]!.length, flags: s.sync[i] ? SYNC_FLAGS : NON_SYNC_FLAGS, compositionTimeOffset: cto });
  }
  const trun: Box = { type: 'trun', version: 1, flags: 0x1 | 0x100 | 0x200 | 0x400 | (anyCto ? 0x800 : 0), dataOffset: 0, samples };
  const trafChildren: Box[] = [
    extras?.sampleDescriptionIndex && extras.sampleDescriptionIndex !== 1
      ? { type: 'tfhd', version: 0, flags: 0x020002, trackId, sampleDescriptionIndex: extras.sampleDescriptionIndex }
      : { type: 'tfhd', version: 0, flags: 0x020000, trackId },
    { type: 'tfdt', version: 1, flags: 0, baseMediaDecodeTime: s.dts[a]! },
    trun,
    ...(extras?.trafBoxes ?? []),
  ];
  const mfhd: Box = { type: 'mfhd', version: 0, flags: 0, sequenceNumber: options.sequenceNumber ?? segmentNumber + 1 };
  // Layout: moof header 8, mfhd, traf header 8, then the traf children in order.
  // Sizes by measuring (the same interpreter, no bytes written): the moof is written once.
  const mfhdSize = boxSize(mfhd);
  const positions = new Map<Box, number>();
  let pos = 8 + mfhdSize + 8;
  for (const c of trafChildren) {
    positions.set(c, pos);
    pos += boxSize(c);
  }
  extras?.place?.((box) => {
    const at = positions.get(box);
    if (at === undefined) throw new TypeError(`place: ${box.type} is not a child of this traf`);
    return at;
  });
  const moofSize = pos;
  const payload = data.reduce((n, d) => n + d.length, 0);
  const mdatHead = boxHeader('mdat', payload);
  trun.dataOffset = moofSize + mdatHead.length;
  const moof = writeBox({ type: 'moof', children: [mfhd, { type: 'traf', children: trafChildren }] });
  if (moof.length !== moofSize) throw new Error(`internal: moof layout changed (${moof.length} != ${moofSize})`);
  const styp = options.styp ? [writeBox({ type: 'styp', majorBrand: 'msdh', minorVersion: 0, compatibleBrands: ['msdh', 'msix', 'cmfs', 'cmff'] })] : [];
  return [...styp, moof, mdatHead];
}

/**
 * A ByteSource that serves reads inside [start, start + bytes.length) from
 * one preloaded buffer (a whole interleaved segment read at once) and
 * everything else from `base`.
 */
export function windowSource(base: ByteSource, start: number, bytes: Buffer): ByteSource {
  return {
    size: base.size,
    read(offset, length) {
      if (offset >= start && offset + length <= start + bytes.length) return Promise.resolve(bytes.subarray(offset - start, offset - start + length));
      return base.read(offset, length);
    },
    readInto(target, offset, length) {
      if (offset >= start && offset + length <= start + bytes.length) {
        bytes.copy(target, 0, offset - start, offset - start + length);
        return Promise.resolve();
      }
      return base.readInto(target, offset, length);
    },
    close: async () => {},
  };
}

/** The byte span all tracks' samples of one segment cover (undefined when empty or too large to preload). */
export function segmentSpan(movie: MovieIndex, plan: SegmentPlan, segmentNumber: number, ids: readonly number[], maxBytes = 64 * 1024 * 1024): { start: number; end: number } | undefined {
  let start = Infinity;
  let end = -Infinity;
  let useful = 0;
  for (const id of ids) {
    const t = movie.tracks.find((x) => x.id === id);
    const cuts = plan.cuts.get(id);
    if (!t || !cuts) continue;
    for (let i = cuts[segmentNumber]!; i < cuts[segmentNumber + 1]!; i++) {
      const o = t.samples.offsets[i]!;
      const e = o + t.samples.sizes[i]!;
      if (o < start) start = o;
      if (e > end) end = e;
      useful += t.samples.sizes[i]!;
    }
  }
  if (!(end > start) || end - start > maxBytes || end - start > 2 * useful + 1024 * 1024) return undefined;
  return { start, end };
}

/** Merge sample views that sit back to back in one read buffer into single views. */
function contiguous(data: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const d of data) {
    const last = out[out.length - 1];
    if (last && last.buffer === d.buffer && last.byteOffset + last.length === d.byteOffset) {
      out[out.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + d.length);
    } else out.push(d);
  }
  return out;
}

export interface FragmentedWriteOptions {
  hooks?: ReadonlyMap<number, TrackHooks>;
  moovBoxes?: readonly Box[];
  trackIds?: readonly number[];
  /** Called with each piece of output in order (init, then fragments). The buffer is reused after the promise resolves: copy it to keep it. */
  write(bytes: Buffer): Promise<void>;
  /**
   * Optional gathered write (e.g. FileHandle.writev): one call per fragment
   * with its pieces (moof, mdat header, sample runs as views of the read
   * buffer), so sample bytes are never copied. The views are reused after the
   * promise resolves.
   */
  writev?(parts: Buffer[]): Promise<void>;
  /** Progress: called after each segment with (done, total). */
  progress?(done: number, total: number): void;
}

/** The whole movie as one fragmented MP4: init, then for each segment one fragment per track. */
export async function writeFragmentedMovie(movie: MovieIndex, plan: SegmentPlan, options: FragmentedWriteOptions): Promise<{ fragments: number; bytes: number }> {
  const ids = options.trackIds ?? movie.tracks.map((t) => t.id);
  const init = buildInitSegment(movie, { trackIds: ids, ...(options.hooks ? { hooks: options.hooks } : {}), ...(options.moovBoxes ? { moovBoxes: options.moovBoxes } : {}) });
  await options.write(init);
  let bytes = init.length;
  // Every (segment, track) with samples, in output order; sequence numbers follow from it.
  const jobs: { k: number; id: number; seq: number }[] = [];
  for (let k = 0; k < plan.segmentCount; k++) {
    for (const id of ids) {
      const cuts = plan.cuts.get(id);
      if (cuts && cuts[k + 1]! > cuts[k]!) jobs.push({ k, id, seq: jobs.length + 1 });
    }
  }
  // Read ahead: the next fragments are read (and transformed) while the current one is written.
  // All tracks of a segment are read with one read of the span they share (progressive files interleave them).
  const LOOKAHEAD = 3;
  const inflight: Promise<Buffer[] | undefined>[] = [];
  // Window buffers are pooled: allocating ~2 MB per segment keeps the GC busy.
  const pool: Buffer[] = [];
  const windows = new Map<number, { source: Promise<ByteSource>; buffer?: Buffer; left: number }>();
  for (const j of jobs) {
    const w = windows.get(j.k);
    if (w) w.left++;
    else windows.set(j.k, { source: Promise.resolve(movie.source), left: 1 });
  }
  const opened = new Set<number>();
  const windowFor = (k: number): Promise<ByteSource> => {
    const w = windows.get(k)!;
    if (!opened.has(k)) {
      opened.add(k);
      const span = segmentSpan(movie, plan, k, ids);
      if (span) {
        const len = span.end - span.start;
        const i = pool.findIndex((b) => b.length >= len);
        const buffer = i >= 0 ? pool.splice(i, 1)[0]! : Buffer.allocUnsafe(Math.max(len, 4 * 1024 * 1024));
        w.buffer = buffer;
        w.source = movie.source.readInto(buffer, span.start, len).then(() => windowSource(movie.source, span.start, buffer.subarray(0, len)));
      }
    }
    return w.source;
  };
  const release = (k: number): void => {
    const w = windows.get(k)!;
    if (--w.left === 0) {
      if (w.buffer) pool.push(w.buffer);
      windows.delete(k);
    }
  };
  let out = Buffer.allocUnsafe(0);
  let next = 0;
  const start = (): void => {
    const j = jobs[next++]!;
    const hooks = options.hooks?.get(j.id);
    const p = windowFor(j.k).then((source) => buildMediaSegmentParts(movie, plan, j.id, j.k, { sequenceNumber: j.seq, source, ...(hooks ? { hooks } : {}) }));
    p.catch(() => undefined); // surfaced when awaited in order
    inflight.push(p);
  };
  let seq = 0;
  try {
    for (let i = 0; i < jobs.length; i++) {
      while (next < jobs.length && inflight.length < LOOKAHEAD) start();
      // One write per fragment: gathered (writev of views, no copy) when the sink can, else copied
      // into a reused buffer (sample runs of interleaved input are small: a copy beats many writes).
      const parts = (await inflight.shift())!;
      const total = parts.reduce((n, b) => n + b.length, 0);
      bytes += total;
      if (options.writev) await options.writev(parts);
      else {
        if (out.length < total) out = Buffer.allocUnsafe(Math.ceil(total * 1.25));
        let at = 0;
        for (const part of parts) at += part.copy(out, at);
        await options.write(out.subarray(0, total));
      }
      release(jobs[i]!.k);
      seq++;
      const j = jobs[i]!;
      if (i + 1 === jobs.length || jobs[i + 1]!.k !== j.k) options.progress?.(j.k + 1, plan.segmentCount);
    }
  } finally {
    await Promise.allSettled(inflight);
  }
  return { fragments: seq, bytes };
}
