/**
 * Finding boxes in a parsed tree: `child(moov, 'mvhd')`,
 * `path(trak, 'mdia/minf/stbl/stsd')`, `children(moov, 'trak')`.
 */
import { bmffError } from './errors.js';
import type { Box } from './fields.js';

export function child(box: Box | undefined, type: string): Box | undefined {
  return box?.children?.find((c) => c.type === type);
}

export function children(box: Box | undefined, type: string): Box[] {
  return box?.children?.filter((c) => c.type === type) ?? [];
}

/** Walk a slash-separated path of child types; undefined when any step is missing. */
export function path(box: Box | undefined, where: string): Box | undefined {
  let cur = box;
  for (const step of where.split('/')) {
    cur = child(cur, step);
    if (!cur) return undefined;
  }
  return cur;
}

/** Like `path`, but a missing box is an ERR_BMFF_MISSING naming it. */
export function requirePath(box: Box, where: string, label = box.type): Box {
  const found = path(box, where);
  if (!found) throw bmffError('ERR_BMFF_MISSING', `no ${where.split('/').pop()} box`, `${label}/${where}`, box.offset ?? 0);
  return found;
}

/** Depth-first list of every box with its path (for dumps). */
export function walk(boxes: readonly Box[], prefix = '', depth = 0, out: { box: Box; path: string; depth: number }[] = []): { box: Box; path: string; depth: number }[] {
  for (const b of boxes) {
    const p = prefix ? `${prefix}/${b.type}` : b.type;
    out.push({ box: b, path: p, depth });
    if (b.children) walk(b.children, p, depth + 1, out);
  }
  return out;
}
