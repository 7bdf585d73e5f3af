/**
 * A few lines of ISO-BMFF walking for interop tests only (the library's box
 * code lives in src/media/bmff): enough to read what Shaka Packager writes —
 * tenc, avcC/hvcC/esds, and per fragment the trun sample sizes, the senc
 * entries and the mdat bytes.
 */
export interface Box {
  type: string;
  start: number;
  /** payload start (after the header) */
  body: number;
  end: number;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'moof', 'traf', 'sinf', 'schi', 'mvex', 'edts', 'dinf']);
/** Sample entries: bytes of fixed fields before their child boxes. */
const SAMPLE_ENTRIES: Record<string, number> = { encv: 78, avc1: 78, avc3: 78, hvc1: 78, hev1: 78, enca: 28, mp4a: 28 };

export function walk(buf: Buffer, start = 0, end = buf.length, out: Box[] = []): Box[] {
  let p = start;
  while (p + 8 <= end) {
    let size = buf.readUInt32BE(p);
    const type = buf.toString('latin1', p + 4, p + 8);
    let body = p + 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(p + 8));
      body = p + 16;
    } else if (size === 0) size = end - p;
    if (size < 8 || p + size > end) throw new Error(`box ${type} at ${p}: bad size ${size}`);
    const box = { type, start: p, body, end: p + size };
    out.push(box);
    if (CONTAINERS.has(type)) walk(buf, body, box.end, out);
    else if (type === 'stsd') walk(buf, body + 8, box.end, out);
    else if (SAMPLE_ENTRIES[type] !== undefined) walk(buf, body + SAMPLE_ENTRIES[type], box.end, out);
    p += size;
  }
  return out;
}

export interface Tenc {
  version: number;
  crypt: number;
  skip: number;
  ivSize: number;
  kid: Buffer;
  constantIv?: Buffer;
}

export function readTenc(buf: Buffer, box: Box): Tenc {
  const b = box.body;
  const version = buf[b]!;
  const pattern = buf[b + 5]!;
  const ivSize = buf[b + 7]!;
  const kid = buf.subarray(b + 8, b + 24);
  const t: Tenc = { version, crypt: version > 0 ? pattern >> 4 : 0, skip: version > 0 ? pattern & 15 : 0, ivSize, kid };
  if (ivSize === 0) {
    const n = buf[b + 24]!;
    t.constantIv = buf.subarray(b + 25, b + 25 + n);
  }
  return t;
}

export interface FragmentSample {
  data: Buffer;
  iv: Buffer;
  subsamples: { clear: number; encrypted: number }[];
}

/** Samples of every moof/mdat pair of a single-track fragmented file, with their senc entries. */
export function fragmentSamples(buf: Buffer, ivSize: number): FragmentSample[] {
  const boxes = walk(buf);
  const out: FragmentSample[] = [];
  for (const moof of boxes.filter((x) => x.type === 'moof')) {
    const inside = boxes.filter((x) => x.start > moof.start && x.end <= moof.end);
    const tfhd = inside.find((x) => x.type === 'tfhd')!;
    const trun = inside.find((x) => x.type === 'trun')!;
    const senc = inside.find((x) => x.type === 'senc');
    const tfFlags = buf.readUInt32BE(tfhd.body) & 0xffffff;
    let q = tfhd.body + 8;
    if (tfFlags & 0x1) q += 8;
    if (tfFlags & 0x2) q += 4;
    if (tfFlags & 0x8) q += 4;
    const defaultSize = tfFlags & 0x10 ? buf.readUInt32BE(q) : 0;
    const trFlags = buf.readUInt32BE(trun.body) & 0xffffff;
    const count = buf.readUInt32BE(trun.body + 4);
    let p = trun.body + 8;
    let dataOffset = 0;
    if (trFlags & 0x1) {
      dataOffset = buf.readInt32BE(p);
      p += 4;
    }
    if (trFlags & 0x4) p += 4;
    const sizes: number[] = [];
    for (let i = 0; i < count; i++) {
      if (trFlags & 0x100) p += 4;
      let size = defaultSize;
      if (trFlags & 0x200) {
        size = buf.readUInt32BE(p);
        p += 4;
      }
      if (trFlags & 0x400) p += 4;
      if (trFlags & 0x800) p += 4;
      sizes.push(size);
    }
    let s = senc ? senc.body + 8 : 0;
    const sencFlags = senc ? buf.readUInt32BE(senc.body) & 0xffffff : 0;
    let d = moof.start + dataOffset; // default-base-is-moof
    for (const size of sizes) {
      const iv = senc ? buf.subarray(s, s + ivSize) : Buffer.alloc(0);
      s += ivSize;
      const subsamples: { clear: number; encrypted: number }[] = [];
      if (senc && sencFlags & 2) {
        const n = buf.readUInt16BE(s);
        s += 2;
        for (let k = 0; k < n; k++) {
          subsamples.push({ clear: buf.readUInt16BE(s), encrypted: buf.readUInt32BE(s + 2) });
          s += 6;
        }
      }
      out.push({ data: buf.subarray(d, d + size), iv: Buffer.from(iv), subsamples });
      d += size;
    }
  }
  return out;
}
