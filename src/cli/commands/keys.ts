/**
 * `keysmith keys new|show|derive|export|import`: content keys and KIDs,
 * PlayReady key seeds and CPIX. Registers the `pssh` group too (one row in
 * groups.ts covers both).
 */
import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { KeysmithError, usageError } from '../../errors.js';
import { systemRandom } from '../../crypto/random.js';
import { toBase64, toBase64Url, toHex } from '../../crypto/bytes.js';
import type { KeyId } from '../../crypto/values.js';
import { formatKeyFile, generateContentKey, parseKeyFileJson, readKeyFile, type ContentKeyEntry } from '../../keys/content-keys.js';
import { derivePlayReadyContentKey, parseKeySeed } from '../../keys/key-seed.js';
import { buildCpix, cpixKeyEntries, describeCpix, parseCpix } from '../../keys/cpix.js';
import { loadCertificate, loadPrivateKey } from '../../keys/x509.js';
import { playReadyChecksum } from '../../drm/playready.js';
import { parseDrmList, type ProtectionScheme } from '../../drm/index.js';
import { writeFileAtomic } from '../../fsx/atomic.js';
import { collect, parseKids, readInput, resolvePath } from './keys-io.js';
import { register as registerPssh } from './pssh.js';

const KID_FORMATS = ['uuid', 'hex', 'base64', 'base64url', 'playready-guid'] as const;
type KidFormat = (typeof KID_FORMATS)[number];

function formatKid(kid: KeyId, f: KidFormat): string {
  switch (f) {
    case 'uuid':
      return kid.uuid;
    case 'hex':
      return kid.hex;
    case 'base64':
      return kid.base64;
    case 'base64url':
      return kid.base64url;
    case 'playready-guid':
      return kid.guidBytes.toString('base64');
  }
}

function formatKey(bytes: Buffer, f: KidFormat): string {
  switch (f) {
    case 'uuid':
    case 'hex':
      return toHex(bytes);
    case 'base64':
    case 'playready-guid':
      return toBase64(bytes);
    case 'base64url':
      return toBase64Url(bytes);
  }
}

/** Write keys.json (0600, atomic) or, for '-', print it. */
async function emitKeyFile(out: Output, ctx: CliContext, path: string, entries: ContentKeyEntry[], force: boolean, inputs: string[] = []): Promise<void> {
  if (path === '-') {
    out.stdoutIsPayload = true;
    ctx.io.stdout.write(formatKeyFile(entries));
    return;
  }
  const target = resolvePath(ctx.io, path);
  await writeFileAtomic(target, formatKeyFile(entries), { mode: 0o600, overwrite: force, inputs: inputs.map((i) => resolvePath(ctx.io, i)) });
}

function kidsSummary(entries: ContentKeyEntry[]): { kid: string; label?: string }[] {
  return entries.map((e) => ({ kid: e.kid.uuid, ...(e.label === undefined ? {} : { label: e.label }) }));
}

export function register(program: Command, ctx: CliContext): void {
  const keys = program
    .command('keys')
    .description('content keys and key IDs, PlayReady key seeds, CPIX export and import')
    .addHelpText(
      'after',
      `
A KID is accepted as 32 hex digits or a UUID everywhere. keys.json is written
0600 and holds {"version":1,"keys":[{"kid":"<uuid>","key":"<hex>","label":"HD"}]}.

Examples:
  keysmith keys new --count 2 --label HD -o keys.json
  keysmith keys show keys.json --format base64 --reveal
  keysmith keys derive --seed XVBovsmzhP9gRIZxWfFta3VVRPzVEWmJsazEJ46I --kid 339c45b5-fb6d-4bd9-994c-eabd9d41c95b
  keysmith keys export keys.json --cpix --recipient packager.pem -o keys.cpix.xml
  keysmith keys import keys.cpix.xml --private-key packager.key -o keys.json`,
    );

  keys
    .command('new')
    .description('make random 128-bit content keys (and KIDs) into a keys.json')
    .option('-n, --count <n>', 'how many keys (default: 1, or one per --kid)')
    .option('-k, --kid <kid>', 'use this KID (hex or UUID) instead of a random one; repeatable', collect)
    .option('-l, --label <label>', 'label stored with each key (e.g. HD, SD, AUDIO)')
    .requiredOption('-o, --output <file>', "keys.json to write (0600), or '-' for stdout")
    .option('-f, --force', 'overwrite an existing output')
    .addHelpText('after', '\nExamples:\n  keysmith keys new -o keys.json\n  keysmith keys new --count 3 --label SD -o sd.json\n  keysmith keys new --kid 0123456789abcdef0123456789abcdef -o - | jq .')
    .action(
      ctx.action<{ count?: string; kid?: string[]; label?: string; output: string; force?: boolean }>(async (out, opts) => {
        const kids = parseKids(opts.kid);
        let count = kids.length || 1;
        if (opts.count !== undefined) {
          if (!/^\d{1,5}$/.test(opts.count) || Number(opts.count) < 1 || Number(opts.count) > 10_000) throw usageError('--count must be a whole number from 1 to 10000');
          count = Number(opts.count);
          if (kids.length > count) throw usageError(`${kids.length} --kid values but --count ${count}`, 'give at most --count KIDs');
        }
        if (opts.label !== undefined && opts.label.length > 256) throw usageError('--label is longer than 256 characters');
        const entries = Array.from({ length: count }, (_, i) => generateContentKey(systemRandom, kids[i], opts.label));
        await emitKeyFile(out, ctx, opts.output, entries, Boolean(opts.force));
        if (opts.output !== '-') {
          out.result({ output: opts.output, keys: kidsSummary(entries) }, () => [
            ...entries.map((e) => `${e.kid.uuid}${e.label ? `  ${e.label}` : ''}`),
            ...(out.options.quiet ? [] : [`wrote ${entries.length} key${entries.length === 1 ? '' : 's'} to ${opts.output} (mode 0600)`]),
          ]);
        }
      }),
    );

  keys
    .command('show')
    .description('list the KIDs (and, with --reveal, the keys) of a keys.json')
    .argument('<file>', "keys.json, or '-' for stdin")
    .addOption(new Option('--format <format>', 'notation for KIDs and keys').choices([...KID_FORMATS]).default('uuid'))
    .option('--reveal', 'print the content keys themselves (secret!)')
    .addHelpText(
      'after',
      `
Without --reveal, each key is shown by its PlayReady checksum (first 8 bytes
of AES-ECB(key, KID), public in every PlayReady header) so you can tell keys
apart without exposing them. --format playready-guid prints the KID as
PlayReady writes it (base64 of the little-endian GUID).

Examples:
  keysmith keys show keys.json
  keysmith keys show keys.json --format hex --reveal
  keysmith keys show keys.json --json --reveal | jq -r '.keys[0].key'`,
    )
    .action(
      ctx.action<{ format: KidFormat; reveal?: boolean }>(async (out, opts, args) => {
        const path = args[0]!;
        const entries = path === '-' ? parseKeyFileJson((await readInput(ctx.io, '-', 4 * 1024 * 1024)).toString('utf8'), 'stdin') : await readKeyFile(resolvePath(ctx.io, path));
        const rows = entries.map((e) => ({
          kid: formatKid(e.kid, opts.format),
          ...(opts.reveal ? { key: formatKey(e.key.bytes, opts.format) } : { checksum: playReadyChecksum(e.kid, e.key).toString('base64') }),
          ...(e.label === undefined ? {} : { label: e.label }),
        }));
        out.result({ format: opts.format, revealed: Boolean(opts.reveal), keys: rows }, () =>
          rows.map((r) => [r.kid, 'key' in r ? r.key : `checksum ${r.checksum}`, r.label ?? ''].filter(Boolean).join('  ')),
        );
      }),
    );

  keys
    .command('derive')
    .description("derive content keys from a PlayReady key seed and KIDs (Microsoft's key seed algorithm)")
    .option('--seed <base64>', 'the key seed (base64, at least 30 bytes); prefer --seed-file, argv is visible to other users')
    .option('--seed-file <file>', "file holding the key seed (base64), or '-' for stdin")
    .requiredOption('-k, --kid <kid>', 'KID (hex or UUID); repeatable', collect)
    .option('-l, --label <label>', 'label for keys written with -o')
    .option('-o, --output <file>', 'write keys.json (0600) instead of printing the keys')
    .option('-f, --force', 'overwrite an existing output')
    .addOption(new Option('--format <format>', 'notation of printed keys').choices(['hex', 'base64', 'base64url']).default('hex'))
    .addHelpText(
      'after',
      `
Algorithm: learn.microsoft.com/playready/specifications/playready-key-seed
(SHA-256 over the 30-byte seed and the little-endian KID, XOR-folded).

Examples:
  keysmith keys derive --seed-file seed.b64 --kid 339c45b5-fb6d-4bd9-994c-eabd9d41c95b
  keysmith keys derive --seed XVBovsmzhP9gRIZxWfFta3VVRPzVEWmJsazEJ46I --kid 8ba94ade6eb9449db44fa5beefaf43b0 -o keys.json`,
    )
    .action(
      ctx.action<{ seed?: string; seedFile?: string; kid: string[]; label?: string; output?: string; force?: boolean; format: 'hex' | 'base64' | 'base64url' }>(async (out, opts) => {
        if ((opts.seed === undefined) === (opts.seedFile === undefined)) throw usageError('give exactly one of --seed and --seed-file');
        const seedText = opts.seed ?? (await readInput(ctx.io, opts.seedFile!, 4096)).toString('utf8');
        const seed = parseKeySeed(seedText);
        const kids = parseKids(opts.kid);
        const entries: ContentKeyEntry[] = kids.map((kid) => ({ kid, key: derivePlayReadyContentKey(seed, kid), ...(opts.label === undefined ? {} : { label: opts.label }) }));
        seed.fill(0);
        if (opts.output !== undefined) {
          await emitKeyFile(out, ctx, opts.output, entries, Boolean(opts.force));
          if (opts.output !== '-') out.result({ output: opts.output, keys: kidsSummary(entries) }, () => `wrote ${entries.length} derived key${entries.length === 1 ? '' : 's'} to ${opts.output} (mode 0600)`);
          return;
        }
        // The derived key is this command's product: printed on stdout as asked.
        const rows = entries.map((e) => ({ kid: e.kid.uuid, key: formatKey(e.key.bytes, opts.format) }));
        out.result({ keys: rows }, () => rows.map((r) => `${r.kid}  ${r.key}`));
      }),
    );

  keys
    .command('export')
    .description('write keys.json as a CPIX 2.3 document (keys encrypted to recipients, or in the clear)')
    .argument('<file>', 'keys.json')
    .option('--cpix', 'CPIX 2.3 output (the only format, and the default)')
    .option('-r, --recipient <cert...>', 'encrypt keys to these certificates (PEM or DER); several may follow, or repeat the flag')
    .option('--drm <systems>', 'add a DRMSystemList for these systems (widevine,playready,clearkey,fairplay)')
    .addOption(new Option('--protection-scheme <scheme>', 'common encryption scheme for the keys and DRM signalling').choices(['cenc', 'cbcs', 'cens', 'cbc1']))
    .option('--la-url <url>', 'license URL for PlayReady/ClearKey signalling')
    .option('--key-uri <uri>', 'HLS key URI (e.g. skd://… for FairPlay)')
    .option('--content-id <id>', 'CPIX contentId')
    .requiredOption('-o, --output <file>', "CPIX file to write, or '-' for stdout")
    .option('-f, --force', 'overwrite an existing output')
    .addHelpText(
      'after',
      `
With --recipient, a random document key encrypts every content key
(AES-256-CBC, HMAC-SHA512) and is wrapped with RSA-OAEP to each certificate;
only holders of a recipient's private key can read the keys. Without it the
keys are written in the clear (a warning says so). Certificates signed with
SHA-1 or holding RSA keys under 3072 bits are refused.

Examples:
  keysmith keys export keys.json --cpix --recipient packager.pem -o keys.cpix.xml
  keysmith keys export keys.json --cpix --drm widevine,playready --protection-scheme cbcs -o - | less`,
    )
    .action(
      ctx.action<{
        cpix?: boolean;
        recipient?: string[];
        drm?: string;
        protectionScheme?: ProtectionScheme;
        laUrl?: string;
        keyUri?: string;
        contentId?: string;
        output: string;
        force?: boolean;
      }>(async (out, opts, args) => {
        const input = args[0]!;
        const entries = await readKeyFile(resolvePath(ctx.io, input));
        const recipients = [];
        for (const path of opts.recipient ?? []) {
          recipients.push(loadCertificate(await readInput(ctx.io, path, 1024 * 1024), path));
        }
        const scheme = opts.protectionScheme ?? 'cenc';
        const xml = buildCpix({
          keys: entries,
          recipients,
          ...(opts.protectionScheme === undefined ? {} : { scheme: opts.protectionScheme }),
          ...(opts.drm === undefined
            ? {}
            : {
                drm: {
                  systems: parseDrmList(opts.drm),
                  scheme,
                  context: { ...(opts.laUrl === undefined ? {} : { laUrl: opts.laUrl }), ...(opts.keyUri === undefined ? {} : { keyUri: opts.keyUri }) },
                },
              }),
          ...(opts.contentId === undefined ? {} : { contentId: opts.contentId }),
        });
        if (recipients.length === 0) out.warn('no --recipient: the content keys are written in the clear', 'add --recipient cert.pem to encrypt them');
        if (opts.output === '-') {
          out.stdoutIsPayload = true;
          ctx.io.stdout.write(xml);
        } else {
          await writeFileAtomic(resolvePath(ctx.io, opts.output), xml, {
            mode: recipients.length === 0 ? 0o600 : 0o644,
            overwrite: Boolean(opts.force),
            inputs: [resolvePath(ctx.io, input)],
          });
        }
        out.result({ output: opts.output, keys: entries.length, encrypted: recipients.length > 0, recipients: recipients.map((c) => c.subject.replace(/\n/g, ', ')) }, () =>
          opts.output === '-' ? undefined : `wrote ${entries.length} key${entries.length === 1 ? '' : 's'} to ${opts.output}${recipients.length > 0 ? ` encrypted for ${recipients.length} recipient${recipients.length === 1 ? '' : 's'}` : ' in the clear'}`,
        );
      }),
    );

  keys
    .command('import')
    .description('read the content keys of a CPIX document into a keys.json')
    .argument('<file>', "CPIX document, or '-' for stdin")
    .option('--private-key <pem>', "recipient's private key (PEM) to decrypt encrypted keys")
    .option('-o, --output <file>', "keys.json to write (0600), or '-' for stdout; without it, only a summary is printed")
    .option('-f, --force', 'overwrite an existing output')
    .addHelpText(
      'after',
      `
XML signatures in the document are verified (Canonical XML 1.0, RSA-SHA2);
a broken signature or a wrong MAC refuses the whole document. A valid
signature shows the signer's certificate subject and SHA-256 fingerprint:
deciding whether you trust that signer is up to you. Usage-rule labels become
keys.json labels; periods and usage rules are listed in --json.

Examples:
  keysmith keys import keys.cpix.xml --private-key packager.key -o keys.json
  keysmith keys import keys.cpix.xml --json          # what is inside, no keys`,
    )
    .action(
      ctx.action<{ privateKey?: string; output?: string; force?: boolean }>(async (out, opts, args) => {
        const input = args[0]!;
        const privateKey = opts.privateKey === undefined ? undefined : loadPrivateKey(await readInput(ctx.io, opts.privateKey, 1024 * 1024), opts.privateKey);
        const doc = parseCpix(await readInput(ctx.io, input, 16 * 1024 * 1024), privateKey ? { privateKey } : {});
        const entries = cpixKeyEntries(doc);
        const locked = doc.keys.filter((k) => k.encrypted && !k.key).length;
        if (opts.output !== undefined) {
          if (locked > 0) {
            throw new KeysmithError('ERR_CPIX_ENCRYPTED', `${locked} content key${locked === 1 ? ' is' : 's are'} encrypted`, { hint: 'give --private-key of a recipient to decrypt them' });
          }
          if (entries.length === 0) throw new KeysmithError('ERR_CPIX_NO_KEYS', 'the document holds no content key values', { hint: 'it may be a key request (KIDs only)' });
          await emitKeyFile(out, ctx, opts.output, entries, Boolean(opts.force), input === '-' ? [] : [input]);
        }
        const summary = { ...(opts.output === undefined ? {} : { output: opts.output }), ...describeCpix(doc) };
        out.result(summary, () => {
          if (opts.output === '-') return undefined;
          const lines = doc.keys.map((k) => `${k.kid.uuid}  ${k.key ? (k.encrypted ? 'decrypted' : 'clear') : k.encrypted ? 'encrypted (no private key given)' : 'no value'}`);
          lines.push(`${doc.keys.length} content key${doc.keys.length === 1 ? '' : 's'}, ${doc.recipients.length} recipient${doc.recipients.length === 1 ? '' : 's'}, ${doc.drmSystems.length} DRM signalling entr${doc.drmSystems.length === 1 ? 'y' : 'ies'}, ${doc.periods.length} period${doc.periods.length === 1 ? '' : 's'}, ${doc.usageRules.length} usage rule${doc.usageRules.length === 1 ? '' : 's'}`);
          if (doc.signatures.length === 0) lines.push('signatures: none in the document');
          for (const s of doc.signatures) lines.push(`signature over ${s.covers.join(', ')}: valid, signer ${s.signer} (SHA-256 ${s.signerSha256})`);
          if (opts.output !== undefined) lines.push(`wrote ${entries.length} key${entries.length === 1 ? '' : 's'} to ${opts.output} (mode 0600)`);
          return lines;
        });
      }),
    );

  registerPssh(program, ctx);
}
