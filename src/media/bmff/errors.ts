/**
 * Errors of the box layer. Every one names the box path (e.g.
 * `moov/trak[1]/mdia/minf/stbl/stsz`) and the file offset where the fault
 * sits, so a user can look at the bytes with a hex dump.
 */
import { KeysmithError } from '../../errors.js';

export type BmffErrorCode =
  | 'ERR_BMFF_TRUNCATED' // a box or field runs past the end of its parent or the file
  | 'ERR_BMFF_BAD_SIZE' // a box size smaller than its header, or zero where not allowed
  | 'ERR_BMFF_TOO_DEEP' // nesting beyond MAX_DEPTH
  | 'ERR_BMFF_TOO_LARGE' // a box we must hold in memory is larger than allowed
  | 'ERR_BMFF_COUNT' // an entry count larger than the bytes that could hold it
  | 'ERR_BMFF_INVALID' // a field value the format forbids
  | 'ERR_BMFF_MISSING' // a required box is not there
  | 'ERR_BMFF_SAMPLE_RANGE'; // a sample table points outside the file

/** Box types of hostile files may hold any byte: show them printable, on one line. */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

export function bmffError(code: BmffErrorCode, message: string, path: string, offset: number, hint?: string): KeysmithError {
  path = printable(path);
  return new KeysmithError(code, `${path || '(file)'} at offset ${offset}: ${printable(message)}`, {
    details: { box: path, offset },
    ...(hint === undefined ? {} : { hint }),
  });
}
