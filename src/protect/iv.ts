/**
 * Per-sample IVs (ISO/IEC 23001-7 §9.2, SPECS §1). With 8-byte IVs each
 * sample's IV is the previous one plus 1 (mod 2^64), so the IV of sample n
 * is first + n — which lets any segment be encrypted alone. 16-byte IVs
 * advance their upper 64 bits per sample, so the 64-bit block counter in
 * the lower half never reaches the next sample's keystream.
 */
export function ivForSample(first: Buffer, n: number): Buffer {
  const out = Buffer.from(first);
  out.writeBigUInt64BE((first.readBigUInt64BE(0) + BigInt(n)) & 0xffffffffffffffffn, 0);
  return out;
}
