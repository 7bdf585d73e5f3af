/**
 * `keysmith token keygen|issue|verify|inspect`: test tokens (JWT, SWT) and
 * their verification against a token restriction (Azure v2 XML, Azure v3
 * JSON, keysmith JSON or policy). The work is in src/tokens; this file only
 * reads flags and files and renders results.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { fixedClock, systemClock, type Clock } from '../../crypto/clock.js';
import { KeyId } from '../../crypto/values.js';
import { EXIT_ENVIRONMENT, EXIT_FAILED, KeysmithError, isKeysmithError, usageError } from '../../errors.js';
import { readFileChecked, writeFileAtomic } from '../../fsx/atomic.js';
import {
  authorizationFor,
  detectTemplateFormat,
  generateTokenKey,
  inspectToken,
  issueToken,
  jwkVerificationKey,
  parseJwks,
  parseKeysmithPolicy,
  parseTimeSpec,
  parseTokenRestriction,
  pemVerificationKey,
  signingKey,
  symmetricVerificationKey,
  verifyToken,
  type JwtAlgorithm,
  type RequiredClaim,
  type TokenRestriction,
  type TokenType,
  type VerificationKey,
} from '../../tokens/index.js';
import type { CliContext } from '../context.js';
import type { Io } from '../io.js';
import type { Output } from '../output.js';

const MAX_STDIN = 1024 * 1024;
const ISSUE_ALGS = ['HS256', 'RS256', 'ES256'] as const;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

async function readStdin(io: Io): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > MAX_STDIN) throw usageError(`stdin is larger than ${MAX_STDIN} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Read a small text file ('-' is stdin); unreadable files are environment errors (exit 3). */
async function readText(io: Io, path: string): Promise<string> {
  if (path === '-') return readStdin(io);
  return (await readFileChecked(resolve(io.cwd, path), 4 * 1024 * 1024)).toString('utf8');
}

/** The token argument: the text itself, or '-' for stdin. A leading "Bearer " is dropped. */
async function readToken(io: Io, arg: string | undefined): Promise<string> {
  if (arg === undefined) throw usageError('no token given', "pass the token, or '-' to read it from stdin");
  const text = arg === '-' ? await readStdin(io) : arg;
  return text.trim().replace(/^Bearer\s+/i, '');
}

function clockFrom(at: string | undefined): Clock {
  if (at === undefined) return systemClock;
  if (!/^[0-9]{1,12}$/.test(at)) throw usageError(`--at: expected epoch seconds, got '${at.slice(0, 40)}'`);
  return fixedClock(Number(at) * 1000);
}

function kidFrom(text: string | undefined): KeyId | undefined {
  if (text === undefined) return undefined;
  try {
    return KeyId.parse(text);
  } catch {
    throw usageError(`--kid: '${text.slice(0, 64)}' is not a key id`, 'give a UUID (0e7fd0c2-5a43-4d7b-9b4c-0c7d9c6c1e11), 32 hex digits or base64');
  }
}

function typeFrom(text: string | undefined, fallback?: TokenType): TokenType {
  if (text === undefined) {
    if (fallback) return fallback;
    throw usageError('--type is required', 'choose --type jwt or --type swt');
  }
  const t = text.toLowerCase();
  if (t !== 'jwt' && t !== 'swt') throw usageError(`--type must be jwt or swt, got '${text.slice(0, 20)}'`);
  return t;
}

/** A key given on the command line is a usage error when malformed; one in a file is an environment error. */
function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isKeysmithError(err)) throw usageError(`--key: ${err.message}`, err.hint);
    throw err;
  }
}

function iso(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

/* ---------------------------------------------------------------- keygen */

interface KeygenOptions {
  alg?: string;
  output?: string;
  force?: boolean;
}

async function keygen(out: Output, opts: KeygenOptions): Promise<void> {
  const alg = (opts.alg ?? 'HS256').toUpperCase();
  if (!(ISSUE_ALGS as readonly string[]).includes(alg)) throw usageError(`--alg must be one of ${ISSUE_ALGS.join(', ')}`);
  const key = generateTokenKey(alg as (typeof ISSUE_ALGS)[number]);
  const io = out.io;
  if (opts.output === undefined || opts.output === '-') {
    // Secrets never go into --json: the key itself is the payload of stdout.
    if (out.json) throw usageError('--json would put the secret key in JSON', 'write it to a file with -o KEYFILE');
    io.stdout.write(key.kind === 'symmetric' ? `${key.base64}\n` : `${key.privatePem}${key.publicPem}`);
    return;
  }
  const path = resolve(io.cwd, opts.output);
  const overwrite = Boolean(opts.force);
  if (key.kind === 'symmetric') {
    await writeFileAtomic(path, `${key.base64}\n`, { mode: 0o600, overwrite });
    out.result({ alg, kind: 'symmetric', bytes: 64, file: opts.output }, () => `wrote ${opts.output} (64-byte ${alg} key, base64, mode 0600)`);
    return;
  }
  const pub = `${path}.pub.pem`;
  const jwks = `${path}.jwks.json`;
  await writeFileAtomic(path, key.privatePem, { mode: 0o600, overwrite });
  await writeFileAtomic(pub, key.publicPem, { mode: 0o644, overwrite });
  await writeFileAtomic(jwks, `${JSON.stringify({ keys: [key.publicJwk] }, null, 2)}\n`, { mode: 0o644, overwrite });
  out.result({ alg, kind: key.kind, file: opts.output, publicKey: `${opts.output}.pub.pem`, jwks: `${opts.output}.jwks.json`, kid: key.publicJwk.kid }, () => [
    `wrote ${opts.output} (${alg} private key, PKCS#8 PEM, mode 0600)`,
    `wrote ${opts.output}.pub.pem (public key) and ${opts.output}.jwks.json (public JWKS, kid ${String(key.publicJwk.kid)})`,
  ]);
}

/* ----------------------------------------------------------------- issue */

interface IssueOptions {
  type?: string;
  key?: string;
  keyFile?: string;
  alg?: string;
  issuer?: string;
  audience?: string;
  expires?: string;
  notBefore?: string;
  maxUses?: string;
  kid?: string;
  claim?: string[];
  at?: string;
}

function defaultAlg(keyText: string): JwtAlgorithm {
  if (!keyText.includes('-----BEGIN') && !keyText.trim().startsWith('{')) return 'HS256';
  if (keyText.includes('BEGIN EC PRIVATE KEY')) return 'ES256';
  if (keyText.includes('BEGIN RSA PRIVATE KEY')) return 'RS256';
  try {
    const jwk = keyText.trim().startsWith('{') ? (JSON.parse(keyText) as { kty?: string }) : undefined;
    if (jwk?.kty === 'oct') return 'HS256';
    if (jwk?.kty === 'EC') return 'ES256';
    if (jwk?.kty === 'RSA') return 'RS256';
  } catch {
    // fall through: signingKey reports the problem
  }
  // PKCS#8: let node tell RSA from EC.
  return /BEGIN PRIVATE KEY/.test(keyText) ? sniffPkcs8(keyText) : 'RS256';
}

function sniffPkcs8(pem: string): JwtAlgorithm {
  try {
    return pemVerificationKey(pem).kind === 'ec' ? 'ES256' : 'RS256';
  } catch {
    return 'RS256';
  }
}

function parseClaims(list: string[] | undefined): [string, string][] {
  return (list ?? []).map((c) => {
    const eq = c.indexOf('=');
    if (eq <= 0) throw usageError(`--claim '${c.slice(0, 40)}': expected name=value`);
    return [c.slice(0, eq), c.slice(eq + 1)];
  });
}

async function issue(out: Output, opts: IssueOptions): Promise<void> {
  const io = out.io;
  const type = typeFrom(opts.type);
  if (opts.key !== undefined && opts.keyFile !== undefined) throw usageError('give --key or --key-file, not both');
  if (opts.key === undefined && opts.keyFile === undefined) throw usageError('no signing key', "give --key BASE64 or --key-file FILE ('keysmith token keygen' makes one)");
  if (!opts.issuer) throw usageError('--issuer is required');
  if (!opts.audience) throw usageError('--audience is required');
  if (!opts.expires) throw usageError('--expires is required', 'e.g. --expires 30m, 2h, 2026-01-01T00:00:00Z or epoch seconds');
  const clock = clockFrom(opts.at);
  const now = Math.floor(clock.now() / 1000);
  const fromFile = opts.keyFile !== undefined;
  const keyText = fromFile ? await readText(io, opts.keyFile as string) : (opts.key as string);
  const alg = (opts.alg?.toUpperCase() ?? defaultAlg(keyText)) as JwtAlgorithm;
  if (!(ISSUE_ALGS as readonly string[]).includes(alg)) throw usageError(`--alg must be one of ${ISSUE_ALGS.join(', ')}`);
  if (type === 'swt' && alg !== 'HS256') throw usageError('SWT is signed with HMACSHA256: use a symmetric key (--alg HS256)');
  const key = fromFile ? signingKey(alg, keyText) : asUsage(() => signingKey(alg, keyText));
  let maxUses: number | undefined;
  if (opts.maxUses !== undefined) {
    if (!/^[0-9]{1,10}$/.test(opts.maxUses)) throw usageError(`--max-uses must be a positive integer, got '${opts.maxUses.slice(0, 20)}'`);
    maxUses = Number(opts.maxUses);
  }
  const expiresAt = parseTimeSpec(opts.expires, now, '--expires');
  const notBefore = opts.notBefore === undefined ? undefined : parseTimeSpec(opts.notBefore, now, '--not-before');
  if (expiresAt <= now) out.warn(`the token expires at ${iso(expiresAt)}, which is not in the future`);
  if (maxUses !== undefined && expiresAt - now > 3600) {
    out.warn('a token with --max-uses is refused by key servers when it expires more than 1 h after the request', 'use --expires 1h or less');
  }
  const kid = kidFrom(opts.kid);
  const token = await issueToken({
    type,
    key,
    issuer: opts.issuer,
    audience: opts.audience,
    expiresAt,
    ...(notBefore === undefined ? {} : { notBefore }),
    ...(maxUses === undefined ? {} : { maxUses }),
    ...(kid === undefined ? {} : { kid }),
    claims: parseClaims(opts.claim),
    clock,
  });
  if (out.json) {
    const info = inspectToken(token);
    out.result({ type, alg: type === 'swt' ? 'HMACSHA256' : alg, token, expiresAt, expires: iso(expiresAt), identity: info.identity });
    return;
  }
  io.stdout.write(`${token}\n`);
}

/* ---------------------------------------------------------------- verify */

interface VerifyOptions {
  template?: string;
  type?: string;
  key?: string;
  keyFile?: string[];
  jwks?: string;
  issuer?: string;
  audience?: string;
  alg?: string[];
  requireClaim?: string[];
  clockTolerance?: string;
  kid?: string;
  at?: string;
}

type Resolved = { kind: 'open' } | { kind: 'restriction'; restriction: TokenRestriction; source: string };

async function restrictionFromFlags(io: Io, opts: VerifyOptions, tokenType: TokenType | undefined): Promise<Resolved> {
  const jwksText = opts.jwks === undefined ? undefined : await readText(io, opts.jwks);
  if (opts.template !== undefined) {
    for (const f of ['key', 'keyFile', 'issuer', 'audience', 'requireClaim', 'alg'] as const) {
      if (opts[f] !== undefined) throw usageError(`--template and --${f.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)} do not go together`, 'the template holds the keys, issuer, audience and claims');
    }
    const text = await readText(io, opts.template);
    const source = opts.template === '-' ? 'stdin' : opts.template;
    if (detectTemplateFormat(text) === 'keysmith-policy') {
      const policy = parseKeysmithPolicy(text, source);
      if (opts.kid === undefined) throw usageError(`${source} is a per-key policy: give --kid to pick the key's rule`);
      const rule = authorizationFor(policy, kidFrom(opts.kid) as KeyId);
      if (rule.authorization === 'open') return { kind: 'open' };
      if (rule.authorization === 'deny') throw new KeysmithError('ERR_POLICY_DENIED', `the policy denies key ${KeyId.parse(opts.kid).uuid}`, { exit: EXIT_FAILED });
      if (jwksText !== undefined) rule.token.keys.push(...parseJwks(jwksText, opts.jwks));
      return { kind: 'restriction', restriction: rule.token, source };
    }
    return { kind: 'restriction', restriction: parseTokenRestriction(text, source, jwksText === undefined ? {} : { jwks: jwksText }), source };
  }
  if (!opts.issuer || !opts.audience) throw usageError('give --template FILE, or --issuer, --audience and --key/--key-file/--jwks');
  const keys: VerificationKey[] = [];
  const restrict = opts.alg?.map((a) => a.toUpperCase());
  const keyOpts = restrict ? { algorithms: restrict } : {};
  if (opts.key !== undefined) {
    const k = opts.key.trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(k)) throw usageError('--key must be a base64 symmetric key', 'public keys go in a file: --key-file key.pub.pem');
    keys.push(asUsage(() => symmetricVerificationKey(Buffer.from(k, 'base64'), keyOpts)));
  }
  for (const f of opts.keyFile ?? []) {
    const text = await readText(io, f);
    const t = text.trim();
    if (t.startsWith('{')) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(t) as Record<string, unknown>;
      } catch {
        throw new KeysmithError('ERR_TOKEN_KEY_INVALID', `${f}: not valid JSON`, { exit: EXIT_ENVIRONMENT });
      }
      if (Array.isArray(parsed.keys)) keys.push(...parseJwks(t, f));
      else keys.push(jwkVerificationKey(parsed, keyOpts));
    } else if (t.includes('-----BEGIN')) keys.push(pemVerificationKey(t, keyOpts));
    else if (/^[A-Za-z0-9+/]+={0,2}$/.test(t)) keys.push(symmetricVerificationKey(Buffer.from(t, 'base64'), keyOpts));
    else throw new KeysmithError('ERR_TOKEN_KEY_INVALID', `${f}: not a base64 key, a PEM key or certificate, a JWK or a JWKS`, { exit: EXIT_ENVIRONMENT });
  }
  if (jwksText !== undefined) keys.push(...parseJwks(jwksText, opts.jwks));
  if (keys.length === 0) throw usageError('no verification key', 'give --key BASE64, --key-file FILE or --jwks FILE');
  const requiredClaims: RequiredClaim[] = (opts.requireClaim ?? []).map((c) => {
    const eq = c.indexOf('=');
    return eq < 0 ? { type: c } : { type: c.slice(0, eq), value: c.slice(eq + 1) };
  });
  let tol: number | undefined;
  if (opts.clockTolerance !== undefined) {
    if (!/^[0-9]{1,3}$/.test(opts.clockTolerance) || Number(opts.clockTolerance) > 300) throw usageError('--clock-tolerance must be 0 to 300 seconds');
    tol = Number(opts.clockTolerance);
  }
  const type = typeFrom(opts.type, tokenType ?? 'jwt');
  return {
    kind: 'restriction',
    restriction: { type, issuer: opts.issuer, audience: opts.audience, keys, requiredClaims, ...(tol === undefined ? {} : { clockToleranceSeconds: tol }) },
    source: 'command line',
  };
}

async function verify(out: Output, opts: VerifyOptions, args: string[]): Promise<void> {
  const io = out.io;
  if (args[0] === '-' && opts.template === '-') throw usageError('the token and the template cannot both come from stdin');
  const token = await readToken(io, args[0]);
  const clock = clockFrom(opts.at);
  const kid = kidFrom(opts.kid);
  let sniffed: TokenType | undefined;
  try {
    sniffed = inspectToken(token).type;
  } catch {
    sniffed = undefined;
  }
  const resolved = await restrictionFromFlags(io, opts, sniffed);
  if (resolved.kind === 'open') {
    out.result({ valid: true, authorization: 'open', kid: kid?.uuid }, () => `open: key ${kid?.uuid ?? ''} needs no token under this policy`);
    return;
  }
  const { restriction } = resolved;
  if (!kid && restriction.requiredClaims.some((c) => c.type === 'urn:microsoft:azure:mediaservices:contentkeyidentifier' && c.value === undefined)) {
    throw usageError('the restriction requires the token to name the requested key', 'give the key id with --kid');
  }
  let v;
  try {
    v = await verifyToken(token, restriction, { clock, ...(kid === undefined ? {} : { kid }) });
  } catch (err) {
    // The reason code goes into the one-line text too, not only into --json.
    if (isKeysmithError(err) && err.code.startsWith('ERR_TOKEN_') && err.exit === EXIT_FAILED) {
      throw new KeysmithError(err.code, `refused (${err.code}): ${err.message}`, { exit: EXIT_FAILED, ...(err.hint === undefined ? {} : { hint: err.hint }), ...(err.details === undefined ? {} : { details: err.details }) });
    }
    throw err;
  }
  out.result(
    {
      valid: true,
      type: v.type,
      algorithm: v.algorithm,
      key: v.keyFingerprint,
      identity: v.identity,
      expiresAt: v.expiresAt,
      expires: iso(v.expiresAt),
      ...(v.maxUses === undefined ? {} : { maxUses: v.maxUses }),
      claims: v.claims,
    },
    () => [
      `valid ${v.type.toUpperCase()} (${v.algorithm}, key ${v.keyFingerprint})`,
      `  issuer    ${String(restriction.issuer)}`,
      `  audience  ${String(restriction.audience)}`,
      `  expires   ${iso(v.expiresAt)}`,
      ...(v.maxUses === undefined ? [] : [`  maxuses   ${v.maxUses}`]),
      ...(kid === undefined ? [] : [`  kid       ${kid.uuid}`]),
      `  identity  ${v.identity}`,
    ],
  );
}

/* --------------------------------------------------------------- inspect */

async function inspect(out: Output, _opts: object, args: string[]): Promise<void> {
  const token = await readToken(out.io, args[0]);
  const t = inspectToken(token);
  const warning = 'UNVERIFIED: decoded only; the signature, expiry, issuer and audience were NOT checked';
  out.result({ ...t, warning }, () => {
    const lines = [`UNVERIFIED ${t.type.toUpperCase()} — signature NOT checked (use 'keysmith token verify' to verify)`];
    if (t.header) lines.push('header:', JSON.stringify(t.header, null, 2));
    lines.push('claims:', JSON.stringify(t.claims, null, 2));
    if (t.notBefore !== undefined) lines.push(`not before  ${iso(t.notBefore)}`);
    if (t.expiresAt !== undefined) lines.push(`expires     ${iso(t.expiresAt)}`);
    lines.push(`identity    ${t.identity}`);
    return lines;
  });
}

/* -------------------------------------------------------------- register */

export function register(program: Command, ctx: CliContext): void {
  const token = program
    .command('token')
    .description('test tokens: make keys, issue and verify JWT/SWT, inspect tokens')
    .addHelpText(
      'after',
      `
Examples:
  keysmith token keygen -o token.key
  keysmith token issue --type jwt --key-file token.key --issuer https://sts.example/ \\
      --audience urn:example --expires 30m --kid 0e7fd0c2-5a43-4d7b-9b4c-0c7d9c6c1e11
  keysmith token verify "$TOKEN" --template restriction.xml --kid 0e7fd0c2-5a43-4d7b-9b4c-0c7d9c6c1e11
  keysmith token inspect - < token.txt

Templates: Azure Media Services v2 TokenRestrictionTemplate XML, v3
ContentKeyPolicyTokenRestriction JSON, keysmith JSON or a keysmith per-key
policy (see docs/policy.md). Exit status: 0 valid, 1 refused, 2 usage,
3 unreadable template or key file.`,
    );

  token
    .command('keygen')
    .description('make a token signing key: HS256 64 random bytes (base64), RS256/ES256 a PEM key pair and JWKS')
    .option('--alg <alg>', 'HS256 (default), RS256 or ES256')
    .option('-o, --output <file>', 'write the key here (mode 0600); asymmetric keys also write FILE.pub.pem and FILE.jwks.json')
    .option('-f, --force', 'overwrite existing files')
    .addHelpText('after', '\nExamples:\n  keysmith token keygen > token.key\n  keysmith token keygen --alg ES256 -o signer.pem   # signer.pem, signer.pem.pub.pem, signer.pem.jwks.json')
    .action(ctx.action<KeygenOptions>((out, opts) => keygen(out, opts)));

  token
    .command('issue')
    .description('issue a test token (JWT or SWT) for a token restriction')
    .option('--type <type>', 'jwt or swt')
    .option('--key <base64>', 'symmetric key, base64 (the Azure form)')
    .option('--key-file <file>', "key file: base64 secret, PEM or JWK private key ('-' for stdin)")
    .option('--alg <alg>', 'HS256, RS256 or ES256 (default: from the key)')
    .option('--issuer <url>', 'iss / Issuer')
    .option('--audience <url>', 'aud / Audience')
    .option('--expires <when>', 'expiry: 30m, 2h, 7d, ISO 8601 (2026-01-01T00:00:00Z) or epoch seconds')
    .option('--not-before <when>', 'nbf (JWT only), same forms as --expires')
    .option('--max-uses <n>', 'write urn:microsoft:azure:mediaservices:maxuses (expiry must be within 1 h)')
    .option('--kid <kid>', 'write urn:microsoft:azure:mediaservices:contentkeyidentifier')
    .option('--claim <name=value>', 'an extra claim (repeatable)', collect)
    .option('--at <epoch>', 'issue as if now were this time (epoch seconds)')
    .addHelpText(
      'after',
      `
Examples:
  keysmith token issue --type swt --key-file token.key --issuer http://issuer.example/ \\
      --audience urn:example --expires 1h --kid 0e7fd0c2-5a43-4d7b-9b4c-0c7d9c6c1e11
  keysmith token issue --type jwt --key-file signer.pem --issuer https://sts.example/ \\
      --audience urn:example --expires 30m --max-uses 3 --claim urn:example:rental=true`,
    )
    .action(ctx.action<IssueOptions>((out, opts) => issue(out, opts)));

  token
    .command('verify')
    .description('verify a token against a restriction; exit 0 valid, 1 refused (with a reason code)')
    .argument('[token]', "the token, or '-' to read it from stdin (a leading 'Bearer ' is ignored)")
    .option('--template <file>', 'restriction: Azure v2 XML, Azure v3 JSON, keysmith JSON or per-key policy')
    .option('--jwks <file>', 'JWKS whose keys join the restriction (stands in for OpenID Connect discovery; nothing is fetched)')
    .option('--type <type>', 'jwt or swt (without --template; default: what the token looks like)')
    .option('--key <base64>', 'symmetric verification key (without --template)')
    .option('--key-file <file>', 'verification key: base64, PEM public key or certificate, JWK, JWKS (repeatable)', collect)
    .option('--issuer <url>', 'required issuer (without --template)')
    .option('--audience <url>', 'required audience (without --template)')
    .option('--alg <alg>', 'algorithm allowed for the keys, instead of the one default per key type (repeatable)', collect)
    .option('--require-claim <name[=value]>', 'a required claim (repeatable; without --template)', collect)
    .option('--clock-tolerance <seconds>', 'leeway for exp/nbf (default 60, at most 300)')
    .option('--kid <kid>', 'the key id being requested (checked against contentkeyidentifier)')
    .option('--at <epoch>', 'verify as if now were this time (epoch seconds)')
    .addHelpText(
      'after',
      `
Examples:
  keysmith token verify "$TOKEN" --template restriction.xml --kid 0e7fd0c2-5a43-4d7b-9b4c-0c7d9c6c1e11
  keysmith token verify - --key-file signer.pem.pub.pem --issuer https://sts.example/ --audience urn:example < token.txt
  keysmith token verify "$TOKEN" --template policy.json --kid "$KID" --json`,
    )
    .action(ctx.action<VerifyOptions>((out, opts, args) => verify(out, opts, args)));

  token
    .command('inspect')
    .description('decode a token WITHOUT verifying it (says UNVERIFIED)')
    .argument('[token]', "the token, or '-' to read it from stdin")
    .addHelpText('after', "\nExample:\n  keysmith token inspect \"$TOKEN\" --json | jq .claims")
    .action(ctx.action((out, opts, args) => inspect(out, opts, args)));
}
