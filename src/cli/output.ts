/**
 * Rendering for humans and machines. Commands hand results here; nothing
 * else in the CLI writes to stdout/stderr directly.
 *
 * Human output: results to stdout, notes/warnings/errors to stderr as
 * `keysmith: error: …` and `hint: …` (lowercase, one line).
 * --json: one JSON document per command on stdout (stderr when stdout
 * carries payload bytes), errors as {"error":{code,message,hint}}.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { inspect } from 'node:util';
import { isKeysmithError, fromSystemError, EXIT_FAILED, KeysmithError } from '../errors.js';
import type { Io } from './io.js';

export interface GlobalOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
}

export function colorEnabled(io: Io, requested: boolean): boolean {
  if (!requested) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return Boolean(io.stderr.isTTY);
}

export class Output {
  readonly io: Io;
  readonly options: GlobalOptions;
  readonly color: ChalkInstance;
  /** Set by commands that stream payload bytes to stdout: JSON then goes to stderr. */
  stdoutIsPayload = false;
  /**
   * Exit status of a command that rendered its own result but still failed
   * in part (e.g. one file of a directory tree): the runner returns it
   * without rendering a second document.
   */
  exitStatus = 0;

  constructor(io: Io, options: GlobalOptions) {
    this.io = io;
    this.options = options;
    this.color = new Chalk({ level: colorEnabled(io, options.color) ? 1 : 0 });
  }

  get json(): boolean {
    return this.options.json;
  }

  /** Progress and spinners only on an interactive stderr, never in --json or --quiet. */
  get interactive(): boolean {
    return Boolean(this.io.stderr.isTTY) && !this.options.json && !this.options.quiet;
  }

  /** A command's result: JSON document with --json, else the human rendering. */
  result(value: unknown, human?: () => string | string[] | undefined): void {
    if (this.options.json) {
      const stream = this.stdoutIsPayload ? this.io.stderr : this.io.stdout;
      stream.write(`${JSON.stringify(value, null, 2)}\n`);
      return;
    }
    if (!human) return;
    const text = human();
    if (text === undefined) return;
    const lines = Array.isArray(text) ? text.join('\n') : text;
    if (lines.length === 0) return;
    (this.stdoutIsPayload ? this.io.stderr : this.io.stdout).write(lines.endsWith('\n') ? lines : `${lines}\n`);
  }

  /** Plain text on stdout (human mode only). */
  print(text: string): void {
    if (this.options.json) return;
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A note on stderr, hidden by --quiet and --json. */
  info(message: string): void {
    if (this.options.quiet || this.options.json) return;
    this.io.stderr.write(`${message}\n`);
  }

  /** Detail only with --verbose. */
  debug(message: string): void {
    if (!this.options.verbose) return;
    this.io.stderr.write(`${this.color.dim(`keysmith: ${message}`)}\n`);
  }

  /** A warning on stderr; shown even with --json (stderr is not the JSON channel), hidden by --quiet. */
  warn(message: string, hint?: string): void {
    if (this.options.quiet) return;
    this.io.stderr.write(`${this.color.yellow('keysmith: warning:')} ${message}\n`);
    if (hint) this.io.stderr.write(`${this.color.dim('hint:')} ${hint}\n`);
  }

  /** Render an error and return the exit status it maps to. */
  error(err: unknown): number {
    const ke = toKeysmithError(err);
    if (this.options.json) {
      const stream = this.stdoutIsPayload ? this.io.stderr : this.io.stdout;
      stream.write(`${JSON.stringify({ error: ke.toJSON() }, null, 2)}\n`);
    } else {
      this.io.stderr.write(`${this.color.red('keysmith: error:')} ${ke.message}\n`);
      if (ke.hint) this.io.stderr.write(`${this.color.dim('hint:')} ${ke.hint}\n`);
    }
    if (this.options.verbose) {
      const original = isKeysmithError(err) ? (err.cause ?? err) : err;
      this.io.stderr.write(`${this.color.dim(inspect(original))}\n`);
    }
    return ke.exit;
  }
}

/** Anything thrown becomes a KeysmithError; unknown bugs become ERR_INTERNAL without a trace. */
export function toKeysmithError(err: unknown): KeysmithError {
  if (isKeysmithError(err)) return err;
  const sys = fromSystemError(err);
  if (sys) return sys;
  return new KeysmithError('ERR_INTERNAL', `internal error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, {
    exit: EXIT_FAILED,
    hint: 'run again with --verbose and report it at the keysmith issue tracker',
    cause: err,
  });
}
