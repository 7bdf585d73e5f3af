/**
 * The failures of the at-rest format, one stable code each. Messages are
 * one line and say nothing that helps an attacker: no chunk index or offset
 * of an authentication failure, no partial plaintext, never key material.
 */
import { KeysmithError, EXIT_FAILED, EXIT_USAGE } from '../errors.js';

export type StorageErrorCode =
  | 'ERR_STORAGE_NOT_KEYSMITH'
  | 'ERR_STORAGE_VERSION'
  | 'ERR_STORAGE_HEADER'
  | 'ERR_STORAGE_WRONG_KEY'
  | 'ERR_STORAGE_TAMPERED'
  | 'ERR_STORAGE_TRUNCATED'
  | 'ERR_STORAGE_KEY_FILE'
  | 'ERR_STORAGE_PASSPHRASE'
  | 'ERR_STORAGE_LIMIT';

export function storageError(code: StorageErrorCode, message: string, hint?: string, details?: Record<string, unknown>): KeysmithError {
  return new KeysmithError(code, message, {
    exit: EXIT_FAILED,
    ...(hint === undefined ? {} : { hint }),
    ...(details === undefined ? {} : { details }),
  });
}

/** Payload authentication failed: modified, reordered, appended or swapped chunks. */
export function tamperedError(): KeysmithError {
  return storageError('ERR_STORAGE_TAMPERED', 'payload authentication failed: the file was modified or damaged', 'nothing was written; restore the file from a good copy');
}

export function truncatedError(): KeysmithError {
  return storageError('ERR_STORAGE_TRUNCATED', 'the encrypted file is truncated', 'nothing was written; restore the file from a good copy');
}

export function headerError(): KeysmithError {
  return storageError('ERR_STORAGE_HEADER', 'header authentication failed: the header was modified or damaged', 'restore the file from a good copy');
}

/** A caller's bad argument (range, chunk size) that the CLI shows as a usage error. */
export function storageUsage(message: string, hint?: string): KeysmithError {
  return new KeysmithError('ERR_USAGE', message, { exit: EXIT_USAGE, ...(hint === undefined ? {} : { hint }) });
}
