/**
 * `keysmith package`: inputs → CMAF segments + DASH MPD + HLS playlists in
 * one directory. Everything is written into a temporary directory beside
 * the output and renamed into place when complete: a failure leaves no half
 * presentation. The segments come from the ladder (the media engine); the
 * manifests from src/manifest; the DRM signalling from the DRM table.
 */
import { promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { KeysmithError, EXIT_ENVIRONMENT, fromSystemError } from '../errors.js';
import { holdTempDirectory } from '../fsx/atomic.js';
import type { RandomSource } from '../crypto/random.js';
import { formatKeyFile, type ContentKeyEntry } from '../keys/content-keys.js';
import type { DrmSystem } from '../drm/index.js';
import {
  averageBitrate, mediaPlaylistName, peakBitrate, writeMediaPlaylist, writeMpd, writeMultivariantPlaylist,
  type Presentation, type Rendition,
} from '../manifest/index.js';
import { openLadder, type LadderRendition } from './ladder.js';
import { MODES, type PackageMode } from './modes.js';

export const DASH_MANIFEST = 'manifest.mpd';
export const HLS_MANIFEST = 'master.m3u8';
export const KEYS_FILE = 'keys.json';
export const HLS_KEY_FILE = 'key.bin';
/** Segments produced concurrently (bounded memory: a few segments). */
const SEGMENTS_IN_FLIGHT = 4;

export interface PackageOptions {
  inputs: readonly string[];
  /** Output directory (created; must not exist or be empty unless force). */
  output: string;
  mode: PackageMode;
  dash: boolean;
  hls: boolean;
  /** Content keys. Empty: generated and written to <output>/keys.json (0600). */
  keys: readonly ContentKeyEntry[];
  drm: readonly DrmSystem[];
  segmentDuration: number;
  laUrl?: string;
  /** cbc: the key URI in the playlists. Absent: key.bin written beside (0600). */
  hlsKeyUri?: string;
  fairplayKeyUri?: string;
  force: boolean;
  random: RandomSource;
  /** Key generator (injectable for tests). */
  generateKey(random: RandomSource): ContentKeyEntry;
  progress?(done: number, total: number): void;
}

export interface PackagedFile {
  path: string;
  bytes: number;
}

export interface PackageResult {
  output: string;
  mode: PackageMode;
  duration: number;
  files: PackagedFile[];
  renditions: {
    id: string;
    kind: 'video' | 'audio';
    input: string;
    codecs: string;
    bandwidth: number;
    averageBandwidth: number;
    segments: number;
    width?: number;
    height?: number;
    frameRate?: string;
    sampleRate?: number;
    channels?: number;
    kid?: string;
  }[];
  kids: string[];
  dash?: string;
  hls?: string;
  /** Generated keys written here (0600). */
  keysFile?: string;
  /** AES-128 key written here (0600), served by the relative URI in the playlists. */
  keyFile?: string;
  /** Keys actually used (the CLI prints them only with --show-keys). */
  keys: ContentKeyEntry[];
}

async function outputState(path: string): Promise<'missing' | 'empty' | 'full'> {
  try {
    const st = await fs.stat(path);
    if (!st.isDirectory()) {
      throw new KeysmithError('ERR_NOT_DIRECTORY', `${path} exists and is not a directory`, { exit: EXIT_ENVIRONMENT, hint: 'give -o a directory path' });
    }
    return (await fs.readdir(path)).length === 0 ? 'empty' : 'full';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw fromSystemError(err, path) ?? err;
  }
}

function toRendition(r: LadderRendition, sizes: number[], initSize: number): Rendition {
  return {
    id: r.id,
    kind: r.kind,
    codecs: r.codecs,
    timescale: r.timescale,
    init: `${r.id}/init.mp4`,
    initSize,
    media: `${r.id}/$Number$.m4s`,
    segments: r.segments.map((s, i) => ({ start: s.start, duration: s.duration, size: sizes[i]!, ...(r.segmentIvs ? { iv: r.segmentIvs[i]! } : {}) })),
    ...(r.width ? { width: r.width } : {}),
    ...(r.height ? { height: r.height } : {}),
    ...(r.frameRate ? { frameRate: r.frameRate } : {}),
    ...(r.sar ? { sar: r.sar } : {}),
    ...(r.sampleRate ? { sampleRate: r.sampleRate } : {}),
    ...(r.channels ? { channels: r.channels } : {}),
    ...(r.kid ? { kid: r.kid } : {}),
  };
}

export async function packagePresentation(options: PackageOptions): Promise<PackageResult> {
  const mode = MODES[options.mode];
  const output = resolve(options.output);
  const state = await outputState(output);
  if (state === 'full' && !options.force) {
    throw new KeysmithError('ERR_EXISTS', `${options.output} exists and is not empty`, { exit: EXIT_ENVIRONMENT, hint: 'choose another -o or add --force to replace it' });
  }
  for (const input of options.inputs) {
    if (resolve(input).startsWith(output + '/')) {
      throw new KeysmithError('ERR_USAGE', `input ${input} is inside the output directory`, { exit: 2, hint: 'keysmith never overwrites its input; choose another -o' });
    }
  }
  let keys = [...options.keys];
  let generated = false;
  if (mode.keyed && keys.length === 0) {
    keys = [options.generateKey(options.random)];
    generated = true;
  }

  const parent = dirname(output);
  try {
    await fs.mkdir(parent, { recursive: true });
  } catch (err) {
    throw fromSystemError(err, parent) ?? err;
  }
  const temp = await fs.mkdtemp(join(parent, `.${basename(output)}.partial-`)).catch((err: unknown) => {
    throw fromSystemError(err, parent) ?? err;
  });
  const release = holdTempDirectory(temp); // Ctrl-C removes it (src/cli/main.ts)
  const files: PackagedFile[] = [];
  const write = async (rel: string, data: Buffer | string, mode0600 = false): Promise<void> => {
    const path = join(temp, rel);
    await fs.writeFile(path, data, mode0600 ? { mode: 0o600 } : {});
    if (mode0600) await fs.chmod(path, 0o600);
    files.push({ path: rel, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.length });
  };

  try {
    const ladder = await openLadder(options.inputs, {
      mode: options.mode,
      keys,
      drm: options.drm,
      segmentDuration: options.segmentDuration,
      random: options.random,
    });
    let renditions: Rendition[];
    try {
      const total = ladder.renditions.reduce((a, r) => a + r.segments.length + 1, 0);
      let done = 0;
      const sizes = new Map<string, number[]>();
      const initSizes = new Map<string, number>();
      const jobs: { id: string; index: number }[] = [];
      for (const r of ladder.renditions) {
        await fs.mkdir(join(temp, r.id));
        const init = ladder.initSegment(r.id);
        await write(`${r.id}/init.mp4`, init);
        initSizes.set(r.id, init.length);
        sizes.set(r.id, []);
        options.progress?.(++done, total);
        for (let i = 0; i < r.segments.length; i++) jobs.push({ id: r.id, index: i });
      }
      // A few segments in flight: reading, encrypting and writing overlap
      // (every segment is independent, the engine reads by position).
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < jobs.length) {
          const job = jobs[next++]!;
          const seg = await ladder.mediaSegment(job.id, job.index);
          await write(`${job.id}/${job.index + 1}.m4s`, seg);
          sizes.get(job.id)![job.index] = seg.length;
          options.progress?.(++done, total);
        }
      };
      await Promise.all(Array.from({ length: SEGMENTS_IN_FLIGHT }, worker));
      renditions = ladder.renditions.map((r) => toRendition(r, sizes.get(r.id)!, initSizes.get(r.id)!));
    } finally {
      await ladder.close();
    }

    const presentation: Presentation = { duration: ladder.duration, segmentDuration: options.segmentDuration, renditions };
    if (mode.scheme) {
      presentation.protection = {
        scheme: mode.scheme,
        drm: options.drm,
        keys,
        ...(options.laUrl === undefined ? {} : { laUrl: options.laUrl }),
        ...(options.fairplayKeyUri === undefined ? {} : { fairplayKeyUri: options.fairplayKeyUri }),
      };
    }
    let keyFile: string | undefined;
    if (mode.envelope) {
      const keyUri = options.hlsKeyUri ?? HLS_KEY_FILE;
      presentation.envelope = { keyUri, initIv: ladder.renditions[0]!.initIv! };
      if (options.hlsKeyUri === undefined) {
        await write(HLS_KEY_FILE, Buffer.from(ladder.envelopeKey!.key.bytes), true);
        keyFile = join(output, HLS_KEY_FILE);
      }
    }
    if (options.dash) await write(DASH_MANIFEST, writeMpd(presentation));
    if (options.hls) {
      for (const r of renditions) {
        // The envelope IV of the init segment is per rendition.
        const lr = ladder.renditions.find((x) => x.id === r.id)!;
        const p = presentation.envelope ? { ...presentation, envelope: { ...presentation.envelope, initIv: lr.initIv! } } : presentation;
        await write(mediaPlaylistName(r), writeMediaPlaylist(p, r));
      }
      await write(HLS_MANIFEST, writeMultivariantPlaylist(presentation));
    }
    let keysFile: string | undefined;
    if (generated) {
      await write(KEYS_FILE, formatKeyFile(keys), true);
      keysFile = join(output, KEYS_FILE);
    }

    // Into place: the old tree (--force) goes aside first, then the new one is renamed in.
    let aside: string | undefined;
    if (state !== 'missing') {
      aside = `${temp}.old`;
      await fs.rename(output, aside);
    }
    await fs.chmod(temp, 0o755); // mkdtemp makes it 0700; the tree is for publishing (key files stay 0600)
    await fs.rename(temp, output);
    release();
    if (aside) await fs.rm(aside, { recursive: true, force: true });

    return {
      output,
      mode: options.mode,
      duration: ladder.duration,
      files: [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
      renditions: renditions.map((r) => {
        const lr = ladder.renditions.find((x) => x.id === r.id)!;
        return {
          id: r.id,
          kind: r.kind,
          input: lr.input,
          codecs: r.codecs,
          bandwidth: peakBitrate(r),
          averageBandwidth: averageBitrate(r),
          segments: r.segments.length,
          ...(r.width ? { width: r.width, height: r.height! } : {}),
          ...(r.frameRate ? { frameRate: r.frameRate } : {}),
          ...(r.sampleRate ? { sampleRate: r.sampleRate } : {}),
          ...(r.channels ? { channels: r.channels } : {}),
          ...(r.kid ? { kid: r.kid.uuid } : {}),
        };
      }),
      kids: [...new Set(renditions.flatMap((r) => (r.kid ? [r.kid.uuid] : [])))],
      ...(options.dash ? { dash: join(output, DASH_MANIFEST) } : {}),
      ...(options.hls ? { hls: join(output, HLS_MANIFEST) } : {}),
      ...(keysFile ? { keysFile } : {}),
      ...(keyFile ? { keyFile } : {}),
      keys: mode.keyed ? keys : [],
    };
  } catch (err) {
    await fs.rm(temp, { recursive: true, force: true }).catch(() => undefined);
    release();
    throw fromSystemError(err) ?? err;
  }
}
