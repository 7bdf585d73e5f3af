/**
 * `keysmith serve`: the key server as a process. The library (src/server)
 * does the serving; this file parses flags, prints the start message, writes
 * access logs and owns the signals: SIGHUP reloads keys and policy
 * atomically, SIGTERM/SIGINT drain in-flight requests and exit 0.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { toKeysmithError } from '../output.js';
import { fromSystemError, usageError } from '../../errors.js';
import { loadServeConfig, type ServeConfig } from '../../server/config.js';
import { openReplayStore, STORE_KINDS } from '../../server/open-store.js';
import { KeyServer } from '../../server/key-server.js';
import { describeEndpoints } from '../../server/routes.js';
import { formatAccessLine, type AccessLogEntry } from '../../server/access-log.js';

interface ServeOptions {
  keys: string;
  policy?: string;
  host: string;
  port: string;
  store: string;
  tlsCert?: string;
  tlsKey?: string;
  jsonLogs?: boolean;
  corsOrigin: string;
  drainTimeout: string;
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || n > 65535) throw usageError(`--port must be 0-65535, got '${text}'`);
  return n;
}

function parseSeconds(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 3600) throw usageError(`${flag} must be a number of seconds (0-3600), got '${text}'`);
  return n;
}

function configSummary(c: ServeConfig): Record<string, unknown> {
  return { keys: c.summary.keys, policy: c.sources.policy ?? null, policyKids: c.summary.policyKids, default: c.summary.defaultAccess };
}

async function readTls(opts: ServeOptions, cwd: string): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (opts.tlsCert === undefined && opts.tlsKey === undefined) return undefined;
  if (opts.tlsCert === undefined || opts.tlsKey === undefined) throw usageError('--tls-cert and --tls-key go together');
  const read = async (p: string): Promise<Buffer> => {
    try {
      return await readFile(resolve(cwd, p));
    } catch (err) {
      throw fromSystemError(err, p) ?? err;
    }
  };
  return { cert: await read(opts.tlsCert), key: await read(opts.tlsKey) };
}

/** Is process `pid` running? (kill(pid, 0): ESRCH no, EPERM yes but not ours.) For the file: store's lock. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function logSink(out: Output, json: boolean): (e: AccessLogEntry) => void {
  if (json) return (e) => out.io.stderr.write(`${JSON.stringify(e)}\n`);
  if (out.options.quiet) return () => undefined;
  return (e) => out.io.stderr.write(`${formatAccessLine(e)}\n`);
}

/** Log a server event (start, reload, drain) as a JSON line or a human line on stderr. */
function event(out: Output, json: boolean, name: string, fields: Record<string, unknown>, human: string): void {
  if (json) out.io.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event: name, ...fields })}\n`);
  else if (!out.options.quiet) out.io.stderr.write(`keysmith: ${human}\n`);
}

async function serve(out: Output, opts: ServeOptions): Promise<void> {
  const cwd = out.io.cwd;
  const port = parsePort(opts.port);
  const drainMs = parseSeconds(opts.drainTimeout, '--drain-timeout') * 1000;
  const keysPath = resolve(cwd, opts.keys);
  const policyPath = opts.policy === undefined ? undefined : resolve(cwd, opts.policy);
  const tls = await readTls(opts, cwd);
  const config = await loadServeConfig(keysPath, policyPath);
  if (policyPath === undefined) {
    out.warn('no --policy: every key is served to anyone who asks', 'write a policy file (docs/policy.md) to require tokens');
  }
  const store = await openReplayStore(opts.store, { cwd, owner: { pid: process.pid, isAlive } });
  const jsonLogs = Boolean(opts.jsonLogs);
  const server = new KeyServer({
    config,
    store,
    log: logSink(out, jsonLogs),
    cors: { origin: opts.corsOrigin },
    ...(tls ? { tls } : {}),
  });
  let url: string;
  try {
    url = await server.listen(port, opts.host);
  } catch (err) {
    await store.close();
    throw fromSystemError(err, `${opts.host}:${port}`) ?? err;
  }

  let reloading = false;
  const onHup = (): void => {
    if (reloading) return;
    reloading = true;
    loadServeConfig(keysPath, policyPath)
      .then((next) => {
        server.reload(next);
        event(out, jsonLogs, 'reload', { ok: true, ...configSummary(next) }, `reloaded ${next.summary.keys} key(s) and the policy`);
      })
      .catch((err: unknown) => {
        server.reloadFailed();
        const ke = toKeysmithError(err);
        event(out, jsonLogs, 'reload', { ok: false, error: { code: ke.code, message: ke.message } }, `reload failed, keeping the old keys and policy: ${ke.message}`);
      })
      .finally(() => {
        reloading = false;
      });
  };

  let stopping = false;
  let done!: () => void;
  const stopped = new Promise<void>((resolve) => (done = resolve));
  const onStop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second signal: stop waiting for slow requests.
      event(out, jsonLogs, 'abort', { signal, inFlight: server.requestsInFlight }, `${signal} again: closing ${server.requestsInFlight} connection(s) now`);
      server.abortConnections();
      return;
    }
    stopping = true;
    event(out, jsonLogs, 'drain', { signal, inFlight: server.requestsInFlight }, `${signal}: draining ${server.requestsInFlight} request(s)`);
    server
      .close(drainMs)
      .catch(() => undefined)
      .finally(() => {
        process.off('SIGHUP', onHup);
        process.off('SIGINT', onStop);
        process.off('SIGTERM', onStop);
        event(out, jsonLogs, 'stopped', {}, 'stopped');
        done();
      });
  };
  // Replace the CLI's exit-on-signal handlers (src/cli/main.ts) with draining
  // ones, and SIGHUP with reload: add ours first, then remove the others, so
  // the signal watcher never stops (a signal arriving during a gap would be
  // lost), and before the start line, so anyone who has read it can signal.
  for (const [signal, handler] of [['SIGINT', onStop], ['SIGTERM', onStop], ['SIGHUP', onHup]] as const) {
    const previous = process.listeners(signal);
    process.on(signal, handler);
    for (const l of previous) process.off(signal, l);
  }

  const endpoints = describeEndpoints(url);
  if (out.json) {
    out.io.stdout.write(`${JSON.stringify({ event: 'listening', url, store: store.description, ...configSummary(config), endpoints })}\n`);
  } else {
    out.io.stdout.write(
      [
        `keysmith serve: listening on ${url}`,
        `  store: ${store.description}; ${config.summary.keys} key(s); policy: ${config.sources.policy ?? '(none: open)'}`,
        ...endpoints.map((e) => `  ${e.methods.join('|').padEnd(9)} ${e.url}`),
        '',
      ].join('\n'),
    );
  }

  await stopped;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('serve content keys: AES-128 (HLS) and ClearKey licenses, with token authorization and replay limits')
    .requiredOption('--keys <file>', 'keys.json with the content keys (keysmith keys new)')
    .option('--policy <file>', 'per-key policy: open or token restriction (docs/policy.md); without it every key is open')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', '8080')
    .option('--store <spec>', `replay counter store: ${STORE_KINDS.map((k) => k.summary.split(':')[0]).join(' | ')}`, 'memory')
    .option('--tls-cert <file>', 'PEM certificate chain: serve HTTPS')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--json-logs', 'access logs and events as JSON lines on stderr')
    .option('--cors-origin <origin>', 'Access-Control-Allow-Origin for browser players', '*')
    .option('--drain-timeout <seconds>', 'on SIGTERM, how long in-flight requests may finish', '10')
    .addHelpText(
      'after',
      `
Endpoints:
  GET|POST /keys/aes/<kid>     raw 16-byte AES-128 key (HLS #EXT-X-KEY URI); also /keys/aes?kid=<uuid> and /?kid=<uuid>
  POST     /keys/clearkey      W3C ClearKey license (JWK set) for the requested KIDs
  GET      /healthz /readyz /metrics

Tokens: Authorization: Bearer <token>, or ?token=<urlencoded token>.
Stores: ${STORE_KINDS.map((k) => k.summary).join('\n        ')}

Signals: SIGHUP reloads --keys and --policy (a bad file keeps the old ones);
SIGTERM/SIGINT stop accepting, finish in-flight requests, exit 0.

Examples:
  keysmith serve --keys keys.json --policy policy.json --port 8080
  keysmith serve --keys keys.json --policy policy.json --store redis://127.0.0.1:6379 --json-logs
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/keys/aes/$KID | xxd`,
    )
    .action(ctx.action<ServeOptions>((out, opts) => serve(out, opts)));
}
