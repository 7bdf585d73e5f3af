/**
 * `keysmith package`: MP4 renditions → CMAF segments with DASH and HLS
 * manifests (cenc, cbcs), an HLS AES-128 presentation (cbc) or a clear one
 * (none). Thin: parses flags, calls src/package, renders the result.
 */
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { startProgress, formatBytes } from '../progress.js';
import { usageError } from '../../errors.js';
import { systemRandom } from '../../crypto/random.js';
import { generateContentKey, parseKeyPair, readKeyFile, type ContentKeyEntry } from '../../keys/content-keys.js';
import { parseDrmList } from '../../drm/index.js';
import { packagePresentation } from '../../package/package.js';
import { MODES, isPackageMode } from '../../package/modes.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

interface PackageFlags {
  output?: string;
  dash?: boolean;
  hls?: boolean;
  encryption: string;
  drm?: string;
  key?: string[];
  keys?: string;
  segmentDuration: string;
  laUrl?: string;
  hlsKeyUri?: string;
  fairplayKeyUri?: string;
  showKeys?: boolean;
  force?: boolean;
}

async function loadKeys(cwd: string, opts: PackageFlags): Promise<ContentKeyEntry[]> {
  const out: ContentKeyEntry[] = [];
  for (const k of opts.key ?? []) out.push(parseKeyPair(k));
  if (opts.keys) out.push(...(await readKeyFile(resolve(cwd, opts.keys))));
  const seen = new Set<string>();
  for (const k of out) {
    if (seen.has(k.kid.hex)) throw usageError(`key id ${k.kid.uuid} given twice`);
    seen.add(k.kid.hex);
  }
  return out;
}

function isUrl(s: string, schemes: readonly string[]): boolean {
  try {
    return schemes.includes(new URL(s).protocol);
  } catch {
    return false;
  }
}

async function packageAction(out: Output, opts: PackageFlags, inputs: string[]): Promise<void> {
  if (inputs.length === 0) throw usageError('no input', 'give one MP4 per rendition: keysmith package in_1080.mp4 in_720.mp4 -o out/ --dash --hls');
  if (!opts.output) throw usageError('no output directory', 'add -o out/');
  if (!isPackageMode(opts.encryption)) throw usageError(`unknown --encryption '${opts.encryption}'`, 'choose cenc, cbcs, cbc or none');
  const mode = MODES[opts.encryption];
  let dash = Boolean(opts.dash);
  let hls = Boolean(opts.hls);
  if (!dash && !hls) {
    dash = mode.dash;
    hls = mode.hls;
  }
  if (dash && !mode.dash) throw usageError('--encryption cbc is HLS only (DASH has no whole-segment AES-128 envelope)', 'use --hls alone, or --encryption cenc/cbcs for DASH');
  const segmentDuration = Number(opts.segmentDuration);
  if (!Number.isFinite(segmentDuration) || segmentDuration < 0.5 || segmentDuration > 60) {
    throw usageError(`--segment-duration ${opts.segmentDuration}: expected seconds between 0.5 and 60`);
  }
  const keys = await loadKeys(out.io.cwd, opts);
  if (!mode.keyed && keys.length > 0) throw usageError('--encryption none takes no key', 'drop --key/--keys, or choose cenc, cbcs or cbc');
  if (mode.envelope && keys.length > 1) throw usageError('--encryption cbc uses one key; got several', 'give one --key KID:KEY');
  let drm = opts.drm ? parseDrmList(opts.drm) : [];
  if (mode.scheme) {
    if (drm.length === 0) drm = parseDrmList('clearkey');
    for (const d of drm) {
      if (!d.schemes.includes(mode.scheme)) throw usageError(`${d.displayName} cannot play ${mode.scheme}`, `use --encryption ${d.schemes.join(' or ')} for ${d.name}`);
    }
  } else if (opts.drm) {
    throw usageError(`--drm applies to cenc and cbcs, not ${mode.name}`, mode.envelope ? 'AES-128 keys are fetched from --hls-key-uri' : undefined);
  }
  if (opts.laUrl !== undefined && !isUrl(opts.laUrl, ['http:', 'https:'])) throw usageError(`--la-url '${opts.laUrl}' is not an http(s) URL`);
  if (opts.fairplayKeyUri !== undefined && !opts.fairplayKeyUri.startsWith('skd://')) throw usageError('--fairplay-key-uri must start with skd://');
  if (opts.hlsKeyUri !== undefined && !mode.envelope) throw usageError('--hls-key-uri applies to --encryption cbc');
  if (opts.hlsKeyUri !== undefined && /["\r\n]/.test(opts.hlsKeyUri)) throw usageError('--hls-key-uri cannot contain quotes or line breaks');

  const spinner = await startProgress(out, 'packaging');
  let result;
  try {
    result = await packagePresentation({
      inputs: inputs.map((i) => resolve(out.io.cwd, i)),
      output: resolve(out.io.cwd, opts.output),
      mode: mode.name,
      dash,
      hls,
      keys,
      drm,
      segmentDuration,
      ...(opts.laUrl === undefined ? {} : { laUrl: opts.laUrl }),
      ...(opts.hlsKeyUri === undefined ? {} : { hlsKeyUri: opts.hlsKeyUri }),
      ...(opts.fairplayKeyUri === undefined ? {} : { fairplayKeyUri: opts.fairplayKeyUri }),
      force: Boolean(opts.force),
      random: systemRandom,
      generateKey: (random) => generateContentKey(random),
      progress: (d, t) => spinner.update(`packaging ${d}/${t} segments`),
    });
  } finally {
    spinner.stop();
  }
  const bytes = result.files.reduce((a, f) => a + f.bytes, 0);
  const doc = {
    output: result.output,
    encryption: result.mode,
    duration: Number(result.duration.toFixed(3)),
    ...(result.dash ? { dash: result.dash } : {}),
    ...(result.hls ? { hls: result.hls } : {}),
    drm: mode.scheme ? drm.map((d) => d.name) : [],
    kids: result.kids,
    renditions: result.renditions,
    files: result.files,
    bytes,
    ...(result.keysFile ? { keysFile: result.keysFile } : {}),
    ...(result.keyFile ? { keyFile: result.keyFile } : {}),
    ...(opts.showKeys ? { keys: result.keys.map((k) => ({ kid: k.kid.uuid, key: k.key.exportHex() })) } : {}),
  };
  out.result(doc, () => [
    `packaged ${inputs.length} input${inputs.length > 1 ? 's' : ''} → ${opts.output} (${mode.name}, ${result.duration.toFixed(3)} s, ${result.files.length} files, ${formatBytes(bytes)})`,
    ...(result.dash ? [`  DASH: ${result.dash}`] : []),
    ...(result.hls ? [`  HLS:  ${result.hls}`] : []),
    ...result.renditions.map(
      (r) =>
        `  ${r.id}: ${r.codecs}${r.width ? ` ${r.width}x${r.height}` : ''}${r.frameRate ? ` @${r.frameRate}` : ''}${r.sampleRate ? ` ${r.sampleRate} Hz ${r.channels ?? '?'} ch` : ''}, ${r.segments} segment${r.segments === 1 ? "" : "s"}, peak ${Math.round(r.bandwidth / 1000)} kbit/s, average ${Math.round(r.averageBandwidth / 1000)} kbit/s${r.kid ? `, kid ${r.kid}` : ''}`,
    ),
    ...(mode.scheme ? [`  DRM signalled: ${drm.map((d) => d.name).join(', ')} (common-system pssh in every init segment)`] : []),
    ...(result.keysFile ? [`  generated key written to ${result.keysFile} (mode 0600): keep it out of what you publish`] : []),
    ...(result.keyFile ? [`  AES-128 key written to ${result.keyFile} (mode 0600), fetched by the relative URI key.bin: serve it only to authorised players, or use --hls-key-uri`] : []),
    ...(opts.showKeys ? result.keys.map((k) => `  key ${k.kid.uuid}:${k.key.exportHex()}`) : []),
  ]);
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('package')
    .description('package MP4 renditions into CMAF segments with DASH and HLS manifests (cenc, cbcs), HLS AES-128 (cbc) or clear')
    .argument('<inputs...>', 'MP4 files, one per video rendition (the first also gives the audio)')
    .option('-o, --output <dir>', 'output directory (must not exist or be empty, unless --force)')
    .option('--dash', 'write a DASH MPD (manifest.mpd)')
    .option('--hls', 'write HLS playlists (master.m3u8 and one per rendition)')
    .addOption(new Option('--encryption <mode>', 'cenc | cbcs | cbc (HLS AES-128) | none').choices(['cenc', 'cbcs', 'cbc', 'none']).default('cenc'))
    .option('--drm <list>', 'systems to signal for cenc/cbcs: clearkey,widevine,playready,fairplay (default clearkey)')
    .option('--key <KID:KEY>', 'content key, KID as hex or UUID (repeat: label-less keys go to tracks in order)', collect)
    .option('--keys <file>', 'keys.json (keysmith keys new); labels video/audio pick per track')
    .option('--segment-duration <seconds>', 'target segment duration; cuts on video sync samples', '4')
    .option('--la-url <url>', 'license URL written in the manifests (ClearKey dashif:Laurl, PlayReady LA_URL)')
    .option('--hls-key-uri <uri>', 'cbc: the key URI in the playlists (default: key.bin written beside them, 0600)')
    .option('--fairplay-key-uri <skd>', 'FairPlay key URI (default skd://<kid hex>)')
    .option('--show-keys', 'print the keys (with --json: in the document)')
    .option('-f, --force', 'replace a non-empty output directory')
    .addHelpText(
      'after',
      `
Without --dash/--hls, every format the mode supports is written. Several
inputs make an ABR ladder: one video rendition per input (their key frames
must align), one audio rendition from the first input. DASH and HLS share
the same CMAF segments. Without --key/--keys a key is generated and written
to <output>/keys.json (0600). Everything is written to a temporary
directory and moved into place when complete.

Examples:
  keysmith package in_1080.mp4 in_720.mp4 in_480.mp4 -o out/ --dash --hls --encryption cbcs --drm widevine,playready,fairplay --keys keys.json
  keysmith package in.mp4 -o out/ --encryption cenc --drm clearkey --la-url https://keys.example.com/clearkey
  keysmith package in.mp4 -o out/ --hls --encryption cbc --hls-key-uri https://keys.example.com/key?kid=…
  keysmith package in.mp4 -o out/ --encryption none --json`,
    )
    .action(ctx.action(packageAction));
}
