/**
 * A bounded Exp-Golomb bit reader over an *escaped* NAL unit payload
 * (H.264 §7.3.1 / HEVC §7.3.1.1: emulation_prevention_three_byte). It skips
 * each 0x03 that follows two zero bytes while reading, and remembers how many
 * escaped bytes it has consumed, so a position in the RBSP maps straight back
 * to a byte count in the sample. Reading past the end throws ERR_CODEC_TRUNCATED.
 */
import { KeysmithError } from '../../errors.js';

export function codecError(code: 'TRUNCATED' | 'INVALID' | 'UNSUPPORTED', message: string): KeysmithError {
  return new KeysmithError(`ERR_CODEC_${code}`, message);
}

export class BitReader {
  readonly #data: Uint8Array;
  readonly #end: number;
  /** Escaped index of the next byte to load. */
  #pos: number;
  #cur = 0;
  /** Bits of #cur not yet read (0 = need a new byte). */
  #bits = 0;
  #zeros = 0;
  #rbspBits = 0;
  readonly #start: number;

  constructor(data: Uint8Array, start = 0, end = data.length) {
    this.#data = data;
    this.#pos = start;
    this.#start = start;
    this.#end = Math.min(end, data.length);
  }

  #load(): void {
    if (this.#pos >= this.#end) throw codecError('TRUNCATED', 'bitstream: read past the end of the NAL unit');
    let b = this.#data[this.#pos++]!;
    if (this.#zeros >= 2 && b === 3) {
      // emulation_prevention_three_byte: not part of the RBSP (§7.4.1)
      this.#zeros = 0;
      if (this.#pos >= this.#end) throw codecError('TRUNCATED', 'bitstream: read past the end of the NAL unit');
      b = this.#data[this.#pos++]!;
    }
    this.#zeros = b === 0 ? this.#zeros + 1 : 0;
    this.#cur = b;
    this.#bits = 8;
  }

  /** u(1) */
  flag(): boolean {
    if (this.#bits === 0) this.#load();
    this.#bits--;
    this.#rbspBits++;
    return ((this.#cur >> this.#bits) & 1) === 1;
  }

  /** u(n), n ≤ 32 */
  bits(n: number): number {
    if (n < 0 || n > 32) throw codecError('INVALID', `bitstream: field width ${n} out of range`);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + (this.flag() ? 1 : 0);
    return v;
  }

  skip(n: number): void {
    if (n < 0 || n > this.#end * 8) throw codecError('INVALID', `bitstream: skip of ${n} bits out of range`);
    for (let i = 0; i < n; i++) this.flag();
  }

  /** ue(v), bounded to 32 leading zeros (values < 2^32 - 1). */
  ue(): number {
    let zeros = 0;
    while (!this.flag()) {
      if (++zeros > 31) throw codecError('INVALID', 'bitstream: Exp-Golomb code longer than 32 bits');
    }
    return zeros === 0 ? 0 : 2 ** zeros - 1 + this.bits(zeros);
  }

  /** ue(v) that must be ≤ max (`what` names the field for the error). */
  ueMax(max: number, what: string): number {
    const v = this.ue();
    if (v > max) throw codecError('INVALID', `${what}: value ${v} exceeds ${max}`);
    return v;
  }

  /** se(v) */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }

  seRange(min: number, max: number, what: string): number {
    const v = this.se();
    if (v < min || v > max) throw codecError('INVALID', `${what}: value ${v} outside ${min}..${max}`);
    return v;
  }

  get byteAligned(): boolean {
    return this.#bits === 0;
  }

  /** RBSP bits read so far. */
  get bitsRead(): number {
    return this.#rbspBits;
  }

  /**
   * Escaped bytes from `start` up to and including the byte that holds the
   * last bit read: the header's byte length as it sits in the sample.
   */
  get escapedBytesConsumed(): number {
    return this.#pos - this.#start;
  }
}
