/**
 * External tools the interop tests drive (ffmpeg, openssl, chromium, redis …).
 * Outside CI a missing tool skips the test with a reason; with CI=true it
 * fails, because CI must prove interop, not skip it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const SHAKA_PACKAGER = fileURLToPath(new URL('../../node_modules/shaka-packager/bin/packager-linux-x64', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';

const cache = new Map<string, boolean>();

export function hasTool(command: string): boolean {
  const known = cache.get(command);
  if (known !== undefined) return known;
  const found = command.startsWith('/') ? existsSync(command) : spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
  cache.set(command, found);
  return found;
}

/**
 * Returns true when the tool is there. Otherwise skips the test (outside CI)
 * or throws (in CI) and returns false.
 */
export function requireTool(t: TestContext, command: string, install = `apt-get install ${command}`): boolean {
  if (hasTool(command)) return true;
  const message = `${command} is not installed (${install})`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${message}: CI must not skip interop tests`);
  t.skip(message);
  return false;
}
