/**
 * The field vocabulary of box descriptions (ISO/IEC 14496-12 §4.2 syntax).
 *
 * A box description is a list of fields; the same list drives the parser
 * and the writer, so the two cannot drift. Fields may depend on the box's
 * version and flags (`when`), on earlier fields (counts, lengths) or on a
 * parse context (e.g. the per-sample IV size of `senc`, known from `tenc`).
 */

/** A parsed box: its type, header facts and its fields by name. */
export interface Box {
  type: string;
  /** FullBox version / flags (ISO/IEC 14496-12 §4.2). */
  version?: number;
  flags?: number;
  /** Child boxes (containers, sample entries, stsd, dref). */
  children?: Box[];
  /** Payload bytes of a box kept opaque (unknown types, raw leaves). */
  raw?: Buffer;
  /** `uuid` boxes: the 16-byte extended type. */
  usertype?: Buffer;
  /** Where the box was read from (absent on boxes built in memory). */
  offset?: number;
  size?: number;
  headerSize?: number;
  // Fields by name, as the description declares them.
  [field: string]: any;
}

/** Context a parser may need from outside the box (see senc). */
export interface ParseContext {
  /** Per-sample IV size for senc (from tenc / seig); undefined keeps senc opaque. */
  ivSize?: number;
}

export type Cond = (box: Box, ctx: ParseContext) => boolean;
export type Len = number | ((box: Box, ctx: ParseContext, entry: Record<string, unknown>) => number | undefined);

export type IntKind = 'u8' | 'u16' | 'u24' | 'u32' | 'u64' | 'i16' | 'i32' | 'i64';

export type Field =
  /** An integer; `v1` widens it (e.g. u32 → u64) when version is 1. `countOf` is computed on write. */
  | { kind: IntKind; name: string; v1?: IntKind; countOf?: string; when?: Cond }
  /** Four-character code. */
  | { kind: 'fourcc'; name: string; when?: Cond }
  /** Bytes of a fixed or computed length; `rest` takes everything up to the end of the box. */
  | { kind: 'bytes'; name: string; length: Len | 'rest'; when?: Cond }
  /** A NUL-terminated UTF-8 string (to the end of the box if no NUL). */
  | { kind: 'string'; name: string; when?: Cond }
  /** Repeated entries; count from an earlier field, or `rest` until the box ends. */
  | { kind: 'array'; name: string; count: string | 'rest'; fields: Field[]; minEntrySize: number; when?: Cond }
  /** Child boxes until the end of the box. */
  | { kind: 'children'; when?: Cond };

export const INT_SIZE: Record<IntKind, number> = { u8: 1, u16: 2, u24: 3, u32: 4, u64: 8, i16: 2, i32: 4, i64: 8 };
