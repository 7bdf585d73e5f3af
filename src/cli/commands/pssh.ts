/**
 * `keysmith pssh new|inspect`: PSSH boxes and DRM headers from the DRM
 * table (src/drm). Rendering only; the library does the work.
 */
import { Command, Option } from 'commander';
import { promises as fs } from 'node:fs';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { fromSystemError, KeysmithError, usageError } from '../../errors.js';
import { fromHex } from '../../crypto/bytes.js';
import {
  DRM_SYSTEMS,
  inspectPsshBytes,
  inspectPsshSource,
  looksLikePsshBox,
  parseDrmList,
  PLAYREADY_VERSIONS,
  type ByteSource,
  type DrmContext,
  type InspectResult,
  type PlayReadyVersion,
  type ProtectionScheme,
  type PsshDescription,
} from '../../drm/index.js';
import { looksLikePlayReadyObject } from '../../drm/inspect.js';
import type { ContentKeyEntry } from '../../keys/content-keys.js';
import { collect, isFile, parseKeyFlags, parseKids, readKeysOption, readStdin, resolvePath, MAX_INLINE_INPUT } from './keys-io.js';

const FORMATS = ['box-base64', 'box-hex', 'data-base64', 'json'] as const;
type PsshFormat = (typeof FORMATS)[number];

interface NewOptions {
  system: string;
  kid?: string[];
  key?: string[];
  keys?: string;
  laUrl?: string;
  luiUrl?: string;
  dsId?: string;
  customAttributes?: string;
  playreadyVersion?: PlayReadyVersion;
  protectionScheme: ProtectionScheme;
  contentId?: string;
  provider?: string;
  psshVersion?: string;
  format: PsshFormat;
}

async function runNew(out: Output, opts: NewOptions, ctx: CliContext): Promise<void> {
  const systems = parseDrmList(opts.system);
  const fromFile = await readKeysOption(ctx.io, opts.keys);
  let kids = parseKids(opts.kid);
  if (kids.length === 0) kids = fromFile.map((e) => e.kid);
  if (kids.length === 0) throw usageError('pssh new needs at least one --kid', 'e.g. --kid 0123456789abcdef0123456789abcdef (or --keys keys.json)');
  const keys: ContentKeyEntry[] = [...fromFile, ...parseKeyFlags(opts.key, kids)];
  const drmCtx: DrmContext = { kids, keys, scheme: opts.protectionScheme };
  if (opts.laUrl !== undefined) drmCtx.laUrl = opts.laUrl;
  if (opts.luiUrl !== undefined) drmCtx.luiUrl = opts.luiUrl;
  if (opts.dsId !== undefined) drmCtx.dsId = opts.dsId;
  if (opts.customAttributes !== undefined) drmCtx.customAttributes = opts.customAttributes;
  if (opts.playreadyVersion !== undefined) drmCtx.playreadyVersion = opts.playreadyVersion;
  if (opts.provider !== undefined) drmCtx.provider = opts.provider;
  if (opts.contentId !== undefined) {
    try {
      drmCtx.contentId = fromHex(opts.contentId.replace(/^0x/i, ''), 'content id');
    } catch {
      throw usageError('--content-id must be hex', 'e.g. --content-id 6d792d636f6e74656e74');
    }
  }
  if (opts.psshVersion !== undefined) drmCtx.psshVersion = opts.psshVersion === '1' ? 1 : 0;
  const made = systems.map((row) => {
    const box = row.psshBox(drmCtx);
    if (!box) {
      throw usageError(`${row.displayName} has no pssh box`, 'FairPlay is signalled in HLS playlists (skd:// key URI, KEYFORMAT com.apple.streamingkeydelivery)');
    }
    return { row, box, data: row.psshData(drmCtx)! };
  });
  const doc = {
    boxes: made.map(({ row, box, data }) => ({
      system: row.name,
      systemId: row.systemId,
      box: box.toString('base64'),
      boxHex: box.toString('hex'),
      data: data.toString('base64'),
      size: box.length,
    })),
  };
  if (out.json || opts.format === 'json') {
    out.io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return;
  }
  const all = Buffer.concat(made.map((m) => m.box));
  switch (opts.format) {
    case 'box-base64':
      out.print(all.toString('base64'));
      break;
    case 'box-hex':
      out.print(all.toString('hex'));
      break;
    case 'data-base64':
      out.print(made.map((m) => m.data.toString('base64')).join('\n'));
      break;
  }
}

function fileSource(handle: fs.FileHandle, size: number): ByteSource {
  return {
    size,
    async read(offset, length) {
      const n = Math.max(0, Math.min(length, size - offset));
      const buf = Buffer.alloc(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await handle.read(buf, got, n - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buf.subarray(0, got);
    },
  };
}

function decodeInline(text: string): Buffer {
  const t = text.trim();
  if (/^(?:[0-9a-fA-F]{2})+$/.test(t)) return Buffer.from(t, 'hex');
  const compact = t.replace(/\s+/g, '');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact) && compact.length >= 12) {
    return Buffer.from(compact.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  }
  throw usageError(`'${t.slice(0, 32)}${t.length > 32 ? '…' : ''}' is not a file, hex or base64`, 'give a file path, a box in hex or base64, or - for stdin');
}

async function inspectInput(ctx: CliContext, input: string, keys: ContentKeyEntry[]): Promise<InspectResult> {
  if (input === '-') {
    const raw = await readStdin(ctx.io);
    const text = raw.toString('latin1');
    const bytes = /^[\s0-9A-Za-z+/=_-]+$/.test(text) && !looksLikePsshBox(raw) ? decodeInline(text) : raw;
    return inspectPsshBytes(bytes, keys);
  }
  if (await isFile(ctx.io, input)) {
    const path = resolvePath(ctx.io, input);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(path, 'r');
    } catch (err) {
      throw fromSystemError(err, input) ?? err;
    }
    try {
      const { size } = await handle.stat();
      const src = fileSource(handle, size);
      const head = Buffer.from(await src.read(0, 64));
      const small = size <= MAX_INLINE_INPUT;
      const proLength = head.length >= 6 ? head.readUInt32LE(0) : -1;
      if (small && (looksLikePsshBox(head) || proLength === size)) {
        const all = await src.read(0, size);
        if (looksLikePsshBox(all) || looksLikePlayReadyObject(all)) return await inspectPsshBytes(all, keys);
      }
      if (small && head.length > 0 && /^[\s0-9A-Za-z+/=_-]+$/.test(head.toString('latin1'))) {
        return await inspectPsshBytes(decodeInline(Buffer.from(await src.read(0, size)).toString('latin1')), keys);
      }
      return await inspectPsshSource(src, keys);
    } finally {
      await handle.close();
    }
  }
  const compact = input.trim().replace(/\s+/g, '');
  const inline = /^(?:[0-9a-fA-F]{2})+$/.test(compact) || (compact.length >= 12 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(compact) && !/\.[A-Za-z0-9]{1,5}$/.test(compact));
  if (!inline && (/[\\/]/.test(input) || /\.[A-Za-z0-9]{1,5}$/.test(input))) {
    throw new KeysmithError('ERR_NOT_FOUND', `${input.slice(0, 200)}: no such file`, { exit: 3, hint: 'check the path' });
  }
  return inspectPsshBytes(decodeInline(input), keys);
}

function humanBox(d: PsshDescription, i: number): string[] {
  const lines = [`PSSH box ${i + 1}${d.location ? ` (in ${d.location.path} at offset ${d.location.offset})` : ''}`];
  lines.push(`  System ID: ${d.system} (${d.systemId})`);
  lines.push(`  Version: ${d.version}${d.flags ? `, flags 0x${d.flags.toString(16)}` : ''}`);
  lines.push(`  Size: ${d.size} bytes (data ${d.dataSize})`);
  if (d.version === 1) {
    lines.push(`  Key IDs (${d.kids.length}):`);
    for (const k of d.kids) lines.push(`    ${k}`);
  }
  const data = d.data as Record<string, unknown> | undefined;
  if (d.drm === 'widevine' && data) {
    lines.push('  Widevine data:');
    for (const k of (data.keyIds as string[]) ?? []) lines.push(`    Key ID: ${k}`);
    for (const [label, key] of [
      ['Provider', 'provider'],
      ['Content ID', 'contentId'],
      ['Content ID (text)', 'contentIdText'],
      ['Policy', 'policy'],
      ['Crypto period index', 'cryptoPeriodIndex'],
      ['Protection scheme', 'protectionScheme'],
      ['Algorithm', 'algorithm'],
    ] as const) {
      if (data[key] !== undefined) lines.push(`    ${label}: ${String(data[key])}`);
    }
  } else if (d.drm === 'playready' && data) {
    const h = data.header as Record<string, unknown> | undefined;
    lines.push(`  PlayReady Object: ${(data.records as unknown[]).length} record(s)`);
    if (h) {
      lines.push(`    Header version: ${String(h.version)}`);
      for (const k of h.kids as { kid: string; algId?: string; checksum?: string }[]) {
        const check = d.checksums?.find((c) => c.kid === k.kid);
        const verdict = check === undefined ? '' : check.match === null ? ` [${check.reason}]` : check.match ? ' [checksum OK]' : ' [checksum MISMATCH]';
        lines.push(`    KID: ${k.kid}${k.algId ? ` ${k.algId}` : ''}${k.checksum ? ` checksum ${k.checksum}` : ''}${verdict}`);
      }
      if (h.laUrl !== undefined) lines.push(`    LA_URL: ${String(h.laUrl)}`);
      if (h.luiUrl !== undefined) lines.push(`    LUI_URL: ${String(h.luiUrl)}`);
      if (h.dsId !== undefined) lines.push(`    DS_ID: ${String(h.dsId)}`);
      lines.push(`    XML: ${String(h.xml)}`);
    }
  } else if (data && data.note) {
    lines.push(`  Note: ${String(data.note)}`);
  }
  if (d.dataError) lines.push(`  Data could not be decoded: ${d.dataError.message} (${d.dataError.code})`);
  if (d.dataBase64) lines.push(`  Data (base64): ${d.dataBase64}`);
  return lines;
}

export function register(program: Command, ctx: CliContext): void {
  const pssh = program
    .command('pssh')
    .description('build and inspect PSSH boxes and DRM headers (Widevine, PlayReady, W3C common/ClearKey)')
    .addHelpText(
      'after',
      `
Examples:
  keysmith pssh new --system widevine,playready --kid 0123456789abcdef0123456789abcdef
  keysmith pssh new --system playready --kid 8ba94ade-6eb9-449d-b44f-a5beefaf43b0 \\
      --key dbfd6922c321c4bb486f4a1c44097ed6 --la-url https://license.example.com/pr --playready-version 4.2
  keysmith pssh inspect init.mp4
  keysmith pssh inspect AAAARHBzc2gBAAAAEHfv7MCyTQKs4zweUuL7SwAAAAI... --json

System IDs: ${DRM_SYSTEMS.map((s) => `${s.name} ${s.systemId}`).join(', ')}.`,
    );

  pssh
    .command('new')
    .description('build pssh boxes for one or more DRM systems')
    .requiredOption('-s, --system <names>', `DRM systems, comma-separated: ${DRM_SYSTEMS.filter((s) => s.name !== 'fairplay').map((s) => s.name).join(', ')} (common = clearkey)`)
    .option('-k, --kid <kid>', 'key ID as 32 hex digits or a UUID (repeat or comma-separate)', collect)
    .option('--key <key>', 'content key (KEY with one KID, else KID:KEY) for PlayReady checksums; repeatable', collect)
    .option('--keys <file>', 'keys.json: KIDs (when no --kid) and keys for checksums')
    .option('--la-url <url>', 'license acquisition URL (PlayReady LA_URL)')
    .option('--lui-url <url>', 'PlayReady LUI_URL (non-silent license page)')
    .option('--ds-id <base64>', 'PlayReady DS_ID (domain service ID)')
    .option('--custom-attributes <xml>', 'PlayReady CUSTOMATTRIBUTES content (well-formed XML)')
    .addOption(new Option('--playready-version <v>', 'PlayReady header version (default 4.3 for cbcs, 4.2 for several KIDs, else 4.0)').choices([...PLAYREADY_VERSIONS]))
    .addOption(new Option('--protection-scheme <scheme>', 'protection scheme').choices(['cenc', 'cbcs', 'cens', 'cbc1']).default('cenc'))
    .option('--content-id <hex>', 'Widevine content_id (hex)')
    .option('--provider <name>', 'Widevine provider')
    .addOption(new Option('--pssh-version <v>', 'box version for Widevine/PlayReady (1 also lists the KIDs in the box)').choices(['0', '1']))
    .addOption(new Option('-f, --format <format>', 'output format').choices([...FORMATS]).default('box-base64'))
    .addHelpText(
      'after',
      `
Output: box-base64 (default; boxes concatenated, ready for a <cenc:pssh> or EME),
box-hex, data-base64 (the system data only, one line per system), json.

Examples:
  keysmith pssh new --system common --kid 30313233343536373839303132333435,4142434445464748494a4b4c4d4e4f50 -f box-hex
  keysmith pssh new --system widevine --kid 6b657969643100000000000000000000 --protection-scheme cbcs --provider widevine_test
  keysmith pssh new --system playready --keys keys.json --la-url https://pr.example.com/rightsmanager.asmx`,
    )
    .action(ctx.action<NewOptions>((out, opts) => runNew(out, opts, ctx)));

  pssh
    .command('inspect')
    .description('decode pssh boxes: one, several concatenated, a PlayReady Object, or those inside an MP4')
    .argument('<input>', 'a file (MP4 or raw boxes), a box in base64 or hex, or - for stdin')
    .option('--key <key>', 'content key (KEY or KID:KEY) to check PlayReady checksums against; repeatable', collect)
    .option('--keys <file>', 'keys.json to check PlayReady checksums against')
    .addHelpText(
      'after',
      `
Prints the system, box version, KIDs as UUIDs, decoded Widevine fields, the
PlayReady header (version, KIDs, LA_URL, XML) and, with --key, whether each
PlayReady checksum matches. Exit 1 when a checksum does not match or an MP4
holds no pssh box.

Examples:
  keysmith pssh inspect init.mp4
  keysmith pssh inspect --key 8ba94ade-6eb9-449d-b44f-a5beefaf43b0:dbfd6922c321c4bb486f4a1c44097ed6 box.b64
  curl -s https://example.com/init.mp4 | keysmith pssh inspect - --json`,
    )
    .action(
      ctx.action<{ key?: string[]; keys?: string }>(async (out, opts, args) => {
        const input = args[0]!;
        const fromFile = await readKeysOption(ctx.io, opts.keys);
        const keys = [...fromFile, ...parseKeyFlags(opts.key, [])];
        const result = await inspectInput(ctx, input, keys);
        if (result.boxes.length === 0) {
          throw new KeysmithError('ERR_PSSH_NOT_FOUND', `${input}: no pssh box found`, {
            hint: 'the file may be clear, or protected with FairPlay (signalled in the HLS playlist, not in a pssh box)',
          });
        }
        const mismatches = result.boxes.flatMap((b) => b.checksums ?? []).filter((c) => c.match === false);
        if (mismatches.length > 0 && out.json) {
          throw new KeysmithError('ERR_PSSH_CHECKSUM', `PlayReady checksum does not match the key for KID ${mismatches[0]!.kid}`, {
            hint: 'the key is not the one this header was made for',
            details: { ...result },
          });
        }
        out.result(result, () => result.boxes.flatMap((b, i) => humanBox(b, i)));
        if (mismatches.length > 0) {
          throw new KeysmithError('ERR_PSSH_CHECKSUM', `PlayReady checksum does not match the key for KID ${mismatches[0]!.kid}`, {
            hint: 'the key is not the one this header was made for',
          });
        }
      }),
    );
}
