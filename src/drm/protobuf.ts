/**
 * A tiny protobuf wire-format codec (https://protobuf.dev/programming-guides/encoding/),
 * enough for the Widevine PSSH data message: varints (wire type 0) and
 * length-delimited fields (wire type 2); fixed 32/64-bit fields (5/1) are
 * skipped on read. Bounded: lengths are checked against the bytes present.
 * Internal to src/drm.
 */
import { KeysmithError } from '../errors.js';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

export function encodeVarint(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`"varint" expected a non-negative safe integer, got ${value}`);
  const out: number[] = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

export function encodeVarintField(field: number, value: number): Buffer {
  return Buffer.concat([encodeVarint((field << 3) | WIRE_VARINT), encodeVarint(value)]);
}

export function encodeBytesField(field: number, value: Uint8Array): Buffer {
  return Buffer.concat([encodeVarint((field << 3) | WIRE_LEN), encodeVarint(value.length), Buffer.from(value)]);
}

export interface ProtoField {
  field: number;
  wireType: number;
  /** For varints. */
  int?: number;
  /** For length-delimited fields. */
  bytes?: Buffer;
}

function bad(message: string): KeysmithError {
  return new KeysmithError('ERR_PSSH_DATA', `protobuf: ${message}`);
}

function readVarint(buf: Buffer, at: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  let o = at;
  for (let i = 0; i < 10; i++) {
    if (o >= buf.length) throw bad(`varint at offset ${at} is cut off`);
    const b = buf[o++]!;
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return { value, next: o };
    shift += 7n;
  }
  throw bad(`varint at offset ${at} is longer than 10 bytes`);
}

/** Decode every top-level field of a message, in order. */
export function decodeFields(bytes: Uint8Array, maxFields = 10_000): ProtoField[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: ProtoField[] = [];
  let o = 0;
  while (o < buf.length) {
    if (fields.length >= maxFields) throw bad(`more than ${maxFields} fields`);
    const tag = readVarint(buf, o);
    o = tag.next;
    const field = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    if (field === 0) throw bad('field number 0');
    switch (wireType) {
      case WIRE_VARINT: {
        const v = readVarint(buf, o);
        o = v.next;
        fields.push({ field, wireType, int: v.value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v.value) });
        break;
      }
      case WIRE_LEN: {
        const len = readVarint(buf, o);
        o = len.next;
        if (len.value > BigInt(buf.length - o)) throw bad(`field ${field} claims ${len.value} bytes, only ${buf.length - o} left`);
        const n = Number(len.value);
        fields.push({ field, wireType, bytes: Buffer.from(buf.subarray(o, o + n)) });
        o += n;
        break;
      }
      case WIRE_FIXED64:
      case WIRE_FIXED32: {
        const n = wireType === WIRE_FIXED64 ? 8 : 4;
        if (o + n > buf.length) throw bad(`field ${field} is cut off`);
        fields.push({ field, wireType, bytes: Buffer.from(buf.subarray(o, o + n)) });
        o += n;
        break;
      }
      default:
        throw bad(`unsupported wire type ${wireType} for field ${field}`);
    }
  }
  return fields;
}
