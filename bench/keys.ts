/**
 * Benchmarks for keys and pssh (npx tsx bench/keys.ts). Each line prints our
 * throughput and the ratio against a peer measured in the same run:
 *   - CPIX import (Complex.xml: well-formedness check, tree, 9 XML signatures
 *     verified) vs fast-xml-parser parsing the same document (no checks);
 *   - pssh inspect of a Widevine+PlayReady+common set vs fast-xml-parser
 *     alone on the PlayReady header XML inside it;
 *   - PlayReady key seed derivation vs three bare node:crypto SHA-256 digests.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { KeyId } from '../src/crypto/index.js';
import { drmByName, inspectPsshBytes } from '../src/drm/index.js';
import { decodeXmlBytes } from '../src/drm/xml.js';
import { parseCpix } from '../src/keys/cpix.js';
import { derivePlayReadyContentKey, parseKeySeed } from '../src/keys/key-seed.js';

async function rate(fn: () => unknown | Promise<unknown>, ms = 1500): Promise<number> {
  for (let i = 0; i < 5; i++) await fn();
  let n = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(ms) * 1_000_000n;
  while (process.hrtime.bigint() < until) {
    await fn();
    n++;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

function line(name: string, ours: number, peerName: string, peer: number): void {
  console.log(`${name.padEnd(34)} ${ours.toFixed(0).padStart(9)} ops/s   ${peerName.padEnd(30)} ${peer.toFixed(0).padStart(9)} ops/s   ratio ${(ours / peer).toFixed(3)}`);
}

const complex = readFileSync(new URL('../test/vectors/cpix/Complex.xml', import.meta.url));
const complexText = decodeXmlBytes(complex);
const fxp = new XMLParser({ ignoreAttributes: false, processEntities: false });
line('cpix import Complex.xml', await rate(() => parseCpix(complex)), 'fast-xml-parser parse only', await rate(() => fxp.parse(complexText)));

const kids = [KeyId.parse('8ba94ade-6eb9-449d-b44f-a5beefaf43b0'), KeyId.parse('00112233445566778899aabbccddeeff')];
const ctx = { kids, scheme: 'cenc' as const, laUrl: 'https://pr.example.com/rightsmanager.asmx' };
const boxes = Buffer.concat(['widevine', 'playready', 'clearkey'].map((n) => drmByName(n).psshBox(ctx)!));
const prXml = Buffer.from(drmByName('playready').psshData(ctx)!.subarray(10)).toString('utf16le');
line('pssh inspect (3 boxes)', await rate(() => inspectPsshBytes(boxes)), 'fast-xml-parser on the WRMHEADER', await rate(() => fxp.parse(prXml)));

const seed = parseKeySeed('XVBovsmzhP9gRIZxWfFta3VVRPzVEWmJsazEJ46I');
const s30 = seed.subarray(0, 30);
const k = kids[0]!.guidBytes;
line(
  'key seed derivation',
  await rate(() => derivePlayReadyContentKey(seed, kids[0]!)),
  '3x node:crypto sha256',
  await rate(() => {
    createHash('sha256').update(s30).update(k).digest();
    createHash('sha256').update(s30).update(k).update(s30).digest();
    createHash('sha256').update(s30).update(k).update(s30).update(k).digest();
  }),
);
