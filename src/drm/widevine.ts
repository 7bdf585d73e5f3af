/**
 * Widevine PSSH data: the WidevinePsshData protobuf message (proto2), as
 * published in Shaka Packager's widevine_pssh_data.proto:
 *   1 algorithm (enum, legacy)      2 key_id (repeated bytes)
 *   3 provider (string)             4 content_id (bytes)
 *   6 policy (string)               7 crypto_period_index (uint32)
 *   8 grouped_license (bytes)       9 protection_scheme (uint32 fourcc)
 *   10 crypto_period_seconds (uint32)
 * We write fields 2, 3, 4 and 9 in field order, as Shaka Packager does; field
 * 9 only for schemes other than 'cenc' (SPECS §2 vector).
 */
import { KeyId } from '../crypto/values.js';
import { KeysmithError } from '../errors.js';
import { decodeFields, encodeBytesField, encodeVarintField, WIRE_LEN, WIRE_VARINT } from './protobuf.js';

export const WIDEVINE_SYSTEM_ID = 'edef8ba9-79d6-4ace-a3c8-27dcd51d21ed';

export interface WidevinePsshData {
  kids: KeyId[];
  provider?: string;
  contentId?: Buffer;
  /** fourcc, e.g. 'cbcs'. Written only when not 'cenc'. */
  protectionScheme?: string;
  policy?: string;
  cryptoPeriodIndex?: number;
  cryptoPeriodSeconds?: number;
  /** Legacy algorithm enum: 0 UNENCRYPTED, 1 AESCTR. */
  algorithm?: number;
  /** Fields we do not interpret, by number. */
  unknownFields?: number[];
}

const ALGORITHMS: Record<number, string> = { 0: 'UNENCRYPTED', 1: 'AESCTR' };

function fourccToInt(fourcc: string): number {
  if (!/^[\x20-\x7e]{4}$/.test(fourcc)) throw new KeysmithError('ERR_USAGE', `protection scheme must be a four-character code, got '${fourcc}'`, { exit: 2 });
  return Buffer.from(fourcc, 'latin1').readUInt32BE(0);
}

function intToFourcc(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  const s = b.toString('latin1');
  return /^[\x20-\x7e]{4}$/.test(s) ? s : `0x${b.toString('hex')}`;
}

export function buildWidevinePsshData(d: Omit<WidevinePsshData, 'unknownFields'>): Buffer {
  const parts: Buffer[] = [];
  if (d.algorithm !== undefined) parts.push(encodeVarintField(1, d.algorithm));
  for (const kid of d.kids) parts.push(encodeBytesField(2, kid.bytes));
  if (d.provider !== undefined) parts.push(encodeBytesField(3, Buffer.from(d.provider, 'utf8')));
  if (d.contentId !== undefined) parts.push(encodeBytesField(4, d.contentId));
  if (d.policy !== undefined) parts.push(encodeBytesField(6, Buffer.from(d.policy, 'utf8')));
  if (d.cryptoPeriodIndex !== undefined) parts.push(encodeVarintField(7, d.cryptoPeriodIndex));
  if (d.protectionScheme !== undefined && d.protectionScheme !== 'cenc') parts.push(encodeVarintField(9, fourccToInt(d.protectionScheme)));
  if (d.cryptoPeriodSeconds !== undefined) parts.push(encodeVarintField(10, d.cryptoPeriodSeconds));
  return Buffer.concat(parts);
}

function bad(message: string): KeysmithError {
  return new KeysmithError('ERR_PSSH_DATA', `widevine pssh data: ${message}`);
}

export function parseWidevinePsshData(data: Uint8Array): WidevinePsshData {
  const out: WidevinePsshData = { kids: [] };
  const unknown: number[] = [];
  for (const f of decodeFields(data)) {
    const want = (wire: number): void => {
      if (f.wireType !== wire) throw bad(`field ${f.field} has wire type ${f.wireType}, expected ${wire}`);
    };
    switch (f.field) {
      case 1:
        want(WIRE_VARINT);
        out.algorithm = f.int!;
        break;
      case 2:
        want(WIRE_LEN);
        if (f.bytes!.length !== 16) throw bad(`key_id of ${f.bytes!.length} bytes (expected 16)`);
        out.kids.push(new KeyId(f.bytes!));
        break;
      case 3:
        want(WIRE_LEN);
        out.provider = f.bytes!.toString('utf8');
        break;
      case 4:
        want(WIRE_LEN);
        out.contentId = f.bytes!;
        break;
      case 6:
        want(WIRE_LEN);
        out.policy = f.bytes!.toString('utf8');
        break;
      case 7:
        want(WIRE_VARINT);
        out.cryptoPeriodIndex = f.int!;
        break;
      case 9:
        want(WIRE_VARINT);
        out.protectionScheme = intToFourcc(f.int!);
        break;
      case 10:
        want(WIRE_VARINT);
        out.cryptoPeriodSeconds = f.int!;
        break;
      default:
        unknown.push(f.field);
    }
  }
  if (unknown.length > 0) out.unknownFields = unknown;
  return out;
}

/** A JSON-friendly view of the Widevine fields (what `pssh inspect` prints). */
export function describeWidevinePsshData(d: WidevinePsshData): Record<string, unknown> {
  return {
    keyIds: d.kids.map((k) => k.uuid),
    ...(d.algorithm === undefined ? {} : { algorithm: ALGORITHMS[d.algorithm] ?? d.algorithm }),
    ...(d.provider === undefined ? {} : { provider: d.provider }),
    ...(d.contentId === undefined
      ? {}
      : { contentId: d.contentId.toString('hex'), ...(isPrintable(d.contentId) ? { contentIdText: d.contentId.toString('latin1') } : {}) }),
    ...(d.policy === undefined ? {} : { policy: d.policy }),
    ...(d.cryptoPeriodIndex === undefined ? {} : { cryptoPeriodIndex: d.cryptoPeriodIndex }),
    ...(d.cryptoPeriodSeconds === undefined ? {} : { cryptoPeriodSeconds: d.cryptoPeriodSeconds }),
    protectionScheme: d.protectionScheme ?? 'cenc',
    ...(d.unknownFields === undefined ? {} : { unknownFields: d.unknownFields }),
  };
}

function isPrintable(b: Buffer): boolean {
  return b.length > 0 && /^[\x20-\x7e]*$/.test(b.toString('latin1'));
}
