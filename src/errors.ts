/**
 * The one error class of keysmith.
 *
 * Every failure a user can meet carries a stable `code` (ERR_*), a one-line
 * message, an optional hint (what to do next) and an exit status:
 *   1 operation failed (bad input, tampered data, refused token)
 *   2 usage error (wrong flags or arguments)
 *   3 environment error (missing file, permission, disk full, port in use)
 *
 * Messages never contain key material. Decryption failures say nothing that
 * helps an attacker (no offsets of MAC failures, no partial plaintext).
 */

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_ENVIRONMENT = 3;

export type ExitStatus = typeof EXIT_FAILED | typeof EXIT_USAGE | typeof EXIT_ENVIRONMENT;

export interface KeysmithErrorOptions {
  hint?: string;
  exit?: ExitStatus;
  cause?: unknown;
  /** Extra machine-readable detail for --json output (never secrets). */
  details?: Record<string, unknown>;
}

export class KeysmithError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exit: ExitStatus;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: KeysmithErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeysmithError';
    this.code = code;
    this.hint = options.hint;
    this.exit = options.exit ?? EXIT_FAILED;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** A wrong flag, a missing argument, conflicting options: exit 2. */
export function usageError(message: string, hint?: string): KeysmithError {
  return new KeysmithError('ERR_USAGE', message, { exit: EXIT_USAGE, ...(hint === undefined ? {} : { hint }) });
}

export function isKeysmithError(err: unknown): err is KeysmithError {
  return err instanceof KeysmithError;
}

const SYSTEM_ERRORS: Record<string, { code: string; what: string; hint?: string }> = {
  ENOENT: { code: 'ERR_NOT_FOUND', what: 'no such file or directory', hint: 'check the path' },
  EACCES: { code: 'ERR_PERMISSION', what: 'permission denied', hint: 'check the file permissions' },
  EPERM: { code: 'ERR_PERMISSION', what: 'operation not permitted' },
  EISDIR: { code: 'ERR_IS_DIRECTORY', what: 'is a directory', hint: 'use -r for directory trees' },
  ENOTDIR: { code: 'ERR_NOT_DIRECTORY', what: 'not a directory' },
  EEXIST: { code: 'ERR_EXISTS', what: 'already exists', hint: 'use --force to overwrite' },
  ENOSPC: { code: 'ERR_DISK_FULL', what: 'no space left on device', hint: 'free some space and run again' },
  EDQUOT: { code: 'ERR_DISK_FULL', what: 'disk quota exceeded' },
  EROFS: { code: 'ERR_READ_ONLY', what: 'read-only file system' },
  EMFILE: { code: 'ERR_TOO_MANY_FILES', what: 'too many open files', hint: 'lower --jobs or raise ulimit -n' },
  EADDRINUSE: { code: 'ERR_ADDRESS_IN_USE', what: 'address already in use', hint: 'choose another --port' },
  EADDRNOTAVAIL: { code: 'ERR_ADDRESS_UNAVAILABLE', what: 'address not available', hint: 'check --host' },
  ECONNREFUSED: { code: 'ERR_CONNECTION_REFUSED', what: 'connection refused' },
  EPIPE: { code: 'ERR_BROKEN_PIPE', what: 'broken pipe' },
};

/**
 * Turn a Node.js system error (ENOENT, EACCES, ENOSPC …) into an environment
 * error (exit 3). `subject` names what was being touched, e.g. a path.
 * Returns undefined for anything that is not a recognised system error.
 */
export function fromSystemError(err: unknown, subject?: string): KeysmithError | undefined {
  if (err instanceof KeysmithError) return err;
  const sys = err as NodeJS.ErrnoException | null;
  if (!sys || typeof sys !== 'object' || typeof sys.code !== 'string') return undefined;
  const known = SYSTEM_ERRORS[sys.code];
  if (!known) return undefined;
  const where = subject ?? sys.path ?? (sys as { address?: string }).address;
  const message = where ? `${where}: ${known.what}` : known.what;
  return new KeysmithError(known.code, message, {
    exit: EXIT_ENVIRONMENT,
    cause: err,
    ...(known.hint === undefined ? {} : { hint: known.hint }),
  });
}
