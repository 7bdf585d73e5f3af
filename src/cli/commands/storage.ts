/**
 * `keysmith storage keygen|encrypt|decrypt|inspect|rewrap`: files at rest
 * (issue 2). Thin over src/storage: this file parses flags, picks files or
 * stdin/stdout, and renders results; the library does the work.
 */
import { availableParallelism } from 'node:os';
import { createWriteStream, promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { formatBytes, startProgress, type Progress } from '../progress.js';
import { KeysmithError, usageError, fromSystemError, EXIT_FAILED } from '../../errors.js';
import { readFileChecked, writeFileAtomic } from '../../fsx/atomic.js';
import {
  DEFAULT_CHUNK_SIZE,
  MAX_CHUNK_SIZE,
  MIN_CHUNK_SIZE,
  SCRYPT_DEFAULT,
  SCRYPT_LIMITS,
  WRAP_TYPES,
  decryptFile,
  decryptFileRange,
  decryptStream,
  describeHeader,
  encryptFile,
  encryptStream,
  fileSink,
  fileSource,
  formatKeyFile,
  generateStorageKey,
  keyIdHex,
  keyIdOf,
  layoutOf,
  openEncryptedFile,
  parseHeader,
  parseKeyFile,
  parseRange,
  planTree,
  readHeader,
  rewrapFile,
  runBatch,
  storageError,
  streamSink,
  streamSource,
  withAtomicOutput,
  wrapKeyFor,
  type BatchMode,
  type ByteSource,
  type Credential,
  type Outcome,
  type StorageInfo,
  formatIdentity,
  formatRecipient,
  generateIdentity,
  parseIdentityFile,
  parseRecipient,
  publicKeyOf,
  recipientKeyId,
} from '../../storage/index.js';
import type { SecretKey } from '../../crypto/index.js';
import { toKeysmithError } from '../output.js';

interface KeyOptions {
  key?: string;
  passphraseFile?: string;
  scryptLogN?: string;
  recipient?: string;
  identity?: string;
}

interface CryptOptions extends KeyOptions {
  output?: string;
  force?: boolean;
  recursive?: boolean;
  jobs?: string;
  chunkSize?: string;
  range?: string;
}

const KEY_HINT = "pass -k KEYFILE (create one with 'keysmith storage keygen -o master.key'), --passphrase-file FILE, or --recipient/-i for X25519";

function parseSize(text: string, name: string): number {
  const m = /^(\d+)\s*([kKmM]i?[bB]?)?$/.exec(text.trim());
  if (!m) throw usageError(`${name}: expected a size like 65536, 64K or 1M, got '${text}'`);
  const unit = (m[2] ?? '').toLowerCase()[0];
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 * 1024 : 1);
}

function parseIntOption(text: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw usageError(`${name}: expected an integer in ${min}..${max}, got '${text}'`);
  return Number(text);
}

/** Secrets should be 0600: warn (as ssh does) when group or others can read them. */
async function warnIfShared(out: Output, path: string, what: string): Promise<void> {
  try {
    const st = await fs.stat(path);
    if ((st.mode & 0o077) !== 0) out.warn(`${what} ${path} is readable by other users (mode ${(st.mode & 0o777).toString(8)})`, `chmod 600 ${path}`);
  } catch {
    // stat after a successful read: nothing useful to add.
  }
}

async function loadKeyFile(out: Output, path: string): Promise<Credential> {
  const key = parseKeyFile(await readFileChecked(path, 4096), path);
  await warnIfShared(out, path, 'key file');
  return { type: 'key', key, name: basename(path) };
}

async function loadPassphrase(path: string, logN?: number): Promise<Credential> {
  const text = (await readFileChecked(path, 64 * 1024)).toString('utf8');
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line.length === 0) {
    throw storageError('ERR_STORAGE_PASSPHRASE', `${path}: the passphrase is empty`, 'put the passphrase on the first line of the file');
  }
  return { type: 'passphrase', passphrase: Buffer.from(line, 'utf8'), ...(logN === undefined ? {} : { logN }) };
}

async function loadIdentities(out: Output, path: string): Promise<SecretKey[]> {
  const secrets = parseIdentityFile(await readFileChecked(path, 64 * 1024), path);
  await warnIfShared(out, path, 'identity file');
  return secrets;
}

/** An age1… recipient, or a file holding one (comments allowed). */
async function loadRecipient(value: string): Promise<Buffer> {
  if (value.startsWith('age1')) return parseRecipient(value);
  const text = (await readFileChecked(value, 64 * 1024)).toString('latin1');
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  return parseRecipient(line ?? '');
}

/**
 * Exactly one of -k, --passphrase-file, --recipient, -i. `encrypting`:
 * an identity given to encrypt stands for its recipient (as with age).
 */
async function credentialFrom(out: Output, opts: KeyOptions, flags = { key: '-k', pass: '--passphrase-file' }, encrypting = false): Promise<Credential> {
  const given = [opts.key, opts.passphraseFile, opts.recipient, opts.identity].filter((x) => x !== undefined).length;
  if (given > 1) throw usageError(`use one of ${flags.key}, ${flags.pass}, --recipient or -i`, 'pick one');
  if (opts.recipient !== undefined) {
    if (!encrypting) throw usageError('--recipient encrypts; to decrypt, use -i IDENTITY');
    return { type: 'recipient', publicKey: await loadRecipient(opts.recipient) };
  }
  if (opts.identity !== undefined) {
    const secrets = await loadIdentities(out, opts.identity);
    return encrypting ? { type: 'recipient', publicKey: publicKeyOf(secrets[0]!) } : { type: 'identity', secrets, name: basename(opts.identity) };
  }
  if (opts.key !== undefined) return loadKeyFile(out, opts.key);
  if (opts.passphraseFile !== undefined) {
    const logN = opts.scryptLogN === undefined ? undefined : parseIntOption(opts.scryptLogN, '--scrypt-log-n', SCRYPT_LIMITS.minLogN, SCRYPT_LIMITS.maxLogN, SCRYPT_DEFAULT.logN);
    return loadPassphrase(opts.passphraseFile, logN);
  }
  throw usageError('no key given', KEY_HINT);
}

function isStdio(path: string | undefined): boolean {
  return path === undefined || path === '-';
}

function byteProgress(progress: Progress, verb: string, total: number | undefined): (n: number) => void {
  return (n) => progress.update(`${verb} ${formatBytes(n)}${total ? ` of ${formatBytes(total)} (${Math.floor((n / Math.max(total, 1)) * 100)}%)` : ''}`);
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await fs.stat(path)).size;
  } catch {
    return undefined;
  }
}

/** A character device or FIFO (e.g. /dev/null): written directly, not atomically. */
async function isSpecialFile(path: string): Promise<boolean> {
  try {
    const st = await fs.stat(path);
    return st.isCharacterDevice() || st.isFIFO();
  } catch {
    return false;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await fs.stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** encrypt/decrypt of one file or pipe. */
async function runOne(ctx: CliContext, out: Output, mode: BatchMode, opts: CryptOptions, input: string | undefined): Promise<void> {
  const { io } = ctx;
  const credential = await credentialFrom(out, opts, undefined, mode === 'encrypt');
  const special = !isStdio(opts.output) && (await isSpecialFile(opts.output!));
  const toStdout = isStdio(opts.output) || special;
  const fromStdin = isStdio(input);
  if (fromStdin && io.stdin.isTTY) throw usageError('no input: give a file, or pipe data to stdin', `e.g. keysmith storage ${mode} -k master.key -o OUT FILE`);
  if (!fromStdin && (await isDirectory(input!))) throw usageError(`${input} is a directory`, 'use -r to process a directory tree');
  if (mode === 'encrypt' && isStdio(opts.output) && io.stdout.isTTY) {
    throw usageError('refusing to write ciphertext to a terminal', 'use -o FILE, or redirect stdout to a file or pipe');
  }
  const chunkSize = opts.chunkSize === undefined ? DEFAULT_CHUNK_SIZE : parseSize(opts.chunkSize, '--chunk-size');
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) throw usageError(`--chunk-size: expected ${formatBytes(MIN_CHUNK_SIZE)} to ${formatBytes(MAX_CHUNK_SIZE)}, got ${chunkSize}`);
  if (isStdio(opts.output)) out.stdoutIsPayload = true;
  // -o /dev/null or a FIFO: nothing to make atomic, write straight to it.
  const payloadOut = special ? createWriteStream(opts.output!, { flags: 'a' }) : io.stdout;

  const verb = mode === 'encrypt' ? 'encrypting' : 'decrypting';
  const progress = await startProgress(out, `${verb}…`);
  const onProgress = byteProgress(progress, verb, fromStdin ? undefined : await sizeOf(input!));
  const overwrite = Boolean(opts.force);
  try {
    let summary: Record<string, unknown>;
    if (opts.range !== undefined) {
      if (mode !== 'decrypt') throw usageError('--range is for decrypt');
      if (fromStdin) throw usageError('--range needs an encrypted file, not stdin', 'random access reads chunks by position');
      const file = await openEncryptedFile(input!);
      try {
        const range = parseRange(opts.range, file.layout.plaintextSize);
        const run = (sink: Parameters<typeof decryptFileRange>[2]) => decryptFileRange(file, range, sink, { credential });
        const n = toStdout ? await run(streamSink(payloadOut)) : await withAtomicOutput(opts.output!, { inputs: [input!], overwrite }, (f) => run(fileSink(f.handle)));
        summary = { operation: 'decrypt', input: input!, output: opts.output ?? '-', range: { start: range.start, end: range.end }, plaintextBytes: n, keyId: keyIdHex(file.header.wrap.keyId) };
      } finally {
        await file.close();
      }
    } else if (mode === 'encrypt') {
      const wrap = await wrapKeyFor(credential);
      const options = { wrap, chunkSize, onProgress };
      const r = fromStdin
        ? toStdout
          ? await encryptStream(streamSource(io.stdin), streamSink(payloadOut), options)
          : await withAtomicOutput(opts.output!, { inputs: [], overwrite }, (f) => encryptStream(streamSource(io.stdin), fileSink(f.handle), options))
        : toStdout
          ? await withFileSource(input!, (src) => encryptStream(src, streamSink(payloadOut), options))
          : await encryptFile(input!, opts.output!, { ...options, overwrite });
      summary = { operation: 'encrypt', input: input ?? '-', output: opts.output ?? '-', ...r };
    } else {
      const options = { credential, onProgress };
      const r = fromStdin
        ? toStdout
          ? await decryptStream(streamSource(io.stdin), streamSink(payloadOut), options)
          : await withAtomicOutput(opts.output!, { inputs: [], overwrite }, (f) => decryptStream(streamSource(io.stdin), fileSink(f.handle), options))
        : toStdout
          ? await withFileSource(input!, (src) => decryptStream(src, streamSink(payloadOut), options))
          : await decryptFile(input!, opts.output!, { ...options, overwrite });
      summary = { operation: 'decrypt', input: input ?? '-', output: opts.output ?? '-', ...r };
    }
    if (special) await new Promise<void>((resolve, reject) => payloadOut.end((err?: Error | null) => (err ? reject(err) : resolve())));
    progress.stop();
    out.result(summary, () =>
      isStdio(opts.output) ? undefined : `${mode === 'encrypt' ? 'encrypted' : 'decrypted'} ${summary.input === '-' ? 'stdin' : String(summary.input)} → ${String(summary.output)} (${formatBytes(Number(summary.plaintextBytes))}, key id ${String(summary.keyId)})`,
    );
  } catch (err) {
    progress.stop();
    throw err;
  }
}

/** Run `fn` on a file source for `path`, closing the file afterwards. */
async function withFileSource<T>(path: string, fn: (source: ByteSource) => Promise<T>): Promise<T> {
  let handle;
  try {
    handle = await fs.open(path, 'r');
  } catch (err) {
    throw fromSystemError(err, path) ?? err;
  }
  try {
    return await fn(fileSource(handle));
  } finally {
    await handle.close().catch(() => undefined);
  }
}

interface BatchFailure {
  path: string;
  code: string;
  message: string;
}

/** encrypt/decrypt -r: a tree, in parallel, one report. */
async function runTree(out: Output, mode: BatchMode, opts: CryptOptions, input: string | undefined): Promise<void> {
  if (isStdio(input)) throw usageError('-r needs an input directory');
  if (isStdio(opts.output)) throw usageError('-r needs -o DIR', `e.g. keysmith storage ${mode} -r -k master.key -o vault/ masters/`);
  if (opts.range !== undefined) throw usageError('--range cannot be used with -r');
  if (!(await isDirectory(input!))) throw usageError(`${input} is not a directory`, 'drop -r to process one file');
  const credential = await credentialFrom(out, opts, undefined, mode === 'encrypt');
  const jobs = parseIntOption(opts.jobs, '--jobs', 1, 64, Math.min(4, availableParallelism()));
  const chunkSize = opts.chunkSize === undefined ? DEFAULT_CHUNK_SIZE : parseSize(opts.chunkSize, '--chunk-size');
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) throw usageError(`--chunk-size: expected ${formatBytes(MIN_CHUNK_SIZE)} to ${formatBytes(MAX_CHUNK_SIZE)}, got ${chunkSize}`);
  const plan = await planTree(input!, opts.output!, mode);
  const overwrite = Boolean(opts.force);
  // One scrypt derivation for the whole batch (every file still gets its own data key).
  const wrap = mode === 'encrypt' ? await wrapKeyFor(credential) : undefined;
  const progress = await startProgress(out, `${mode === 'encrypt' ? 'encrypting' : 'decrypting'} ${plan.items.length} files…`);
  let bytes = 0;
  const outcomes = await runBatch(
    plan.items,
    jobs,
    async (item) =>
      mode === 'encrypt'
        ? encryptFile(item.input, item.output, { wrap: wrap!, chunkSize, overwrite })
        : decryptFile(item.input, item.output, { credential, overwrite }),
    (o: Outcome<{ plaintextBytes: number }>, finished) => {
      if (o.ok) bytes += o.result.plaintextBytes;
      progress.update(`${finished}/${plan.items.length} files, ${formatBytes(bytes)}`);
    },
  );
  progress.stop();
  const failed: BatchFailure[] = outcomes
    .filter((o): o is Extract<typeof o, { ok: false }> => !o.ok)
    .map((o) => {
      const e = toKeysmithError(o.error);
      return { path: o.item.relative, code: e.code, message: e.message };
    });
  const summary = {
    operation: mode,
    input: input!,
    output: opts.output!,
    files: plan.items.length,
    succeeded: plan.items.length - failed.length,
    failed,
    skipped: plan.skipped,
    plaintextBytes: bytes,
  };
  if (failed.length > 0) out.exitStatus = EXIT_FAILED;
  out.result(summary, () => [
    `${mode === 'encrypt' ? 'encrypted' : 'decrypted'} ${summary.succeeded} of ${summary.files} files (${formatBytes(bytes)}) into ${opts.output}`,
    ...plan.skipped.map((s) => `skipped ${s.path}: ${s.reason}`),
  ]);
  for (const f of failed) out.io.stderr.write(`${out.color.red('keysmith: error:')} ${f.path}: ${f.message}\n`);
  if (failed.length > 0 && !out.json) out.io.stderr.write(`keysmith: ${failed.length} of ${summary.files} files failed; the others were written\n`);
}

function renderInfo(info: StorageInfo & { path: string; problem?: string }): string[] {
  return [
    `file        ${info.path}`,
    `format      ${info.format} v${info.version}`,
    `cipher      ${info.cipher}, ${info.chunkSize}-byte chunks`,
    `key id      ${info.keyId}`,
    `wrapping    ${WRAP_TYPES[info.wrapping as keyof typeof WRAP_TYPES]?.describe ?? info.wrapping}${info.scrypt ? ` (log2 N=${info.scrypt.logN}, r=${info.scrypt.r}, p=${info.scrypt.p})` : ''}`,
    `header      ${info.headerBytes} bytes`,
    ...(info.encryptedBytes !== undefined ? [`encrypted   ${info.encryptedBytes} bytes`] : []),
    ...(info.plaintextBytes !== undefined ? [`plaintext   ${info.plaintextBytes} bytes in ${info.chunks} chunk${info.chunks === 1 ? '' : 's'}`] : []),
    ...(info.problem ? [`problem     ${info.problem}`] : []),
  ];
}

async function inspect(ctx: CliContext, out: Output, input: string | undefined): Promise<void> {
  let info: StorageInfo & { path: string; problem?: string };
  if (isStdio(input)) {
    if (ctx.io.stdin.isTTY) throw usageError('no input: give a file, or pipe one to stdin');
    info = { path: '-', ...describeHeader(await readHeader(streamSource(ctx.io.stdin))) };
  } else {
    const bytes = await readHead(input!);
    const header = parseHeader(bytes.head);
    try {
      info = { path: input!, ...describeHeader(header, layoutOf(header, bytes.size)) };
    } catch (err) {
      info = { path: input!, ...describeHeader(header), problem: toKeysmithError(err).message };
    }
  }
  out.result(info, () => renderInfo(info));
  if (info.problem) out.exitStatus = EXIT_FAILED;
}

async function readHead(path: string): Promise<{ head: Buffer; size: number }> {
  try {
    const h = await fs.open(path, 'r');
    try {
      const st = await h.stat();
      if (st.isDirectory()) throw fromSystemError(Object.assign(new Error('EISDIR'), { code: 'EISDIR' }), path);
      const head = Buffer.alloc(Math.min(512, st.size));
      await h.read(head, 0, head.length, 0);
      return { head, size: st.size };
    } finally {
      await h.close();
    }
  } catch (err) {
    throw fromSystemError(err, path) ?? err;
  }
}

async function keygenX25519(ctx: CliContext, out: Output, opts: { output?: string; force?: boolean }): Promise<void> {
  const secret = generateIdentity();
  const recipient = formatRecipient(publicKeyOf(secret));
  const keyId = keyIdHex(recipientKeyId(publicKeyOf(secret)));
  const text = `# keysmith storage X25519 identity (age format). Keep it secret.\n# created: ${new Date().toISOString()}\n# public key: ${recipient}\n${formatIdentity(secret)}\n`;
  secret.wipe();
  if (isStdio(opts.output)) {
    out.stdoutIsPayload = true;
    ctx.io.stdout.write(text);
    out.result({ recipient, keyId, output: '-' }, () => `public key: ${recipient}`);
  } else {
    await writeFileAtomic(opts.output!, text, { mode: 0o600, overwrite: Boolean(opts.force) });
    out.result({ recipient, keyId, output: opts.output }, () => [`wrote ${opts.output} (key id ${keyId}); keep it secret`, `public key: ${recipient}`]);
  }
}

function keyOptions(cmd: Command, recipients = false): Command {
  cmd
    .option('-k, --key <file>', 'storage key file (from keygen)')
    .option('--passphrase-file <file>', 'derive the key from the first line of FILE with scrypt');
  if (recipients) cmd.option('--recipient <age1…|file>', 'encrypt to an X25519 public key (age1…, from keygen --x25519 or age-keygen)');
  return cmd.option('-i, --identity <file>', 'X25519 identity file (AGE-SECRET-KEY-1…); with encrypt, encrypts to its public key');
}

function cryptCommand(ctx: CliContext, mode: BatchMode): Command {
  const enc = mode === 'encrypt';
  const cmd = new Command(mode)
    .description(enc ? 'encrypt a file, a pipe or a directory tree (AES-256-GCM, authenticated chunks)' : 'verify and decrypt a file, a pipe or a directory tree')
    .argument('[input]', `file to ${mode} ('-' or none: stdin)`);
  keyOptions(cmd, enc)
    .option('-o, --output <path>', "output file ('-' or none: stdout); with -r, the output directory")
    .option('-f, --force', 'replace an existing output')
    .option('-r, --recursive', `${mode} a directory tree into -o DIR (mirrors it, ${enc ? 'adds' : 'strips'} .ks)`)
    .option('-j, --jobs <n>', 'files processed in parallel with -r (default: min(4, CPUs))');
  if (enc) {
    cmd
      .option('--chunk-size <size>', `plaintext bytes per chunk, ${formatBytes(MIN_CHUNK_SIZE)}..${formatBytes(MAX_CHUNK_SIZE)} (default ${formatBytes(DEFAULT_CHUNK_SIZE)})`)
      .addOption(new Option('--scrypt-log-n <n>', `scrypt work factor log2 N for --passphrase-file (default ${SCRYPT_DEFAULT.logN})`));
  } else {
    cmd.option('--range <start-end>', 'decrypt only plaintext bytes START..END (inclusive; START- and -SUFFIX too); reads only the chunks needed');
  }
  cmd.addHelpText(
    'after',
    enc
      ? `
Examples:
  keysmith storage encrypt -k master.key -o movie.mp4.ks movie.mp4
  cat x | keysmith storage encrypt -k master.key - > x.ks
  keysmith storage encrypt --passphrase-file pw.txt -o notes.ks notes.txt
  keysmith storage encrypt --recipient age1… -o movie.mp4.ks movie.mp4
  keysmith storage encrypt -r -k master.key -o vault/ masters/

The output is written to a temporary file and renamed into place only when
complete; on any failure (or Ctrl-C) nothing is left at the output path.`
      : `
Examples:
  keysmith storage decrypt -k master.key -o movie.mp4 movie.mp4.ks
  keysmith storage decrypt -k master.key --range 1000000-1999999 movie.mp4.ks > part.bin
  keysmith storage decrypt -k master.key movie.mp4.ks | ffprobe -
  keysmith storage decrypt -r -k master.key -o masters/ vault/

Every chunk is authenticated before it is written. Modified, reordered,
truncated or appended data fails with exit 1 and nothing is left at -o.
To a pipe, chunks verified before the failure have already been written:
the consumer must treat a non-zero exit as "discard everything".`,
  );
  cmd.action(
    ctx.action<CryptOptions>(async (out, opts, args) => {
      if (args.length > 1) throw usageError(`one input expected, got ${args.length}`, 'use -r for a directory tree');
      if (opts.recursive) await runTree(out, mode, opts, args[0]);
      else await runOne(ctx, out, mode, opts, args[0]);
    }),
  );
  return cmd;
}

export function register(program: Command, ctx: CliContext): void {
  const storage = program
    .command('storage')
    .description('encrypt files at rest with AES-256 (keygen, encrypt, decrypt, inspect, rewrap)')
    .addHelpText(
      'after',
      `
Examples:
  keysmith storage keygen -o master.key
  keysmith storage encrypt -k master.key -o movie.mp4.ks movie.mp4
  keysmith storage decrypt -k master.key -o movie.mp4 movie.mp4.ks
  keysmith storage inspect movie.mp4.ks
  keysmith storage rewrap -k old.key --new-key new.key movie.mp4.ks

Format: docs/storage-format.md. Manual: man keysmith-storage.`,
    );

  storage
    .command('keygen')
    .description('create a 256-bit storage key file (mode 0600)')
    .option('-o, --output <file>', "key file to write ('-' or none: stdout)")
    .option('-f, --force', 'replace an existing key file (the old key is lost)')
    .option('--x25519', 'create an X25519 identity (age format) instead; prints its recipient (public key)')
    .addHelpText(
      'after',
      `
Examples:
  keysmith storage keygen -o master.key
  keysmith storage keygen -o master.key --json    # prints the key id, never the key
  keysmith storage keygen --x25519 -o me.key       # identity; share the printed age1… recipient

Keep the key file secret and backed up: without it, files encrypted with it
cannot be recovered. Its key id (a fingerprint, not the key) is printed and
recorded in every file it encrypts.`,
    )
    .action(
      ctx.action<{ output?: string; force?: boolean; x25519?: boolean }>(async (out, opts) => {
        if (opts.x25519) return keygenX25519(ctx, out, opts);
        const key = generateStorageKey();
        const keyId = keyIdHex(keyIdOf(key));
        const text = formatKeyFile(key, new Date());
        if (isStdio(opts.output)) {
          out.stdoutIsPayload = true;
          ctx.io.stdout.write(text);
          out.result({ keyId, output: '-' });
        } else {
          await writeFileAtomic(opts.output!, text, { mode: 0o600, overwrite: Boolean(opts.force) });
          out.result({ keyId, output: opts.output }, () => `wrote ${opts.output} (key id ${keyId}); keep it secret and backed up`);
        }
        key.wipe();
      }),
    );

  storage.addCommand(cryptCommand(ctx, 'encrypt'));
  storage.addCommand(cryptCommand(ctx, 'decrypt'));

  storage
    .command('inspect')
    .description('show the header of an encrypted file: version, chunk size, key id, wrapping, sizes (never a secret)')
    .argument('[input]', "encrypted file ('-' or none: stdin)")
    .addHelpText(
      'after',
      `
Examples:
  keysmith storage inspect movie.mp4.ks
  keysmith storage inspect --json movie.mp4.ks | jq -r .keyId

inspect needs no key and does not authenticate: decrypt does.`,
    )
    .action(ctx.action(async (out, _opts, args) => inspect(ctx, out, args[0])));

  const rewrap = storage
    .command('rewrap')
    .description('change the key or passphrase that wraps a file, without re-encrypting its payload')
    .argument('<input>', 'encrypted file (replaced atomically unless -o is given)');
  keyOptions(rewrap)
    .option('--new-key <file>', 'the new storage key file')
    .option('--new-passphrase-file <file>', 'the new passphrase file')
    .option('--new-recipient <age1…|file>', 'the new X25519 recipient')
    .addOption(new Option('--scrypt-log-n <n>', `scrypt work factor for --new-passphrase-file (default ${SCRYPT_DEFAULT.logN})`))
    .option('-o, --output <file>', 'write the rewrapped file here instead of replacing the input')
    .option('-f, --force', 'replace an existing -o file')
    .addHelpText(
      'after',
      `
Examples:
  keysmith storage rewrap -k old.key --new-key new.key movie.mp4.ks
  keysmith storage rewrap --passphrase-file old.txt --new-key master.key notes.ks
  keysmith storage rewrap -k master.key --new-recipient age1… movie.mp4.ks

Only the header changes (the payload bytes are copied as they are); the
old key no longer opens the file.`,
    )
    .action(
      ctx.action<KeyOptions & { newKey?: string; newPassphraseFile?: string; newRecipient?: string; output?: string; force?: boolean }>(async (out, opts, args) => {
        const input = args[0]!;
        if (input === '-') throw usageError('rewrap needs a file, not stdin');
        if (opts.output === '-') throw usageError('rewrap writes a file', 'give -o FILE, or none to replace the input');
        const from = await credentialFrom(out, { ...opts, scryptLogN: undefined });
        const to = await credentialFrom(
          out,
          { key: opts.newKey, passphraseFile: opts.newPassphraseFile, recipient: opts.newRecipient, scryptLogN: opts.scryptLogN },
          { key: '--new-key', pass: '--new-passphrase-file' },
          true,
        ).catch((err: unknown) => {
          if (err instanceof KeysmithError && err.message === 'no key given') throw usageError('no new key given', 'pass --new-key FILE, --new-passphrase-file FILE or --new-recipient age1…');
          throw err;
        });
        const output = opts.output ?? input;
        const r = await rewrapFile(input, output, { from, to, overwrite: Boolean(opts.force) });
        out.result({ operation: 'rewrap', input, output, ...r }, () => `rewrapped ${output}: key id ${r.previousKeyId} → ${r.keyId}`);
      }),
    );
}
