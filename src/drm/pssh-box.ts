/**
 * THE 'pssh' box codec of keysmith (ISO/IEC 23001-7 §8.1.1,
 * ProtectionSystemSpecificHeaderBox):
 *
 *   aligned(8) class ProtectionSystemSpecificHeaderBox extends FullBox('pssh', version, flags=0) {
 *     unsigned int(8)[16] SystemID;
 *     if (version > 0) { unsigned int(32) KID_count; { unsigned int(8)[16] KID; } [KID_count]; }
 *     unsigned int(32) DataSize;
 *     unsigned int(8)[DataSize] Data;
 *   }
 *
 * Parsing is bounded against hostile input: every size is checked against
 * the bytes actually present before anything is allocated or read, and each
 * failure has its own ERR_PSSH_* code.
 */
import { KeyId } from '../crypto/values.js';
import { fromUuid, toUuid } from '../crypto/bytes.js';
import { KeysmithError } from '../errors.js';

export interface PsshBox {
  /** SystemID as a lowercase UUID. */
  systemId: string;
  version: number;
  /** Box flags (24 bits; 0 in every box we write). */
  flags?: number;
  /** KIDs of a version 1 box (empty for version 0). */
  kids: KeyId[];
  /** The system-specific Data. */
  data: Buffer;
  /** Size of the whole box in bytes. */
  size: number;
}

export interface BuildPsshBoxParams {
  systemId: string;
  version?: 0 | 1;
  kids?: KeyId[];
  data?: Uint8Array;
}

/** A pssh box is never this large in practice; refuse before allocating. */
export const MAX_PSSH_BOX_SIZE = 16 * 1024 * 1024;
/** Upper bound on KID_count (a box with more KIDs than this is hostile). */
export const MAX_PSSH_KIDS = 65_536;
const BOX_HEADER = 8;
const FULL_BOX_HEADER = 12;

function psshError(code: string, message: string, hint?: string): KeysmithError {
  return new KeysmithError(code, message, hint === undefined ? {} : { hint });
}

/** Write a complete 'pssh' box. Version defaults to 1 when KIDs are given, else 0. */
export function buildPsshBox(p: BuildPsshBoxParams): Buffer {
  const systemId = fromUuid(p.systemId, 'system id');
  const kids = p.kids ?? [];
  const version = p.version ?? (kids.length > 0 ? 1 : 0);
  if (version === 0 && kids.length > 0) {
    throw new KeysmithError('ERR_USAGE', 'a version 0 pssh box cannot list KIDs', { exit: 2, hint: 'use version 1 or put the KIDs in the system data' });
  }
  const data = Buffer.from(p.data ?? new Uint8Array(0));
  const size = FULL_BOX_HEADER + 16 + (version === 1 ? 4 + 16 * kids.length : 0) + 4 + data.length;
  if (size > MAX_PSSH_BOX_SIZE) throw psshError('ERR_PSSH_SIZE', `pssh box would be ${size} bytes, more than ${MAX_PSSH_BOX_SIZE}`);
  const out = Buffer.alloc(size);
  let o = 0;
  o = out.writeUInt32BE(size, o);
  o += out.write('pssh', o, 'latin1');
  o = out.writeUInt32BE((version << 24) >>> 0, o); // version(8) flags(24) = 0
  o += systemId.copy(out, o);
  if (version === 1) {
    o = out.writeUInt32BE(kids.length, o);
    for (const kid of kids) o += kid.bytes.copy(out, o);
  }
  o = out.writeUInt32BE(data.length, o);
  data.copy(out, o);
  return out;
}

/** Read one box header at `offset`: returns its size (32-bit or 64-bit largesize) and type. */
function boxHeaderAt(bytes: Uint8Array, offset: number): { size: number; type: string; headerSize: number } {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const left = view.length - offset;
  if (left < BOX_HEADER) throw psshError('ERR_PSSH_TRUNCATED', `pssh: box header at offset ${offset} needs 8 bytes, only ${left} left`);
  let size = view.readUInt32BE(offset);
  const type = view.toString('latin1', offset + 4, offset + 8);
  let headerSize = BOX_HEADER;
  if (size === 1) {
    if (left < 16) throw psshError('ERR_PSSH_TRUNCATED', `pssh: 64-bit box size at offset ${offset} is cut off`);
    const large = view.readBigUInt64BE(offset + 8);
    if (large > BigInt(MAX_PSSH_BOX_SIZE)) throw psshError('ERR_PSSH_SIZE', `pssh: box at offset ${offset} claims ${large} bytes, more than ${MAX_PSSH_BOX_SIZE}`);
    size = Number(large);
    headerSize = 16;
  } else if (size === 0) {
    throw psshError('ERR_PSSH_SIZE', `pssh: box at offset ${offset} has size 0 ("to end of file"), not allowed for a pssh box`);
  }
  if (size === 0xffffffff || size > MAX_PSSH_BOX_SIZE) {
    throw psshError('ERR_PSSH_SIZE', `pssh: box at offset ${offset} claims ${size} bytes, more than ${MAX_PSSH_BOX_SIZE}`);
  }
  if (size < headerSize) throw psshError('ERR_PSSH_SIZE', `pssh: box at offset ${offset} has size ${size}, smaller than its header`);
  if (size > left) throw psshError('ERR_PSSH_TRUNCATED', `pssh: box at offset ${offset} claims ${size} bytes, only ${left} present`);
  return { size, type, headerSize };
}

function parseAt(bytes: Uint8Array, offset: number): PsshBox {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { size, type, headerSize } = boxHeaderAt(bytes, offset);
  if (type !== 'pssh') {
    throw psshError('ERR_PSSH_TYPE', `pssh: expected a 'pssh' box at offset ${offset}, got '${printable(type)}'`, 'give a pssh box, several concatenated, or an MP4 file');
  }
  const end = offset + size;
  let o = offset + headerSize;
  const need = (n: number, what: string): void => {
    if (o + n > end) throw psshError('ERR_PSSH_TRUNCATED', `pssh: ${what} at offset ${o} runs past the end of the box (box size ${size})`);
  };
  need(4 + 16, 'version, flags and SystemID');
  const version = view.readUInt8(o);
  const flags = view.readUIntBE(o + 1, 3);
  o += 4;
  if (version > 1) throw psshError('ERR_PSSH_VERSION', `pssh: unsupported box version ${version} (ISO/IEC 23001-7 defines 0 and 1)`);
  const systemId = toUuid(view.subarray(o, o + 16));
  o += 16;
  const kids: KeyId[] = [];
  if (version === 1) {
    need(4, 'KID_count');
    const count = view.readUInt32BE(o);
    o += 4;
    if (count > MAX_PSSH_KIDS || count * 16 > end - o) {
      throw psshError('ERR_PSSH_KID_COUNT', `pssh: KID_count ${count} does not fit in the ${Math.max(0, end - o)} bytes left in the box`);
    }
    for (let i = 0; i < count; i++) {
      kids.push(new KeyId(view.subarray(o, o + 16)));
      o += 16;
    }
  }
  need(4, 'DataSize');
  const dataSize = view.readUInt32BE(o);
  o += 4;
  if (dataSize !== end - o) {
    throw psshError(
      dataSize > end - o ? 'ERR_PSSH_TRUNCATED' : 'ERR_PSSH_DATA_SIZE',
      `pssh: DataSize ${dataSize} disagrees with the ${end - o} bytes left in the box`,
    );
  }
  const data = Buffer.from(view.subarray(o, o + dataSize));
  return { systemId, version, ...(flags === 0 ? {} : { flags }), kids, data, size };
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

/** Parse exactly one pssh box occupying all of `bytes`. */
export function parsePsshBox(bytes: Uint8Array): PsshBox {
  const box = parseAt(bytes, 0);
  if (box.size !== bytes.length) {
    throw psshError('ERR_PSSH_TRAILING', `pssh: ${bytes.length - box.size} bytes follow the box`, 'use parsePsshBoxes for several concatenated boxes');
  }
  return box;
}

/** Parse one or more concatenated pssh boxes occupying all of `bytes`. */
export function parsePsshBoxes(bytes: Uint8Array): PsshBox[] {
  if (bytes.length === 0) throw psshError('ERR_PSSH_TRUNCATED', 'pssh: no bytes');
  const boxes: PsshBox[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const box = parseAt(bytes, offset);
    boxes.push(box);
    offset += box.size;
  }
  return boxes;
}

/** True when `bytes` starts with something that looks like a pssh box header. */
export function looksLikePsshBox(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1', 4, 8) === 'pssh';
}
