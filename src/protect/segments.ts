/**
 * The segment interface (docs/media-engine.md): open a movie once, plan
 * its segments, then produce any init or media segment alone — encrypted
 * or clear. The packager (DASH/HLS) and the just-in-time origin call these
 * per request; `encrypt`/`decrypt` call them for a whole file.
 */
import { openFileSource, bufferSource, type Box } from '../media/bmff/index.js';
import { buildInitSegment, buildMediaSegment, buildTrackIndex, writeFragmentedMovie, type MovieIndex, type SegmentPlan, type TrackHooks } from '../media/mp4/index.js';
import type { ContentKeyEntry } from '../keys/content-keys.js';
import { encryptionHooks, movieEncryptionHooks, type MovieProtection } from './encryptor.js';
import { movieDecryptionHooks } from './decryptor.js';

export { planSegments, segmentTimes, type MovieIndex, type SegmentPlan, type SegmentTime } from '../media/mp4/index.js';
export { setupProtection, type MovieProtection, type ProtectionOptions, type TrackProtection } from './encryptor.js';
export { codecStringOf } from './codec-config.js';

/** Index an MP4 file (headers by positional reads; sample bytes stay on disk). Close with `movie.source.close()`. */
export async function openMovie(path: string): Promise<MovieIndex> {
  const source = await openFileSource(path);
  try {
    return await buildTrackIndex(source);
  } catch (err) {
    await source.close();
    throw err;
  }
}

/** Index an MP4 held in memory (tests, fuzz, uploads). */
export function openMovieBuffer(bytes: Buffer): Promise<MovieIndex> {
  return buildTrackIndex(bufferSource(bytes));
}

function hooksFor(movie: MovieIndex, trackIds: readonly number[], protection: MovieProtection | undefined): Map<number, TrackHooks> {
  const hooks = new Map<number, TrackHooks>();
  if (!protection) return hooks;
  for (const id of trackIds) {
    const p = protection.tracks.get(id);
    const t = movie.tracks.find((x) => x.id === id);
    if (p && t) hooks.set(id, encryptionHooks(p, t));
  }
  return hooks;
}

export interface InitSegmentOptions {
  /** Include the pssh boxes in moov (default true when protected). */
  pssh?: boolean;
}

/**
 * The init segment (ftyp + moov) for one track or several. With
 * `protection`, sample entries become encv/enca with sinf, and moov
 * carries the pssh boxes.
 */
export function writeInitSegment(movie: MovieIndex, trackIds: number | readonly number[], protection?: MovieProtection, options: InitSegmentOptions = {}): Buffer {
  const ids = typeof trackIds === 'number' ? [trackIds] : trackIds;
  const moovBoxes: Box[] = protection && options.pssh !== false ? protection.pssh : [];
  return buildInitSegment(movie, { trackIds: ids, hooks: hooksFor(movie, ids, protection), moovBoxes });
}

export interface MediaSegmentWriteOptions {
  /** mfhd sequence number (default segmentNumber + 1). */
  sequenceNumber?: number;
  /** Start with an styp box (separate segment files, CMAF). Default false. */
  styp?: boolean;
}

/**
 * One media segment (moof + mdat) of one track, 0-based `segmentNumber`
 * in `plan`; undefined when the track has no samples there.
 */
export async function writeMediaSegment(movie: MovieIndex, plan: SegmentPlan, trackId: number, segmentNumber: number, protection?: MovieProtection, options: MediaSegmentWriteOptions = {}): Promise<Buffer | undefined> {
  const hooks = hooksFor(movie, [trackId], protection).get(trackId);
  return buildMediaSegment(movie, plan, trackId, segmentNumber, {
    ...(hooks ? { hooks } : {}),
    ...(options.sequenceNumber !== undefined ? { sequenceNumber: options.sequenceNumber } : {}),
    ...(options.styp ? { styp: true } : {}),
  });
}

export interface WholeFileOptions {
  /** Receives the output in order; the buffer is reused once the promise resolves (copy it to keep it). */
  write(bytes: Buffer): Promise<void>;
  /** Optional gathered write of one fragment's pieces (no copy of the samples); same reuse rule. */
  writev?(parts: Buffer[]): Promise<void>;
  progress?(done: number, total: number): void;
}

/** Encrypt a whole movie into one fragmented MP4 (init, then one fragment per track per segment). */
export function encryptMovie(movie: MovieIndex, plan: SegmentPlan, protection: MovieProtection, options: WholeFileOptions): Promise<{ fragments: number; bytes: number }> {
  return writeFragmentedMovie(movie, plan, { hooks: movieEncryptionHooks(movie, protection), moovBoxes: protection.pssh, ...options });
}

/** Decrypt a whole movie into one clear fragmented MP4. */
export function decryptMovie(movie: MovieIndex, plan: SegmentPlan, keys: readonly ContentKeyEntry[], options: WholeFileOptions): Promise<{ fragments: number; bytes: number }> {
  return writeFragmentedMovie(movie, plan, { hooks: movieDecryptionHooks(movie, keys), ...options });
}
