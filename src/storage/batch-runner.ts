/**
 * Directory trees (docs/storage-format.md §6): plan the files of a tree
 * and their mirrored outputs (adding or stripping `.ks`), then run one
 * operation per file with at most `jobs` in flight. One failure never
 * stops the others; every outcome is reported.
 */
import { promises as fs } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fromSystemError } from '../errors.js';

export const KS_SUFFIX = '.ks';
/** Trees deeper than this are refused (hostile or looping layouts). */
export const MAX_TREE_DEPTH = 64;

export type BatchMode = 'encrypt' | 'decrypt';

export interface BatchItem {
  input: string;
  output: string;
  /** Path relative to the input root, for reports. */
  relative: string;
}

export interface Skipped {
  path: string;
  reason: string;
}

export interface BatchPlan {
  items: BatchItem[];
  skipped: Skipped[];
}

export function outputName(name: string, mode: BatchMode): string | undefined {
  if (mode === 'encrypt') return `${name}${KS_SUFFIX}`;
  return name.endsWith(KS_SUFFIX) && name.length > KS_SUFFIX.length ? name.slice(0, -KS_SUFFIX.length) : undefined;
}

function inside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

/** Walk `inRoot` (symlinks are not followed) and map each regular file under `outRoot`. */
export async function planTree(inRoot: string, outRoot: string, mode: BatchMode): Promise<BatchPlan> {
  const absIn = resolve(inRoot);
  const absOut = resolve(outRoot);
  const plan: BatchPlan = { items: [], skipped: [] };
  async function walk(dir: string, depth: number): Promise<void> {
    if (depth > MAX_TREE_DEPTH) {
      plan.skipped.push({ path: relative(absIn, dir), reason: `deeper than ${MAX_TREE_DEPTH} levels` });
      return;
    }
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (dir === absIn) throw fromSystemError(err, inRoot) ?? err;
      plan.skipped.push({ path: relative(absIn, dir), reason: fromSystemError(err)?.message ?? 'unreadable' });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      const rel = relative(absIn, p);
      // Never walk into the output tree when it lies inside the input tree.
      if (absOut !== absIn && inside(p, absOut)) continue;
      if (e.isDirectory()) await walk(p, depth + 1);
      else if (e.isFile()) {
        if (e.name.startsWith('.') && e.name.endsWith('.tmp')) continue;
        const name = outputName(e.name, mode);
        if (name === undefined) plan.skipped.push({ path: rel, reason: `no ${KS_SUFFIX} suffix` });
        else plan.items.push({ input: p, output: join(absOut, relative(absIn, dir), name), relative: rel });
      } else plan.skipped.push({ path: rel, reason: e.isSymbolicLink() ? 'symbolic link (not followed)' : 'not a regular file' });
    }
  }
  await walk(absIn, 0);
  return plan;
}

export type Outcome<R> = { item: BatchItem; ok: true; result: R } | { item: BatchItem; ok: false; error: unknown };

/** Run `op` on every item with at most `jobs` at once; results keep the items' order. */
export async function runBatch<R>(
  items: readonly BatchItem[],
  jobs: number,
  op: (item: BatchItem) => Promise<R>,
  onDone?: (outcome: Outcome<R>, finished: number) => void,
): Promise<Outcome<R>[]> {
  const results: Outcome<R>[] = new Array(items.length);
  let next = 0;
  let finished = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      const item = items[i]!;
      let outcome: Outcome<R>;
      try {
        await fs.mkdir(resolve(item.output, '..'), { recursive: true });
        outcome = { item, ok: true, result: await op(item) };
      } catch (error) {
        outcome = { item, ok: false, error };
      }
      results[i] = outcome;
      onDone?.(outcome, ++finished);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, () => worker()));
  return results;
}
