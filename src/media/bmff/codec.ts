/**
 * Parse and write boxes from their descriptions (boxes.ts). One
 * interpreter serves both directions, so every box round-trips.
 *
 * Box header (ISO/IEC 14496-12 §4.2): size(u32) type(fourcc)
 * [largesize(u64) when size == 1] [usertype(16) when type == 'uuid'];
 * size 0 means "to the end of the enclosing box or file".
 *
 * Hostile input is bounded: sizes past the end, sizes smaller than the
 * header, nesting beyond MAX_DEPTH and counts larger than the bytes that
 * could hold them all throw ERR_BMFF_* naming the box path and offset.
 */
import { BOX_TABLE, type BoxSpec } from './boxes.js';
import { bmffError } from './errors.js';
import { INT_SIZE, type Box, type Field, type IntKind, type ParseContext } from './fields.js';

export const MAX_DEPTH = 16;
/** Entries without bytes of their own (e.g. trun with all defaults) are capped at this count. */
export const MAX_EMPTY_ENTRIES = 1 << 16;

export interface BoxHeader {
  type: string;
  /** Total size including the header; computed for size-0 boxes. */
  size: number;
  headerSize: number;
  offset: number;
  usertype?: Buffer;
}

/** Raised inside a parse when a length needs context the caller did not give: the box stays opaque. */
class NeedsContext extends Error {}

function fourcc(buf: Buffer, pos: number): string {
  return buf.toString('latin1', pos, pos + 4);
}

/**
 * Read one box header at `pos` of `buf`, whose byte 0 sits at file offset
 * `base`. `end` bounds the enclosing box (or the file).
 */
export function readBoxHeader(buf: Buffer, pos: number, end: number, base: number, path: string, fileEnd?: number): BoxHeader {
  const offset = base + pos;
  if (end - pos < 8) throw bmffError('ERR_BMFF_TRUNCATED', `box header needs 8 bytes, ${end - pos} left`, path, offset);
  let size = buf.readUInt32BE(pos);
  const type = fourcc(buf, pos + 4);
  const where = path ? `${path}/${type}` : type;
  let headerSize = 8;
  if (size === 1) {
    if (end - pos < 16) throw bmffError('ERR_BMFF_TRUNCATED', 'largesize runs past the end', where, offset);
    const big = buf.readBigUInt64BE(pos + 8);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw bmffError('ERR_BMFF_BAD_SIZE', `largesize ${big} is absurd`, where, offset);
    size = Number(big);
    headerSize = 16;
  } else if (size === 0) {
    // §4.2: size 0 = "the last box in the file", so only at the top level.
    if (path) throw bmffError('ERR_BMFF_BAD_SIZE', 'box size 0 inside another box', where, offset);
    size = (fileEnd ?? base + end) - offset;
  }
  let usertype: Buffer | undefined;
  if (type === 'uuid') {
    if (end - pos < headerSize + 16) throw bmffError('ERR_BMFF_TRUNCATED', 'uuid box header runs past the end', where, offset);
    usertype = Buffer.from(buf.subarray(pos + headerSize, pos + headerSize + 16));
    headerSize += 16;
  }
  if (size < headerSize) throw bmffError('ERR_BMFF_BAD_SIZE', `box size ${size} is smaller than its ${headerSize}-byte header`, where, offset);
  const h: BoxHeader = { type, size, headerSize, offset };
  if (usertype) h.usertype = usertype;
  return h;
}

interface Cursor {
  buf: Buffer;
  pos: number;
  end: number;
  base: number;
  path: string;
  ctx: ParseContext;
  depth: number;
}

function need(c: Cursor, n: number, what: string): void {
  if (n < 0 || c.end - c.pos < n) {
    throw bmffError('ERR_BMFF_TRUNCATED', `${what} needs ${n} bytes, ${c.end - c.pos} left`, c.path, c.base + c.pos);
  }
}

function intKind(f: { kind: IntKind; v1?: IntKind }, box: Box): IntKind {
  return box.version === 1 && f.v1 ? f.v1 : f.kind;
}

function readInt(c: Cursor, kind: IntKind, name: string): number {
  need(c, INT_SIZE[kind], name);
  const { buf, pos } = c;
  let v: number;
  switch (kind) {
    case 'u8': v = buf.readUInt8(pos); break;
    case 'u16': v = buf.readUInt16BE(pos); break;
    case 'u24': v = buf.readUIntBE(pos, 3); break;
    case 'u32': v = buf.readUInt32BE(pos); break;
    case 'i16': v = buf.readInt16BE(pos); break;
    case 'i32': v = buf.readInt32BE(pos); break;
    case 'u64': {
      const b = buf.readBigUInt64BE(pos);
      if (b > BigInt(Number.MAX_SAFE_INTEGER)) throw bmffError('ERR_BMFF_INVALID', `${name} ${b} is out of range`, c.path, c.base + pos);
      v = Number(b);
      break;
    }
    case 'i64': {
      const b = buf.readBigInt64BE(pos);
      if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < -BigInt(Number.MAX_SAFE_INTEGER)) {
        throw bmffError('ERR_BMFF_INVALID', `${name} ${b} is out of range`, c.path, c.base + pos);
      }
      v = Number(b);
      break;
    }
  }
  c.pos += INT_SIZE[kind];
  return v;
}

function readFields(c: Cursor, fields: readonly Field[], box: Box, target: Record<string, unknown>): void {
  for (const f of fields) {
    if (f.when && !f.when(box, c.ctx)) continue;
    switch (f.kind) {
      case 'children': {
        const children: Box[] = [];
        while (c.pos < c.end) {
          const child = parseBoxAt(c.buf, c.pos, c.end, c.base, c.path, c.ctx, c.depth + 1);
          children.push(child);
          c.pos += child.size!;
        }
        box.children = children;
        break;
      }
      case 'fourcc':
        need(c, 4, f.name);
        target[f.name] = fourcc(c.buf, c.pos);
        c.pos += 4;
        break;
      case 'string': {
        let stop = c.buf.indexOf(0, c.pos);
        if (stop < 0 || stop >= c.end) stop = c.end;
        target[f.name] = c.buf.toString('utf8', c.pos, stop);
        c.pos = Math.min(stop + 1, c.end);
        break;
      }
      case 'bytes': {
        const len = f.length === 'rest' ? c.end - c.pos : typeof f.length === 'number' ? f.length : f.length(box, c.ctx, target);
        if (len === undefined) throw new NeedsContext();
        need(c, len, f.name);
        target[f.name] = c.buf.subarray(c.pos, c.pos + len);
        c.pos += len;
        break;
      }
      case 'array': {
        const list: Record<string, unknown>[] = [];
        if (f.count === 'rest') {
          while (c.pos < c.end) {
            const entry: Record<string, unknown> = {};
            const before = c.pos;
            readFields(c, f.fields, box, entry);
            if (c.pos === before) break;
            list.push(f.fields.length === 1 ? (entry[f.fields[0]!.kind === 'children' ? '' : f.fields[0]!.name] as Record<string, unknown>) : entry);
          }
        } else {
          const count = (target[f.count] ?? box[f.count]) as number;
          const at = c.base + c.pos;
          if (f.minEntrySize > 0 && count * f.minEntrySize > c.end - c.pos) {
            throw bmffError('ERR_BMFF_COUNT', `${f.count} ${count} needs at least ${count * f.minEntrySize} bytes, ${c.end - c.pos} left`, c.path, at);
          }
          const fixed = count > 0 ? fixedEntry(f.fields, box, c.ctx) : undefined;
          if (fixed && fixed.size > 0 && count * fixed.size <= c.end - c.pos) {
            // Fast path: fixed-size integer entries that all fit (errors are left to the general loop).
            const { names, kinds } = fixed;
            if (kinds.every((k) => k === 'u32')) {
              // All u32 (stsz, stco, stts, stsc, stss, ctts v0): bounds were checked above.
              const { buf } = c;
              let pos = c.pos;
              for (let i = 0; i < count; i++) {
                const entry: Record<string, unknown> = {};
                for (let k = 0; k < names.length; k++, pos += 4) entry[names[k]!] = buf.readUInt32BE(pos);
                list.push(entry);
              }
              c.pos = pos;
            } else {
              for (let i = 0; i < count; i++) {
                const entry: Record<string, unknown> = {};
                for (let k = 0; k < names.length; k++) entry[names[k]!] = readInt(c, kinds[k]!, names[k]!);
                list.push(entry);
              }
            }
            target[f.name] = list;
            break;
          }
          for (let i = 0; i < count; i++) {
            const entry: Record<string, unknown> = {};
            const before = c.pos;
            readFields(c, f.fields, box, entry);
            const used = c.pos - before;
            if (i === 0 && (used === 0 ? count > MAX_EMPTY_ENTRIES : (count - 1) * used > c.end - c.pos)) {
              throw bmffError('ERR_BMFF_COUNT', `${f.count} ${count} is more than the box can hold`, c.path, at);
            }
            list.push(entry);
          }
        }
        target[f.name] = list;
        break;
      }
      default:
        target[f.name] = readInt(c, intKind(f, box), f.name);
    }
  }
}

/** Parse the box whose header starts at `pos`. `base` is the file offset of buf[0]. */
export function parseBoxAt(buf: Buffer, pos: number, end: number, base: number, parentPath: string, ctx: ParseContext = {}, depth = 0): Box {
  const h = readBoxHeader(buf, pos, end, base, parentPath);
  const path = parentPath ? `${parentPath}/${h.type}` : h.type;
  if (depth > MAX_DEPTH) throw bmffError('ERR_BMFF_TOO_DEEP', `boxes nested more than ${MAX_DEPTH} deep`, path, h.offset);
  if (pos + h.size > end) {
    throw bmffError('ERR_BMFF_TRUNCATED', `box size ${h.size} runs past the end of its parent (${end - pos} bytes left)`, path, h.offset);
  }
  const box: Box = { type: h.type, offset: h.offset, size: h.size, headerSize: h.headerSize };
  if (h.usertype) box.usertype = h.usertype;
  const spec: BoxSpec | undefined = h.type === 'uuid' ? undefined : BOX_TABLE[h.type];
  const c: Cursor = { buf, pos: pos + h.headerSize, end: pos + h.size, base, path, ctx, depth };
  if (!spec) {
    box.raw = buf.subarray(c.pos, c.end);
    return box;
  }
  if (spec.full) {
    need(c, 4, 'version and flags');
    box.version = buf.readUInt8(c.pos);
    box.flags = buf.readUIntBE(c.pos + 1, 3);
    c.pos += 4;
  }
  const fieldStart = c.pos;
  try {
    readFields(c, spec.fields, box, box);
  } catch (err) {
    if (!(err instanceof NeedsContext)) throw err;
    for (const f of spec.fields) if ('name' in f) delete box[f.name];
    box.raw = buf.subarray(fieldStart, c.end);
  }
  return box;
}

/** Parse every box in buf[pos, end). */
export function parseBoxes(buf: Buffer, options: { base?: number; path?: string; ctx?: ParseContext; depth?: number; start?: number; end?: number } = {}): Box[] {
  const out: Box[] = [];
  let pos = options.start ?? 0;
  const end = options.end ?? buf.length;
  while (pos < end) {
    const b = parseBoxAt(buf, pos, end, options.base ?? 0, options.path ?? '', options.ctx ?? {}, options.depth ?? 0);
    out.push(b);
    pos += b.size!;
  }
  return out;
}

/** Parse one box payload of a known type again with context (e.g. senc once the IV size is known). */
export function reparseBox(box: Box, ctx: ParseContext): Box {
  const bytes = writeBox(box);
  const again = parseBoxAt(bytes, 0, bytes.length, box.offset ?? 0, '', ctx);
  return { ...again, offset: box.offset, size: box.size, headerSize: box.headerSize };
}

// ---------------------------------------------------------------- writing

/**
 * A growing byte buffer: fields are written in place (no allocation per
 * integer). A measuring sink (`new Sink(true)`) only counts bytes, so the
 * same interpreter gives a box's size without writing it.
 */
class Sink {
  buf: Buffer;
  length = 0;
  constructor(readonly measuring = false, capacity = 256) {
    this.buf = measuring ? EMPTY : Buffer.allocUnsafe(capacity);
  }
  reserve(n: number): void {
    if (this.measuring || this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  push(b: Uint8Array): void {
    if (!this.measuring) {
      this.reserve(b.length);
      this.buf.set(b, this.length);
    }
    this.length += b.length;
  }
  /** A fourcc (or any latin1 text of known byte length) without an intermediate buffer. */
  latin1(v: string, n: number): void {
    if (!this.measuring) {
      this.reserve(n);
      this.buf.write(v, this.length, n, 'latin1');
    }
    this.length += n;
  }
  int(kind: IntKind, v: number): void {
    const n = INT_SIZE[kind];
    if (this.measuring) {
      this.length += n;
      return;
    }
    this.reserve(n);
    const b = this.buf;
    const at = this.length;
    switch (kind) {
      case 'u8': b.writeUInt8(v, at); break;
      case 'u16': b.writeUInt16BE(v, at); break;
      case 'u24': b.writeUIntBE(v, at, 3); break;
      case 'u32': b.writeUInt32BE(v, at); break;
      case 'i16': b.writeInt16BE(v, at); break;
      case 'i32': b.writeInt32BE(v, at); break;
      case 'u64': b.writeBigUInt64BE(BigInt(v), at); break;
      case 'i64': b.writeBigInt64BE(BigInt(v), at); break;
    }
    this.length += n;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * The entry layout of an array whose active fields (for this box's version
 * and flags) are all plain integers: names, kinds and the entry size. Such
 * arrays (trun samples, senc subsamples, stsz/stco entries …) take a fast
 * path in both directions; the description stays the one source of truth.
 */
interface FixedEntry {
  names: string[];
  kinds: IntKind[];
  size: number;
}

function fixedEntry(fields: readonly Field[], box: Box, ctx: ParseContext): FixedEntry | undefined {
  const names: string[] = [];
  const kinds: IntKind[] = [];
  let size = 0;
  for (const f of fields) {
    if (f.when && !f.when(box, ctx)) continue;
    if (f.kind === 'children' || f.kind === 'fourcc' || f.kind === 'string' || f.kind === 'bytes' || f.kind === 'array') return undefined;
    if (f.countOf !== undefined) return undefined;
    const kind = intKind(f, box);
    names.push(f.name);
    kinds.push(kind);
    size += INT_SIZE[kind];
  }
  return { names, kinds, size };
}

function writeInt(s: Sink, kind: IntKind, value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'number' && typeof value !== 'bigint') throw new TypeError(`box field ${name}: expected a number`);
  s.int(kind, typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : 0);
}

/** Writing needs no parse context: one shared empty one (no object per field). */
const WRITE_CTX: ParseContext = Object.freeze({});

/** `checked`: the fields' `when` conditions were already applied (array entries: once per array). */
function writeFields(s: Sink, fields: readonly Field[], box: Box, source: Record<string, unknown>, checked = false): void {
  for (const f of fields) {
    if (!checked && f.when && !f.when(box, WRITE_CTX)) continue;
    switch (f.kind) {
      case 'children':
        for (const child of box.children ?? []) writeBoxTo(s, child);
        break;
      case 'fourcc': {
        const v = String(source[f.name] ?? '    ');
        if (Buffer.byteLength(v, 'latin1') !== 4) throw new TypeError(`box field ${f.name}: fourcc must be 4 characters, got '${v}'`);
        s.latin1(v, 4);
        break;
      }
      case 'string':
        s.push(Buffer.from(`${String(source[f.name] ?? '')}\0`, 'utf8'));
        break;
      case 'bytes': {
        const v = source[f.name];
        const want = f.length === 'rest' ? undefined : typeof f.length === 'number' ? f.length : f.length(box, WRITE_CTX, source);
        const b = v instanceof Uint8Array ? v : Buffer.alloc(want ?? 0);
        if (want !== undefined && b.length !== want) throw new TypeError(`box field ${f.name}: expected ${want} bytes, got ${b.length}`);
        s.push(b);
        break;
      }
      case 'array': {
        const list = (source[f.name] as unknown[] | undefined) ?? [];
        const fixed = f.count === 'rest' ? undefined : fixedEntry(f.fields, box, WRITE_CTX);
        if (fixed) {
          if (s.measuring) {
            s.length += list.length * fixed.size;
            break;
          }
          s.reserve(list.length * fixed.size);
          const { names, kinds } = fixed;
          for (const entry of list as Record<string, unknown>[]) {
            for (let k = 0; k < names.length; k++) writeInt(s, kinds[k]!, entry[names[k]!], names[k]!);
          }
          break;
        }
        // Conditions depend on the box only (Cond): decide the entry's fields once for the whole array.
        const active = f.fields.filter((x) => !x.when || x.when(box, WRITE_CTX));
        for (const entry of list) {
          if (f.count === 'rest' && f.fields.length === 1) writeFields(s, active, box, { [(f.fields[0] as { name: string }).name]: entry }, true);
          else writeFields(s, active, box, entry as Record<string, unknown>, true);
        }
        break;
      }
      default: {
        const value = f.countOf !== undefined ? (f.countOf === 'children' ? (box.children ?? []).length : ((source[f.countOf] as unknown[] | undefined) ?? []).length) : source[f.name];
        writeInt(s, intKind(f, box), value, f.name);
      }
    }
  }
}

/** The header for a box of `payloadSize` bytes (largesize when it does not fit 32 bits). */
export function boxHeader(type: string, payloadSize: number, usertype?: Buffer): Buffer {
  const extra = usertype ? 16 : 0;
  const small = 8 + extra + payloadSize <= 0xffffffff;
  const h = Buffer.alloc((small ? 8 : 16) + extra);
  if (small) h.writeUInt32BE(8 + extra + payloadSize, 0);
  else {
    h.writeUInt32BE(1, 0);
    h.writeBigUInt64BE(BigInt(16 + extra + payloadSize), 8);
  }
  h.write(type, 4, 4, 'latin1');
  if (usertype) usertype.copy(h, small ? 8 : 16);
  return h;
}

function writePayloadTo(s: Sink, box: Box): void {
  const spec = box.type === 'uuid' ? undefined : BOX_TABLE[box.type];
  if (spec?.full) {
    s.int('u8', box.version ?? 0);
    s.int('u24', box.flags ?? 0);
  }
  if (box.raw) s.push(box.raw);
  else if (spec) writeFields(s, spec.fields, box, box);
}

/** Append a whole box: header placeholder, payload, then the size filled in (largesize when needed). */
function writeBoxTo(s: Sink, box: Box): void {
  if (Buffer.byteLength(box.type, 'latin1') !== 4) throw new TypeError(`box type must be 4 characters, got '${box.type}'`);
  const start = s.length;
  const headerSize = 8 + (box.usertype ? 16 : 0);
  if (box.usertype) s.push(boxHeader(box.type, 0, box.usertype));
  else {
    s.int('u32', 0);
    s.latin1(box.type, 4);
  }
  writePayloadTo(s, box);
  const payload = s.length - start - headerSize;
  if (s.measuring) {
    if (headerSize + payload > 0xffffffff) s.length += 8; // largesize
  } else if (headerSize + payload <= 0xffffffff) s.buf.writeUInt32BE(headerSize + payload, start);
  else {
    // Rare (> 4 GiB box): rebuild with a largesize header.
    const body = Buffer.from(s.buf.subarray(start + headerSize, s.length));
    s.length = start;
    s.push(boxHeader(box.type, payload, box.usertype));
    s.push(body);
  }
}

/** The payload bytes of a box (everything after the header). */
export function writeBoxPayload(box: Box): Buffer {
  const s = new Sink();
  writePayloadTo(s, box);
  return Buffer.from(s.bytes());
}

/** Serialize a box (and its children) to bytes. */
export function writeBox(box: Box): Buffer {
  const s = new Sink();
  writeBoxTo(s, box);
  return s.buf.length === s.length ? s.buf : Buffer.from(s.bytes());
}

/** The size writeBox(box) would produce, without writing it. */
export function boxSize(box: Box): number {
  const s = new Sink(true);
  writeBoxTo(s, box);
  return s.length;
}

export function writeBoxes(boxes: readonly Box[]): Buffer {
  return Buffer.concat(boxes.map(writeBox));
}
