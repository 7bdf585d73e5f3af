/**
 * Run keysmith in-process (fast, for most CLI tests) or as a real process
 * through bin/keysmith (for signals, TTY checks, exit codes end to end).
 */
import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/program.js';
import type { Io } from '../../src/cli/io.js';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

function collect(stream: PassThrough): () => Buffer {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks);
}

export async function runInProcess(
  argv: string[],
  options: { stdin?: Buffer | string; env?: Record<string, string>; cwd?: string; stderrTty?: boolean; stdoutTty?: boolean } = {},
): Promise<CliResult> {
  const stdout = new PassThrough() as PassThrough & { isTTY?: boolean };
  const stderr = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (options.stdoutTty) stdout.isTTY = true;
  if (options.stderrTty) stderr.isTTY = true;
  const out = collect(stdout);
  const err = collect(stderr);
  const io: Io = {
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    stdout,
    stderr,
    env: { ...(options.env ?? {}) },
    cwd: options.cwd ?? process.cwd(),
  };
  const status = await runCli(argv, io);
  stdout.end();
  stderr.end();
  const bytes = out();
  return { status, stdout: bytes.toString('utf8'), stderr: err().toString('utf8'), stdoutBytes: bytes };
}

export const BIN = fileURLToPath(new URL('../../bin/keysmith', import.meta.url));

export function runBinary(
  argv: string[],
  options: { stdin?: Buffer | string; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', ...(options.env ?? {}) },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const bytes = Buffer.concat(out);
      resolve({ status: code ?? (signal ? 128 : 1), stdout: bytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes: bytes });
    });
    child.stdin.on('error', () => undefined);
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    else child.stdin.end();
  });
}
