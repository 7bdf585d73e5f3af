/**
 * Common-encryption facts read from boxes (ISO/IEC 23001-7): the track's
 * sinf (frma, schm, schi/tenc) and each fragment's senc, saiz/saio and
 * seig sample groups. Box facts only: no AES here (src/protect does that).
 */
import { KeysmithError } from '../../errors.js';
import { child, children, printable, reparseBox, type Box } from '../bmff/index.js';

export interface TrackEncryptionInfo {
  /** schm scheme_type: cenc, cbcs, cens, cbc1 (or anything else found). */
  scheme: string;
  schemeVersion: number;
  /** frma data_format: the codec fourcc before encryption (avc1, mp4a …). */
  originalFormat: string;
  isProtected: boolean;
  /** tenc default_Per_Sample_IV_Size: 0 (constant IV), 8 or 16. */
  perSampleIvSize: number;
  kid: Buffer;
  constantIv?: Buffer;
  /** tenc v1 default_crypt_byte_block / default_skip_byte_block. */
  pattern?: { crypt: number; skip: number };
  tencVersion: number;
}

/** A seig sample-group entry (ISO/IEC 23001-7 §6): same layout as tenc's fields. */
export interface SeigEntry {
  isProtected: boolean;
  perSampleIvSize: number;
  kid: Buffer;
  constantIv?: Buffer;
  pattern?: { crypt: number; skip: number };
}

export function cencError(code: string, message: string, where: string, offset: number, hint?: string): KeysmithError {
  const w = printable(where);
  return new KeysmithError(code, `${w} at offset ${offset}: ${printable(message)}`, { details: { box: w, offset }, ...(hint ? { hint } : {}) });
}

function pattern(byte: number): { crypt: number; skip: number } | undefined {
  const crypt = byte >> 4;
  const skip = byte & 15;
  return crypt || skip ? { crypt, skip } : undefined;
}

/** sinf facts of a sample entry, or undefined for a clear entry. */
export function readTrackEncryption(entry: Box, where: string): TrackEncryptionInfo | undefined {
  const sinf = children(entry, 'sinf').find((s) => child(s, 'schm')) ?? child(entry, 'sinf');
  if (!sinf) return undefined;
  const frma = child(sinf, 'frma');
  const schm = child(sinf, 'schm');
  const tenc = child(child(sinf, 'schi'), 'tenc');
  if (!frma || !schm || !tenc) {
    const missing = !frma ? 'frma' : !schm ? 'schm' : 'schi/tenc';
    throw cencError('ERR_CENC_MISSING', `protected sample entry has no ${missing}`, `${where}/sinf`, sinf.offset ?? 0);
  }
  if (tenc.raw) throw cencError('ERR_CENC_INVALID', 'tenc box is malformed', `${where}/sinf/schi/tenc`, tenc.offset ?? 0);
  const ivSize = tenc.perSampleIvSize as number;
  if (![0, 8, 16].includes(ivSize)) throw cencError('ERR_CENC_INVALID', `Per_Sample_IV_Size ${ivSize} is not 0, 8 or 16`, `${where}/sinf/schi/tenc`, tenc.offset ?? 0);
  const info: TrackEncryptionInfo = {
    scheme: schm.schemeType as string,
    schemeVersion: schm.schemeVersion as number,
    originalFormat: frma.dataFormat as string,
    isProtected: tenc.isProtected === 1,
    perSampleIvSize: ivSize,
    kid: Buffer.from(tenc.kid as Buffer),
    tencVersion: tenc.version ?? 0,
  };
  if (tenc.constantIv) {
    const civ = tenc.constantIv as Buffer;
    if (civ.length !== 8 && civ.length !== 16) throw cencError('ERR_CENC_INVALID', `constant IV of ${civ.length} bytes`, `${where}/sinf/schi/tenc`, tenc.offset ?? 0);
    info.constantIv = Buffer.from(civ);
  }
  const p = (tenc.version ?? 0) >= 1 ? pattern(tenc.pattern as number) : undefined;
  if (p) info.pattern = p;
  return info;
}

/** Parse a seig entry (sgpd description bytes). */
export function parseSeig(d: Buffer, where: string, offset: number): SeigEntry {
  if (d.length < 20) throw cencError('ERR_CENC_INVALID', `seig entry of ${d.length} bytes (at least 20)`, where, offset);
  const e: SeigEntry = { isProtected: d[2] === 1, perSampleIvSize: d[3]!, kid: Buffer.from(d.subarray(4, 20)) };
  const p = pattern(d[1]!);
  if (p) e.pattern = p;
  if (e.isProtected && e.perSampleIvSize === 0) {
    const n = d[20] ?? 0;
    if (d.length < 21 + n || (n !== 8 && n !== 16)) throw cencError('ERR_CENC_INVALID', 'seig constant IV is malformed', where, offset);
    e.constantIv = Buffer.from(d.subarray(21, 21 + n));
  }
  return e;
}

/** Per-sample seig entries of one traf (sbgp/sgpd 'seig'), or undefined. */
function seigBySample(traf: Box, count: number, where: string): (SeigEntry | undefined)[] | undefined {
  const sbgp = children(traf, 'sbgp').find((b) => b.groupingType === 'seig');
  if (!sbgp || sbgp.raw) return undefined;
  const sgpd = children(traf, 'sgpd').find((b) => b.groupingType === 'seig');
  const entries = sgpd && !sgpd.raw ? (sgpd.entries as { description: Buffer }[]).map((e) => parseSeig(e.description, `${where}/sgpd`, sgpd.offset ?? 0)) : [];
  const out: (SeigEntry | undefined)[] = [];
  for (const run of sbgp.entries as { sampleCount: number; groupDescriptionIndex: number }[]) {
    // §8.9.4: indices above 0x10000 refer to the fragment-local sgpd; 0 = no group.
    const idx = run.groupDescriptionIndex;
    const entry = idx > 0x10000 ? entries[idx - 0x10001] : undefined;
    for (let k = 0; k < run.sampleCount && out.length < count; k++) out.push(entry);
    if (out.length >= count) break;
  }
  return out;
}

export interface SampleAuxInfo {
  iv: Buffer;
  subsamples: { clear: number; encrypted: number }[];
  seig?: SeigEntry;
}

/** Guess the per-sample IV size of a senc without tenc (0, 8 or 16 that consumes it exactly). */
function inferIvSize(raw: Buffer, flags: number, count: number): number | undefined {
  for (const iv of [8, 16, 0]) {
    let pos = 4;
    let ok = true;
    for (let i = 0; i < count && ok; i++) {
      pos += iv;
      if (flags & 2) {
        if (pos + 2 > raw.length) { ok = false; break; }
        pos += 2 + 6 * raw.readUInt16BE(pos);
      }
      if (pos > raw.length) ok = false;
    }
    if (ok && pos === raw.length) return iv;
  }
  return undefined;
}

/**
 * Per-sample encryption info of one traf (senc, with seig overrides).
 * Validates the counts and that subsample totals fit each sample.
 */
export function parseSampleEncryption(traf: Box, track: TrackEncryptionInfo | undefined, count: number, where: string, sizes: number[]): SampleAuxInfo[] | undefined {
  const seig = seigBySample(traf, count, where);
  let senc = child(traf, 'senc');
  if (!senc) {
    if (!seig) return undefined;
    return seig.map((s) => ({ iv: Buffer.alloc(0), subsamples: [], ...(s ? { seig: s } : {}) }));
  }
  const seigIv = seig?.find((s) => s?.isProtected)?.perSampleIvSize;
  let ivSize: number | undefined = seigIv ?? track?.perSampleIvSize;
  if (senc.raw) {
    const sampleCount = senc.raw.length >= 4 ? senc.raw.readUInt32BE(0) : 0;
    if (ivSize === undefined || (ivSize === 0 && !track?.constantIv)) ivSize = inferIvSize(senc.raw, senc.flags ?? 0, sampleCount) ?? ivSize;
    if (ivSize === undefined) throw cencError('ERR_CENC_INVALID', 'cannot tell the per-sample IV size of senc', `${where}/senc`, senc.offset ?? 0);
    senc = reparseBox(senc, { ivSize });
  }
  const samples = senc.samples as { iv: Buffer; subsamples?: { clear: number; encrypted: number }[] }[];
  if (samples.length !== count) {
    throw cencError('ERR_CENC_COUNT', `senc has ${samples.length} samples, trun has ${count}`, `${where}/senc`, senc.offset ?? 0);
  }
  return samples.map((s, i) => {
    const subsamples = s.subsamples ?? [];
    let total = 0;
    for (const ss of subsamples) total += ss.clear + ss.encrypted;
    if (total > sizes[i]!) {
      throw cencError('ERR_CENC_SUBSAMPLES', `subsamples of sample ${i + 1} cover ${total} bytes, the sample has ${sizes[i]}`, `${where}/senc`, senc!.offset ?? 0);
    }
    const out: SampleAuxInfo = { iv: Buffer.from(s.iv), subsamples };
    const g = seig?.[i];
    if (g) out.seig = g;
    return out;
  });
}
