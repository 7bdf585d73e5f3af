/**
 * Progress for long work, shown only when stderr is a TTY (never in pipes,
 * CI logs, --json or --quiet). ora is loaded lazily to keep start-up fast.
 */
import type { Output } from './output.js';

export interface Progress {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

const silent: Progress = { update() {}, succeed() {}, fail() {}, stop() {} };

export async function startProgress(out: Output, text: string): Promise<Progress> {
  if (!out.interactive) return silent;
  // A terminal that reports 0 columns (a pty without a size, e.g. under
  // `script`) makes ora count Infinity lines to clear and spin forever.
  const stream = out.io.stderr as Partial<NodeJS.WriteStream>;
  if (stream.columns !== undefined && !(stream.columns > 0)) return silent;
  // ora drives the cursor: anything short of a real tty.WriteStream gets no spinner.
  if (typeof stream.cursorTo !== 'function' || typeof stream.clearLine !== 'function') return silent;
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: out.io.stderr as NodeJS.WriteStream, isEnabled: true, color: 'cyan' }).start();
  let last = 0;
  // Progress is decoration: a rendering failure must never fail the operation.
  const safe = (f: () => void) => {
    try {
      f();
    } catch {
      // ignore
    }
  };
  return {
    update(t) {
      const now = Date.now();
      if (now - last < 80) return;
      last = now;
      safe(() => {
        spinner.text = t;
      });
    },
    succeed: (t) => safe(() => spinner.succeed(t)),
    fail: (t) => safe(() => spinner.fail(t)),
    stop: () => safe(() => spinner.stop()),
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
