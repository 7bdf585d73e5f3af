/**
 * HLS playlists (RFC 8216; Apple HLS Authoring Specification): one media
 * playlist per rendition over the fMP4 segments (EXT-X-MAP for the init
 * segment) and a multivariant playlist with one EXT-X-STREAM-INF per video
 * rendition and the audio as an EXT-X-MEDIA group.
 *
 * Keys: CENC renditions get one EXT-X-KEY per DRM system (METHOD SAMPLE-AES
 * for cbcs, SAMPLE-AES-CTR for cenc, KEYFORMAT … from the DRM table) and
 * the multivariant playlist the same as EXT-X-SESSION-KEY (§4.3.4.5). The
 * AES-128 envelope writes METHOD=AES-128 with an explicit IV per segment
 * (§4.3.2.4; the init segment too, §4.3.2.5).
 */
import { formatHlsKeyTag } from '../drm/index.js';
import {
  averageBitrate, drmContextFor, kidsOf, peakBitrate, segmentUri,
  type Presentation, type Rendition,
} from './model.js';

/** EXT-X-MAP in a playlist without I-frames needs version 6 (RFC 8216 §7). */
export const HLS_VERSION = 6;
export const AUDIO_GROUP = 'audio';

function quoted(s: string): string {
  // §4.2: a quoted-string cannot hold " or CR/LF.
  if (/["\r\n]/.test(s)) throw new TypeError('HLS quoted-string cannot contain a double quote or a line break');
  return `"${s}"`;
}

/** EXTINF durations: 3 decimals is exact for every timescale we meet to 1 ms (§4.3.2.1 decimal-floating-point). */
export function extinf(seconds: number): string {
  return `#EXTINF:${seconds.toFixed(3)},`;
}

/** §4.3.3.1: every EXTINF rounded to the nearest integer must be <= the target duration. */
export function targetDuration(r: Rendition): number {
  return Math.max(1, ...r.segments.map((s) => Math.round(s.duration / r.timescale)));
}

function hexIv(iv: Buffer): string {
  return `0x${iv.toString('hex').toUpperCase()}`;
}

/** The key lines for CENC renditions: one per DRM system (all name the same key). */
function cencKeyLines(p: Presentation, set: readonly Rendition[], tag: 'EXT-X-KEY' | 'EXT-X-SESSION-KEY'): string[] {
  if (!p.protection) return [];
  const kids = kidsOf(set);
  return p.protection.drm.map((d) => formatHlsKeyTag(d.hlsKey(drmContextFor(p.protection!, d, kids)), tag));
}

function aesKeyLine(uri: string, iv: Buffer): string {
  return `#EXT-X-KEY:METHOD=AES-128,URI=${quoted(uri)},IV=${hexIv(iv)}`;
}

/**
 * Relative URI of `target` (a path relative to the presentation root) from
 * a playlist at the root: both live at the top, so it is the path itself.
 */
export function mediaPlaylistName(r: Rendition): string {
  return `${r.id}.m3u8`;
}

/** One rendition's media playlist. */
export function writeMediaPlaylist(p: Presentation, r: Rendition): string {
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${HLS_VERSION}`, `#EXT-X-TARGETDURATION:${targetDuration(r)}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-INDEPENDENT-SEGMENTS'];
  if (p.envelope) {
    // §4.3.2.5: the IV of the key that applies to an encrypted EXT-X-MAP is required.
    lines.push(aesKeyLine(p.envelope.keyUri, p.envelope.initIv));
    lines.push(`#EXT-X-MAP:URI=${quoted(r.init)}`);
    r.segments.forEach((s, i) => {
      if (!s.iv) throw new TypeError(`segment ${i} of ${r.id} has no IV`);
      lines.push(aesKeyLine(p.envelope!.keyUri, s.iv), extinf(s.duration / r.timescale), segmentUri(r, i));
    });
  } else {
    lines.push(...cencKeyLines(p, [r], 'EXT-X-KEY'));
    lines.push(`#EXT-X-MAP:URI=${quoted(r.init)}`);
    r.segments.forEach((s, i) => lines.push(extinf(s.duration / r.timescale), segmentUri(r, i)));
  }
  lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

/** FRAME-RATE: decimal with at most three digits (§4.3.4.2). */
function frameRateDecimal(rate: string): string {
  const [n, d] = rate.split('/').map(Number);
  const v = (n ?? 0) / (d ?? 1);
  return Number(v.toFixed(3)).toString();
}

/** The multivariant playlist. */
export function writeMultivariantPlaylist(p: Presentation): string {
  const videos = p.renditions.filter((r) => r.kind === 'video');
  const audios = p.renditions.filter((r) => r.kind === 'audio');
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${HLS_VERSION}`, '#EXT-X-INDEPENDENT-SEGMENTS'];
  lines.push(...cencKeyLines(p, p.renditions, 'EXT-X-SESSION-KEY'));
  audios.forEach((a, i) => {
    const attrs = [`TYPE=AUDIO`, `GROUP-ID=${quoted(AUDIO_GROUP)}`, `NAME=${quoted(a.language ?? (audios.length > 1 ? a.id : 'audio'))}`];
    if (a.language) attrs.push(`LANGUAGE=${quoted(a.language)}`);
    attrs.push(`DEFAULT=${i === 0 ? 'YES' : 'NO'}`, 'AUTOSELECT=YES');
    if (a.channels) attrs.push(`CHANNELS=${quoted(String(a.channels))}`);
    attrs.push(`URI=${quoted(mediaPlaylistName(a))}`);
    lines.push(`#EXT-X-MEDIA:${attrs.join(',')}`);
  });
  // §4.3.4.2: BANDWIDTH is the peak of the whole variant (video + its audio).
  const audioPeak = Math.max(0, ...audios.map(peakBitrate));
  const audioAverage = Math.max(0, ...audios.map(averageBitrate));
  const audioCodecs = [...new Set(audios.map((a) => a.codecs))];
  const variants = videos.length > 0 ? videos : audios.slice(0, 1);
  for (const v of [...variants].sort((a, b) => peakBitrate(b) - peakBitrate(a))) {
    const isVideo = v.kind === 'video';
    const attrs = [
      `BANDWIDTH=${peakBitrate(v) + (isVideo ? audioPeak : 0)}`,
      `AVERAGE-BANDWIDTH=${averageBitrate(v) + (isVideo ? audioAverage : 0)}`,
      `CODECS=${quoted((isVideo ? [v.codecs, ...audioCodecs] : [v.codecs]).join(','))}`,
    ];
    if (isVideo && v.width && v.height) attrs.push(`RESOLUTION=${v.width}x${v.height}`);
    if (isVideo && v.frameRate) attrs.push(`FRAME-RATE=${frameRateDecimal(v.frameRate)}`);
    if (isVideo && audios.length > 0) attrs.push(`AUDIO=${quoted(AUDIO_GROUP)}`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, mediaPlaylistName(v));
  }
  return lines.join('\n') + '\n';
}
