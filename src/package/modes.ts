/**
 * The packaging modes, one row each (--encryption).
 *
 *   cenc  CMAF, samples AES-128-CTR (ISO/IEC 23001-7 'cenc'); DASH and HLS (SAMPLE-AES-CTR)
 *   cbcs  CMAF, samples AES-128-CBC 1:9 pattern ('cbcs'); DASH and HLS (SAMPLE-AES)
 *   cbc   HLS AES-128 envelope: every segment, init included, AES-128-CBC whole with
 *         PKCS#7 (RFC 8216 §4.3.2.4, §5.2); HLS only (DASH has no envelope)
 *   none  CMAF in the clear; DASH and HLS
 */
import type { SchemeName } from '../protect/sample-crypto.js';

export type PackageMode = 'cenc' | 'cbcs' | 'cbc' | 'none';

export interface ModeRow {
  name: PackageMode;
  /** Sample encryption scheme of the media engine, if any. */
  scheme?: Extract<SchemeName, 'cenc' | 'cbcs'>;
  /** Whole-segment AES-128 envelope (HLS METHOD=AES-128). */
  envelope: boolean;
  dash: boolean;
  hls: boolean;
  /** Needs a content key. */
  keyed: boolean;
  summary: string;
}

export const MODES: Readonly<Record<PackageMode, ModeRow>> = {
  cenc: { name: 'cenc', scheme: 'cenc', envelope: false, dash: true, hls: true, keyed: true, summary: 'CENC AES-CTR samples (DASH; HLS SAMPLE-AES-CTR)' },
  cbcs: { name: 'cbcs', scheme: 'cbcs', envelope: false, dash: true, hls: true, keyed: true, summary: 'CENC AES-CBC 1:9 pattern (DASH; HLS SAMPLE-AES, FairPlay)' },
  cbc: { name: 'cbc', envelope: true, dash: false, hls: true, keyed: true, summary: 'HLS AES-128: whole segments AES-128-CBC with PKCS#7' },
  none: { name: 'none', envelope: false, dash: true, hls: true, keyed: false, summary: 'no encryption' },
};

export function isPackageMode(s: string): s is PackageMode {
  return Object.hasOwn(MODES, s);
}
