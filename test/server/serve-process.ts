/** Run `keysmith serve` as a real process (bin/keysmith, i.e. dist/) and wait for its start line. */
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { BIN } from '../helpers/cli.js';

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  start: Record<string, any>;
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export async function startServe(t: TestContext, args: string[], cwd?: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, '--json', 'serve', '--port', '0', ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  // 'close', not 'exit': stdout and stderr are then fully read.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const start = await new Promise<Record<string, any>>((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer): void => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        child.stdout!.off('data', onData);
        try {
          resolve(JSON.parse(out.slice(0, nl)) as Record<string, any>);
        } catch (e) {
          reject(e);
        }
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
  });
  return { child, url: start.url as string, start, stderr: () => err, exited };
}
