/**
 * Decrypt common-encrypted MP4 (ours, Shaka Packager's, Bento4's …):
 * cenc, cbcs, cens and cbc1; keys chosen by KID (tenc default KID, or a
 * seig sample group's KID for key rotation). Samples a seig group marks as
 * not protected, and fragments without encryption info, stay as they are.
 * The output is a clear fragmented MP4 whose sample entries are the
 * original formats (frma), without sinf or pssh.
 */
import { KeysmithError } from '../errors.js';
import { KeyId } from '../crypto/values.js';
import type { ContentKeyEntry } from '../keys/content-keys.js';
import { audioCodecConfig, type CodecConfig } from '../media/codecs/index.js';
import { printable, type Box } from '../media/bmff/index.js';
import type { MovieIndex, SampleAux, TrackHooks, TrackInfo } from '../media/mp4/index.js';
import { codecConfigOf } from './codec-config.js';
import { decryptSample, type SchemeName, type TrackCrypto } from './sample-crypto.js';

const SCHEME_NAMES: readonly string[] = ['cenc', 'cbcs', 'cens', 'cbc1'];

function codecFor(track: TrackInfo): CodecConfig {
  try {
    return codecConfigOf(track.sampleEntry, track.codec, `track ${track.id}`);
  } catch {
    // Decryption follows the subsample map in senc; the codec is only informative here.
    return audioCodecConfig(/^[\x20-\x7e]{4}$/.test(track.codec) ? track.codec : 'mp4a');
  }
}

/** KIDs an encrypted movie needs (tenc defaults and seig groups). */
export function requiredKids(movie: MovieIndex): KeyId[] {
  const seen = new Map<string, KeyId>();
  for (const t of movie.tracks) {
    if (!t.encryption) continue;
    const add = (b: Buffer): void => {
      if (b.every((x) => x === 0)) return;
      const k = new KeyId(b);
      seen.set(k.hex, k);
    };
    if (t.encryption.isProtected) add(t.encryption.kid);
    for (const a of t.samples.aux ?? []) if (a?.seig?.isProtected) add(a.seig.kid);
  }
  return [...seen.values()];
}

function decryptionHooks(track: TrackInfo, keys: readonly ContentKeyEntry[]): TrackHooks {
  const enc = track.encryption!;
  if (!SCHEME_NAMES.includes(enc.scheme)) {
    throw new KeysmithError('ERR_CENC_UNSUPPORTED', `track ${track.id}: protection scheme '${printable(enc.scheme)}' is not cenc, cbcs, cens or cbc1`);
  }
  const codec = codecFor(track);
  const cache = new Map<string, TrackCrypto>();
  const cryptoFor = (aux: SampleAux): TrackCrypto => {
    const kid = aux.seig?.kid ?? enc.kid;
    const constantIv = aux.seig ? aux.seig.constantIv : enc.constantIv;
    const pattern = aux.seig ? aux.seig.pattern : enc.pattern;
    const ivSize = aux.iv.length as 0 | 8 | 16;
    const id = `${kid.toString('hex')}/${ivSize}/${constantIv?.toString('hex') ?? ''}/${pattern ? `${pattern.crypt}:${pattern.skip}` : ''}`;
    let c = cache.get(id);
    if (!c) {
      const entry = keys.find((k) => k.kid.bytes.equals(kid));
      if (!entry) {
        throw new KeysmithError('ERR_CENC_NO_KEY', `track ${track.id} needs the key for KID ${new KeyId(kid).uuid}`, { hint: 'add --key KID:KEY for it (keysmith inspect lists the KIDs)' });
      }
      c = { scheme: enc.scheme as SchemeName, codec, key: entry.key, ivSize };
      if (constantIv) c.constantIv = constantIv;
      if (pattern) c.pattern = pattern;
      cache.set(id, c);
    }
    return c;
  };
  return {
    sampleEntry(entry: Box) {
      // Back to the original format (frma), without sinf (ISO/IEC 14496-12 §8.12).
      return { ...entry, type: enc.originalFormat, children: (entry.children ?? []).filter((c) => c.type !== 'sinf') };
    },
    fragment(first, samples) {
      const aux = track.samples.aux;
      samples.forEach((sample, i) => {
        const a = aux?.[first + i];
        if (!a) return; // no encryption info for this fragment: clear (e.g. a clear lead)
        const isProtected = a.seig ? a.seig.isProtected : enc.isProtected;
        if (!isProtected) return;
        const c = cryptoFor(a);
        if (c.ivSize === 0 && !c.constantIv) {
          throw new KeysmithError('ERR_CENC_INVALID', `track ${track.id}: sample ${first + i + 1} has neither a per-sample nor a constant IV`);
        }
        decryptSample(c, sample, { iv: a.iv, subsamples: a.subsamples });
      });
      return { trafBoxes: [] };
    },
  };
}

/** Decryption hooks for every encrypted track; throws ERR_CENC_NO_KEY naming a missing KID. */
export function movieDecryptionHooks(movie: MovieIndex, keys: readonly ContentKeyEntry[]): Map<number, TrackHooks> {
  const missing = requiredKids(movie).filter((k) => !keys.some((e) => e.kid.equals(k)));
  if (missing.length > 0) {
    throw new KeysmithError('ERR_CENC_NO_KEY', `no key for KID ${missing.map((k) => k.uuid).join(', ')}`, { hint: 'add --key KID:KEY for each (keysmith inspect lists the KIDs)' });
  }
  const hooks = new Map<number, TrackHooks>();
  for (const t of movie.tracks) if (t.encryption) hooks.set(t.id, decryptionHooks(t, keys));
  return hooks;
}
