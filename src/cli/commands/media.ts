/**
 * `keysmith encrypt | decrypt | inspect`: one MP4 ⇄ one encrypted
 * fragmented MP4, and a report of what an MP4 holds. Thin: parses flags,
 * calls src/protect, renders results.
 */
import { Option, type Command } from 'commander';
import { dirname, basename, extname, join, resolve } from 'node:path';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { startProgress, formatBytes } from '../progress.js';
import { KeysmithError, usageError } from '../../errors.js';
import { systemRandom } from '../../crypto/random.js';
import { Iv } from '../../crypto/values.js';
import { generateContentKey, parseKeyPair, readKeyFile, writeKeyFile, type ContentKeyEntry } from '../../keys/content-keys.js';
import { assertWritableTarget, openAtomic } from '../../fsx/atomic.js';
import { bufferSource, openFileSource, type ByteSource } from '../../media/bmff/index.js';
import { buildTrackIndex, planFromFragments, planSegments, type MovieIndex } from '../../media/mp4/index.js';
import { parseDrmList } from '../../drm/index.js';
import { setupProtection, ENCRYPT_SCHEMES } from '../../protect/encryptor.js';
import { requiredKids } from '../../protect/decryptor.js';
import { decryptMovie, encryptMovie, type WholeFileOptions } from '../../protect/segments.js';
import { inspectMovie, type MovieReport } from '../../protect/inspector.js';
import { SCHEMES, type SchemeName } from '../../protect/sample-crypto.js';
import type { Io } from '../io.js';

const MAX_STDIN = 2 * 1024 * 1024 * 1024;

async function readStdin(io: Io): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of io.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    n += b.length;
    if (n > MAX_STDIN) throw new KeysmithError('ERR_TOO_LARGE', 'standard input is larger than 2 GiB', { hint: 'give the file by path instead' });
    parts.push(b);
  }
  return Buffer.concat(parts);
}

async function openInput(io: Io, input: string): Promise<ByteSource> {
  if (input === '-') return bufferSource(await readStdin(io));
  return openFileSource(resolve(io.cwd, input));
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

async function loadKeys(io: Io, opts: { key?: string[]; keys?: string }): Promise<ContentKeyEntry[]> {
  const out: ContentKeyEntry[] = [];
  for (const k of opts.key ?? []) out.push(parseKeyPair(k));
  if (opts.keys) out.push(...(await readKeyFile(resolve(io.cwd, opts.keys))));
  const seen = new Set<string>();
  for (const k of out) {
    if (seen.has(k.kid.hex)) throw usageError(`key id ${k.kid.uuid} given twice`);
    seen.add(k.kid.hex);
  }
  return out;
}

interface Sink {
  write(b: Buffer): Promise<void>;
  writev?(parts: Buffer[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Bytes written between background fdatasyncs of the output. */
const WRITEBACK_BYTES = 32 * 1024 * 1024;

async function openOutput(out: Output, output: string, input: string, force: boolean): Promise<Sink> {
  if (output === '-') {
    if (out.io.stdout.isTTY) throw usageError('refusing to write binary MP4 data to a terminal', 'redirect it: -o - > out.mp4');
    out.stdoutIsPayload = true;
    const stdout = out.io.stdout;
    return {
      write: (b) => new Promise<void>((res, rej) => stdout.write(b, (err) => (err ? rej(err) : res()))),
      commit: async () => {},
      abort: async () => {},
    };
  }
  const path = resolve(out.io.cwd, output);
  const f = await openAtomic(path, { overwrite: force, inputs: input === '-' ? [] : [resolve(out.io.cwd, input)] });
  // Write-back while we work: an fdatasync in the background every WRITEBACK_BYTES, so the one
  // fsync of commit (the atomic-write rule) finds little left to flush instead of the whole file.
  let unflushed = 0;
  let flushing: Promise<void> | undefined;
  const wrote = (n: number): void => {
    unflushed += n;
    if (unflushed < WRITEBACK_BYTES || flushing) return;
    unflushed = 0;
    flushing = f.handle.datasync().then(
      () => { flushing = undefined; },
      () => { flushing = undefined; }, // commit's fsync reports any error
    );
  };
  return {
    write: async (b) => {
      await f.write(b);
      wrote(b.length);
    },
    writev: async (parts) => {
      await f.writev(parts);
      wrote(parts.reduce((n, p) => n + p.length, 0));
    },
    commit: async () => {
      await flushing;
      await f.commit();
    },
    abort: async () => {
      await flushing;
      await f.abort();
    },
  };
}

function fragmentDuration(text: string | undefined): number {
  const v = Number(text ?? '2');
  if (!Number.isFinite(v) || v <= 0 || v > 3600) throw usageError(`--fragment-duration ${text}: expected seconds between 0 and 3600`);
  return v;
}

/** Write `movie` through `run` into output atomically; a failure leaves nothing behind. */
async function produce(out: Output, output: string, input: string, force: boolean, label: string, run: (sink: WholeFileOptions) => Promise<{ fragments: number; bytes: number }>) {
  const sink = await openOutput(out, output, input, force);
  const spinner = await startProgress(out, label);
  try {
    const progress = (d: number, t: number): void => spinner.update(`${label} ${d}/${t} segments`);
    const r = await run({ write: (b) => sink.write(b), ...(sink.writev ? { writev: sink.writev } : {}), progress });
    await sink.commit();
    spinner.stop();
    return r;
  } catch (err) {
    spinner.stop();
    await sink.abort();
    throw err;
  }
}

function keysPathFor(output: string): string {
  const ext = extname(output);
  return join(dirname(output), `${basename(output, ext)}.keys.json`);
}

async function encryptAction(out: Output, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const input = args[0]!;
  const output = opts.output as string | undefined;
  if (!output) throw usageError('no output file', 'add -o out.mp4 (or -o - for stdout)');
  const scheme = (opts.scheme as string) ?? 'cenc';
  if (!ENCRYPT_SCHEMES.includes(scheme as SchemeName)) throw usageError(`unknown scheme '${scheme}'`, 'choose cenc, cbcs, cens or cbc1');
  let keys = await loadKeys(out.io, opts as { key?: string[]; keys?: string });
  const drm = opts.drm ? parseDrmList(opts.drm as string) : [];
  const iv = opts.iv ? Iv.parse(opts.iv as string).bytes : undefined;
  const row = SCHEMES[scheme as SchemeName];
  if (iv && (row.constantIv ? iv.length !== 16 : !row.ivSizes.includes(iv.length as 8 | 16))) {
    throw usageError(`--iv: ${scheme} takes ${row.constantIv ? 'a 16-byte constant IV (32 hex digits)' : '8 or 16 bytes (16 or 32 hex digits)'}`);
  }
  const clearLead = opts.clearLead === undefined ? 0 : Number(opts.clearLead);
  if (!Number.isFinite(clearLead) || clearLead < 0) throw usageError(`--clear-lead ${String(opts.clearLead)}: expected seconds >= 0`);
  const duration = fragmentDuration(opts.fragmentDuration as string | undefined);
  const force = Boolean(opts.force);
  const source = await openInput(out.io, input);
  try {
    const movie = await buildTrackIndex(source);
    let keysFile: string | undefined;
    if (keys.length === 0) {
      keysFile = opts.keysOut ? resolve(out.io.cwd, opts.keysOut as string) : output === '-' ? undefined : keysPathFor(resolve(out.io.cwd, output));
      if (!keysFile) throw usageError('no key given and nowhere to write a generated one', 'add --key KID:KEY, --keys keys.json or --keys-out FILE');
      await assertWritableTarget(keysFile, force);
      const kinds = [...new Set(movie.tracks.filter((t) => t.kind !== 'other').map((t) => t.kind))];
      keys = kinds.map((k) => generateContentKey(systemRandom, undefined, k));
    }
    const protection = setupProtection(movie, { scheme: scheme as SchemeName, keys, drm, clearLead, random: systemRandom, ...(iv ? { iv } : {}) });
    const plan = planSegments(movie, duration);
    const r = await produce(out, output, input, force, 'encrypting', (sink) => encryptMovie(movie, plan, protection, sink));
    if (keysFile) await writeKeyFile(keysFile, protection.keys, { overwrite: force });
    const tracks = movie.tracks.map((t) => {
      const p = protection.tracks.get(t.id);
      return {
        id: t.id,
        kind: t.kind,
        codec: t.codec,
        samples: t.samples.count,
        ...(p
          ? { kid: p.kid.uuid, ivSize: p.crypto.ivSize, ...(p.crypto.pattern ? { pattern: p.crypto.pattern } : {}), ...(p.crypto.constantIv ? { constantIv: p.crypto.constantIv.toString('hex') } : {}) }
          : { encrypted: false }),
      };
    });
    const result: Record<string, unknown> = {
      output,
      scheme,
      fragments: r.fragments,
      bytes: r.bytes,
      segments: plan.segmentCount,
      tracks,
      kids: protection.keys.map((k) => k.kid.uuid),
      pssh: protection.pssh.map((b) => b.raw ? systemIdOf(b.raw) : undefined),
      ...(keysFile ? { keysFile } : {}),
      ...(opts.showKeys ? { keys: protection.keys.map((k) => ({ kid: k.kid.uuid, key: k.key.exportHex(), ...(k.label ? { label: k.label } : {}) })) } : {}),
    };
    out.result(result, () => [
      `encrypted ${input} → ${output} (${scheme}, ${plan.segmentCount} segments, ${r.fragments} fragments, ${formatBytes(r.bytes)})`,
      ...tracks.map((t) => `  track ${t.id} ${t.kind} ${t.codec}: ${'kid' in t ? `kid ${t.kid}` : 'clear'}`),
      ...(keysFile ? [`keys written to ${keysFile} (mode 0600)`] : []),
      ...(opts.showKeys ? protection.keys.map((k) => `  key ${k.kid.uuid}:${k.key.exportHex()}`) : []),
    ]);
  } finally {
    await source.close();
  }
}

function systemIdOf(raw: Buffer): string {
  const h = raw.subarray(4, 20).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function decryptAction(out: Output, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const input = args[0]!;
  const output = opts.output as string | undefined;
  if (!output) throw usageError('no output file', 'add -o clear.mp4 (or -o - for stdout)');
  const keys = await loadKeys(out.io, opts as { key?: string[]; keys?: string });
  if (keys.length === 0) throw usageError('no key given', 'add --key KID:KEY (several allowed) or --keys keys.json');
  const duration = opts.fragmentDuration === undefined ? undefined : fragmentDuration(opts.fragmentDuration as string);
  const source = await openInput(out.io, input);
  try {
    const movie: MovieIndex = await buildTrackIndex(source);
    const needed = requiredKids(movie);
    // Fragmented input keeps its own fragments unless a duration is asked for.
    const plan = (duration === undefined ? planFromFragments(movie) : undefined) ?? planSegments(movie, duration ?? 2);
    const r = await produce(out, output, input, Boolean(opts.force), 'decrypting', (sink) => decryptMovie(movie, plan, keys, sink));
    const tracks = movie.tracks.map((t) => ({ id: t.id, kind: t.kind, codec: t.codec, samples: t.samples.count, ...(t.encryption ? { scheme: t.encryption.scheme } : { encrypted: false }) }));
    out.result({ output, fragments: r.fragments, bytes: r.bytes, kids: needed.map((k) => k.uuid), tracks }, () => [
      `decrypted ${input} → ${output} (${r.fragments} fragments, ${formatBytes(r.bytes)})`,
      ...tracks.map((t) => `  track ${t.id} ${t.kind} ${t.codec}: ${'scheme' in t ? t.scheme : 'was clear'}`),
    ]);
  } finally {
    await source.close();
  }
}

function renderReport(input: string, r: MovieReport): string[] {
  const lines = [`${input}: ${r.fragmented ? `fragmented (${r.fragments} fragments)` : 'progressive'}, ${r.durationSeconds.toFixed(3)} s${r.brands ? `, brands ${r.brands.major} [${r.brands.compatible.join(' ')}]` : ''}`];
  for (const t of r.tracks) {
    const dims = t.width ? ` ${t.width}x${t.height}` : t.channels ? ` ${t.channels} ch ${t.sampleRate} Hz` : '';
    lines.push(`track ${t.id} ${t.kind} ${t.codec}${t.sampleEntry !== t.codec ? ` (${t.sampleEntry})` : ''}${dims}: ${t.samples} samples, ${t.syncSamples} sync, ${(t.duration / t.timescale).toFixed(3)} s`);
    const e = t.encryption;
    if (e) {
      lines.push(`  ${e.scheme} kid ${e.kid} ${e.constantIv ? `constant iv ${e.constantIv}` : `iv ${e.ivSize} bytes`}${e.pattern ? ` pattern ${e.pattern.crypt}:${e.pattern.skip}` : ''}`);
      lines.push(`  ${e.samplesWithEncryptionInfo} samples with encryption info, ${e.samplesWithSubsamples} with subsamples, ${e.clearSamples} marked clear`);
    }
    for (const p of t.problems) lines.push(`  problem: ${p}`);
  }
  for (const p of r.pssh) lines.push(`pssh ${p.system} (${p.systemId}) v${p.version}${p.kids.length ? ` kids ${p.kids.join(', ')}` : ''}, ${p.dataSize} bytes of data`);
  if (r.boxes) {
    lines.push('boxes:');
    for (const b of r.boxes) {
      const f = b.fields ? ` ${Object.entries(b.fields).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ')}` : '';
      lines.push(`${'  '.repeat(b.depth + 1)}[${b.type}] size=${b.size} @${b.offset}${f}`);
    }
  }
  return lines;
}

async function inspectAction(out: Output, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const input = args[0]!;
  const source = await openInput(out.io, input);
  try {
    const report = await inspectMovie(source, { boxes: Boolean(opts.boxes) });
    out.result({ file: input, ...report }, () => renderReport(input, report));
  } finally {
    await source.close();
  }
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('encrypt')
    .description('encrypt an MP4 (progressive or fragmented) into one fragmented MP4 with CENC (cenc, cbcs, cens, cbc1)')
    .argument('<input>', 'MP4 file (H.264, HEVC, AAC, AC-3, E-AC-3), or - for stdin')
    .option('-o, --output <file>', 'output MP4, or - for stdout')
    .addOption(new Option('--scheme <scheme>', 'protection scheme').choices(['cenc', 'cbcs', 'cens', 'cbc1']).default('cenc'))
    .option('--key <KID:KEY>', 'content key, KID as hex or UUID (repeat: one per track in order, or labelled in --keys)', collect)
    .option('--keys <file>', 'keys.json with the content keys (label video/audio to pick per track)')
    .option('--drm <list>', 'also write pssh boxes for these systems: clearkey,widevine,playready')
    .option('--iv <hex>', 'first IV (16 or 32 hex digits; cbcs: the 32-digit constant IV); random by default')
    .option('--fragment-duration <seconds>', 'target fragment duration, cut on video sync samples', '2')
    .option('--clear-lead <seconds>', 'leave the fragments that start in the first SECONDS clear')
    .option('--keys-out <file>', 'where generated keys go (default: <output>.keys.json beside the output)')
    .option('--show-keys', 'print generated keys (with --json: in the document)')
    .option('-f, --force', 'overwrite the output (and keys file)')
    .addHelpText(
      'after',
      `
Without --key/--keys, a key per track kind is generated and written beside
the output (mode 0600, keys.json format). The common-system pssh (1077efec…)
is always written; --drm adds Widevine/PlayReady headers.

Examples:
  keysmith encrypt in.mp4 -o enc.mp4 --scheme cbcs --key 0123456789abcdef0123456789abcdef:00112233445566778899aabbccddeeff
  keysmith encrypt in.mp4 -o enc.mp4 --keys keys.json --drm widevine,playready --clear-lead 4
  keysmith encrypt in.mp4 -o enc.mp4 --json          # generated keys in enc.keys.json`,
    )
    .action(ctx.action(encryptAction));
  program
    .command('decrypt')
    .description('decrypt a CENC MP4 (cenc, cbcs, cens, cbc1; ours or any packager\'s) into a clear fragmented MP4')
    .argument('<input>', 'encrypted MP4, or - for stdin')
    .option('-o, --output <file>', 'output MP4, or - for stdout')
    .option('--key <KID:KEY>', 'content key (repeat for several KIDs)', collect)
    .option('--keys <file>', 'keys.json with the content keys')
    .option('--fragment-duration <seconds>', 're-cut the output into fragments of this duration (default: keep the input\'s fragments; 2 s for progressive input)')
    .option('-f, --force', 'overwrite the output')
    .addHelpText(
      'after',
      `
Keys are chosen by KID (keysmith inspect lists the KIDs a file needs).

Examples:
  keysmith decrypt enc.mp4 -o clear.mp4 --key 0123456789abcdef0123456789abcdef:00112233445566778899aabbccddeeff
  keysmith decrypt enc.mp4 -o clear.mp4 --keys enc.keys.json`,
    )
    .action(ctx.action(decryptAction));
  program
    .command('inspect')
    .description('show tracks, codecs, protection (scheme, pattern, KIDs, IVs), PSSH systems and fragments of an MP4')
    .argument('<input>', 'MP4 file, or - for stdin')
    .option('--boxes', 'also dump the box tree with fields (like mp4dump)')
    .addHelpText('after', '\nExamples:\n  keysmith inspect enc.mp4\n  keysmith inspect enc.mp4 --json | jq .tracks\n  keysmith inspect enc.mp4 --boxes')
    .action(ctx.action(inspectAction));
}
