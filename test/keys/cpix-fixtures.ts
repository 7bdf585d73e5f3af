/**
 * The DASH-IF CPIX test vectors (github.com/Dash-Industry-Forum/cpix-test-vectors,
 * MIT, generated with Axinom.Cpix; copied to test/vectors/cpix with their
 * LICENSE and Readme.md listing the expected keys) and their private keys,
 * converted from PFX at test time with openssl into a temp dir.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPrivateKey, type KeyObject } from 'node:crypto';

export const CPIX_VECTORS = process.env.KEYSMITH_CPIX_VECTORS ?? fileURLToPath(new URL('../vectors/cpix/', import.meta.url));

export function vector(name: string): Buffer {
  return readFileSync(join(CPIX_VECTORS, name));
}

export function vectorsPresent(): boolean {
  return existsSync(join(CPIX_VECTORS, 'Readme.md'));
}

/** PEM private key of CertN.pfx (password = file name without extension). OpenSSL 3 may need -legacy. */
export function pfxToPem(name: string): { pemPath: string; key: KeyObject; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ks-cpix-pfx-'));
  const pemPath = join(dir, `${name}.pem`);
  const base = ['pkcs12', '-in', join(CPIX_VECTORS, `${name}.pfx`), '-nodes', '-passin', `pass:${name}`, '-out', pemPath];
  let r = spawnSync('openssl', base, { encoding: 'utf8' });
  if (r.status !== 0) r = spawnSync('openssl', [...base.slice(0, 1), '-legacy', ...base.slice(1)], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`openssl could not convert ${name}.pfx: ${r.stderr.trim()}`);
  }
  return { pemPath, key: createPrivateKey(readFileSync(pemPath)), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
