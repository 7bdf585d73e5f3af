/**
 * Track and fragment encryption (ISO/IEC 23001-7): per-track setup (the
 * sample entry becomes encv/enca with sinf = frma + schm + schi/tenc), and
 * per fragment the encrypted samples plus senc, saiz and saio, with saio
 * pointing at senc's first sample relative to the moof (default-base-is-moof).
 *
 * Every segment is independent: the IV of sample n is a function of n
 * (see iv.ts), so the packager and a just-in-time origin can encrypt any
 * one segment alone.
 */
import { KeysmithError } from '../errors.js';
import { KeyId, type ContentKey } from '../crypto/values.js';
import type { RandomSource } from '../crypto/random.js';
import type { ContentKeyEntry } from '../keys/content-keys.js';
import { COMMON_SYSTEM_ID, buildPsshBox, type DrmSystem } from '../drm/index.js';
import { parseBoxAt, printable, type Box } from '../media/bmff/index.js';
import type { MovieIndex, TrackHooks, TrackInfo } from '../media/mp4/index.js';
import { codecConfigOf } from './codec-config.js';
import { ivForSample } from './iv.js';
import { SCHEMES, createSampleEncryptor, trackCryptoFor, type SchemeName, type SampleEncryption, type TrackCrypto } from './sample-crypto.js';

/** The schemes `encrypt` writes (decrypt reads all four). */
export const ENCRYPT_SCHEMES: readonly SchemeName[] = ['cenc', 'cbcs', 'cens', 'cbc1'];

export interface TrackProtection {
  trackId: number;
  scheme: SchemeName;
  kid: KeyId;
  crypto: TrackCrypto;
  /** First per-sample IV (absent with a constant IV). */
  firstIv?: Buffer;
  /** Samples whose decode time is below this (track timescale) stay clear: whole fragments only. */
  clearLeadUntil: number;
  /** Track kind, for the senc subsample flag. */
  kind: 'video' | 'audio' | 'other';
}

export interface MovieProtection {
  scheme: SchemeName;
  tracks: Map<number, TrackProtection>;
  /** pssh boxes for moov: the common system (always) and each DRM asked for. */
  pssh: Box[];
  /** The keys used, by track. */
  keys: ContentKeyEntry[];
}

export interface ProtectionOptions {
  scheme: SchemeName;
  /** Keys: one for every track, or matched by label (video/audio/track id), else in track order. */
  keys: readonly ContentKeyEntry[];
  /** First IV: 8 or 16 bytes (cenc/cens), or the 16-byte constant IV (cbcs/cbc1 use it per track). */
  iv?: Buffer;
  drm?: readonly DrmSystem[];
  /** Seconds of clear lead (fragments starting before it stay clear). */
  clearLead?: number;
  random: RandomSource;
}

/** Which key a track uses. */
export function keyForTrack(keys: readonly ContentKeyEntry[], track: TrackInfo, position: number): ContentKeyEntry {
  const labelled = keys.find((k) => k.label !== undefined && (k.label === track.kind || k.label === String(track.id)));
  if (labelled) return labelled;
  if (keys.length === 1) return keys[0]!;
  const unlabelled = keys.filter((k) => k.label === undefined || !['video', 'audio'].includes(k.label));
  const k = unlabelled[position] ?? keys[position];
  if (!k) {
    throw new KeysmithError('ERR_USAGE', `${keys.length} keys for ${position + 1}+ tracks`, {
      exit: 2,
      hint: 'give one key for all tracks, one per track in order, or label keys video/audio in keys.json',
    });
  }
  return k;
}

/** Set up every track's protection and the moov pssh boxes. */
export function setupProtection(movie: MovieIndex, options: ProtectionOptions): MovieProtection {
  const tracks = new Map<number, TrackProtection>();
  const used: ContentKeyEntry[] = [];
  movie.tracks.forEach((t, position) => {
    const where = `track ${t.id}`;
    if (t.encryption) {
      throw new KeysmithError('ERR_CENC_ALREADY_ENCRYPTED', `${where} is already encrypted (${printable(t.encryption.scheme)})`, { hint: 'decrypt it first with keysmith decrypt' });
    }
    if (t.kind === 'other') return; // text and metadata tracks pass through clear
    const codec = codecConfigOf(t.sampleEntry, t.codec, where);
    const entry = keyForTrack(options.keys, t, position);
    if (!used.includes(entry)) used.push(entry);
    // One IV for every track when --iv is given; else a fresh random one per track.
    const crypto = trackCryptoFor(options.scheme, codec, entry.key as ContentKey, { random: options.random, ...(options.iv ? { iv: options.iv } : {}) });
    const firstIv = crypto.firstIv;
    const p: TrackProtection = {
      trackId: t.id,
      scheme: options.scheme,
      kid: entry.kid,
      crypto,
      clearLeadUntil: Math.round((options.clearLead ?? 0) * t.timescale),
      kind: t.kind,
    };
    if (firstIv) p.firstIv = firstIv;
    tracks.set(t.id, p);
  });
  if (tracks.size === 0) throw new KeysmithError('ERR_CENC_UNSUPPORTED', 'no audio or video track to encrypt');
  const kids = used.map((k) => k.kid);
  const pssh: Box[] = [];
  const seen = new Set<string>();
  const add = (bytes: Buffer | undefined, systemId: string): void => {
    if (!bytes || seen.has(systemId)) return;
    seen.add(systemId);
    pssh.push(parseBoxAt(bytes, 0, bytes.length, 0, ''));
  };
  // The common-system box always: browsers fire `encrypted` only with it (SPECS §12).
  add(buildPsshBox({ systemId: COMMON_SYSTEM_ID, version: 1, kids }), COMMON_SYSTEM_ID);
  for (const drm of options.drm ?? []) add(drm.psshBox({ kids, keys: used, scheme: options.scheme }), drm.systemId);
  return { scheme: options.scheme, tracks, pssh, keys: used };
}

/** tenc (v1 with a pattern, else v0) inside sinf (ISO/IEC 23001-7 §8.2, ISO/IEC 14496-12 §8.12). */
export function sinfBox(originalFormat: string, p: TrackProtection): Box {
  const c = p.crypto;
  const tenc: Box = {
    type: 'tenc',
    version: SCHEMES[p.scheme].tencVersion,
    flags: 0,
    reserved: 0,
    pattern: c.pattern ? (c.pattern.crypt << 4) | c.pattern.skip : 0,
    isProtected: 1,
    perSampleIvSize: c.constantIv ? 0 : c.ivSize,
    kid: p.kid.bytes,
  };
  if (c.constantIv) {
    tenc.constantIvSize = c.constantIv.length;
    tenc.constantIv = c.constantIv;
  }
  return {
    type: 'sinf',
    children: [
      { type: 'frma', dataFormat: originalFormat },
      { type: 'schm', version: 0, flags: 0, schemeType: p.scheme, schemeVersion: 0x00010000 },
      { type: 'schi', children: [tenc] },
    ],
  };
}

/** The fragmenter hooks that encrypt one track. */
export function encryptionHooks(p: TrackProtection, track: TrackInfo): TrackHooks {
  return {
    sampleEntry(entry) {
      const type = track.kind === 'video' ? 'encv' : 'enca';
      const encrypted: Box = { ...entry, type, children: [...(entry.children ?? []), sinfBox(entry.type, p)] };
      // A clear lead needs the clear entry too: its fragments point at entry 2 (as Shaka Packager does;
      // players and ffmpeg apply tenc only to samples of the protected entry).
      return p.clearLeadUntil > 0 ? [encrypted, entry] : encrypted;
    },
    fragment(first, samples) {
      if (track.samples.dts[first]! < p.clearLeadUntil) return { trafBoxes: [], sampleDescriptionIndex: 2 };
      const enc = createSampleEncryptor(p.crypto, p.firstIv ? ivForSample(p.firstIv, first) : undefined);
      const results: SampleEncryption[] = enc.encryptAll(samples);
      const withSubsamples = track.kind === 'video';
      const entries = results.map((r, i) => {
        const e: Record<string, unknown> = { iv: r.iv };
        if (withSubsamples) e.subsamples = r.subsamples.length ? r.subsamples : [{ clear: 0, encrypted: samples[i]!.length }];
        return e;
      });
      // senc flag 0x2: subsample information present (ISO/IEC 23001-7 §7.2).
      const senc: Box = { type: 'senc', version: 0, flags: withSubsamples ? 2 : 0, samples: entries };
      const sizes = entries.map((e) => (e.iv as Buffer).length + (withSubsamples ? 2 + 6 * (e.subsamples as unknown[]).length : 0));
      const uniform = sizes.every((s) => s === sizes[0]) && sizes[0]! > 0;
      const saiz: Box = { type: 'saiz', version: 0, flags: 0, defaultSampleInfoSize: uniform ? sizes[0]! : 0, sampleCount: sizes.length, sampleInfoSizes: uniform ? Buffer.alloc(0) : Buffer.from(sizes) };
      if (!uniform && sizes.some((s) => s > 255)) {
        throw new KeysmithError('ERR_CENC_SUBSAMPLES', `track ${track.id}: a sample needs more than 255 bytes of aux info (too many subsamples)`);
      }
      const saio: Box = { type: 'saio', version: 0, flags: 0, offsets: [{ offset: 0 }] };
      return {
        trafBoxes: [senc, saiz, saio],
        place(offsetInMoof) {
          // First sample's aux info: senc header (8) + version/flags (4) + sample_count (4).
          saio.offsets[0].offset = offsetInMoof(senc) + 16;
        },
      };
    },
  };
}

/** Hooks for every protected track of a movie. */
export function movieEncryptionHooks(movie: MovieIndex, protection: MovieProtection): Map<number, TrackHooks> {
  const hooks = new Map<number, TrackHooks>();
  for (const t of movie.tracks) {
    const p = protection.tracks.get(t.id);
    if (p) hooks.set(t.id, encryptionHooks(p, t));
  }
  return hooks;
}
