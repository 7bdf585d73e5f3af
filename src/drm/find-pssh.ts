/**
 * Find 'pssh' boxes in an ISO-BMFF file (ISO/IEC 14496-12 §4.2 box
 * header; §8.1: pssh lives in 'moov' and 'moof'). A deliberately tiny,
 * bounded walker: it reads box headers only, descends into moov/moof, and
 * stops at a box limit. The full box library lives in src/media/bmff.
 */
import { KeysmithError } from '../errors.js';
import { MAX_PSSH_BOX_SIZE, parsePsshBox, type PsshBox } from './pssh-box.js';

/** Random access to the file's bytes. */
export interface ByteSource {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface FoundPssh {
  /** Path of containers, e.g. 'moov' or 'moof'. */
  path: string;
  offset: number;
  box: PsshBox;
}

const CONTAINERS = new Set(['moov', 'moof']);
export const MAX_BOXES_WALKED = 1_000_000;

export function bufferSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: async (o, n) => bytes.subarray(o, Math.min(bytes.length, o + n)) };
}

function mp4Error(message: string): KeysmithError {
  return new KeysmithError('ERR_PSSH_MP4', `mp4: ${message}`);
}

/** Walk boxes in [start, end); push pssh boxes found at depth ≤ 1 under moov/moof. */
export async function findPsshBoxes(src: ByteSource, options: { maxBoxes?: number } = {}): Promise<FoundPssh[]> {
  const found: FoundPssh[] = [];
  const maxBoxes = options.maxBoxes ?? MAX_BOXES_WALKED;
  let walked = 0;
  const walk = async (start: number, end: number, path: string, depth: number): Promise<void> => {
    let o = start;
    while (o < end) {
      if (++walked > maxBoxes) throw mp4Error(`more than ${maxBoxes} boxes`);
      if (end - o < 8) throw mp4Error(`${end - o} stray bytes at offset ${o} (a box header needs 8)`);
      const h = Buffer.from(await src.read(o, 16));
      let size = h.readUInt32BE(0);
      const type = h.toString('latin1', 4, 8);
      let header = 8;
      if (size === 1) {
        if (h.length < 16) throw mp4Error(`64-bit size of '${type}' at offset ${o} is cut off`);
        const large = h.readBigUInt64BE(8);
        if (large > BigInt(Number.MAX_SAFE_INTEGER)) throw mp4Error(`box '${type}' at offset ${o} is impossibly large`);
        size = Number(large);
        header = 16;
      } else if (size === 0) {
        size = end - o; // §4.2: box extends to the end of the file
      }
      if (!/^[\x20-\x7e]{4}$/.test(type)) throw mp4Error(`not an MP4 box at offset ${o} (type bytes ${h.subarray(4, 8).toString('hex')})`);
      if (size < header) throw mp4Error(`box '${type}' at offset ${o} has size ${size}, smaller than its header`);
      if (o + size > end) throw mp4Error(`box '${type}' at offset ${o} claims ${size} bytes, only ${end - o} left`);
      if (type === 'pssh') {
        if (size > MAX_PSSH_BOX_SIZE) throw mp4Error(`pssh box at offset ${o} is ${size} bytes`);
        found.push({ path: path || '/', offset: o, box: parsePsshBox(await src.read(o, size)) });
      } else if (CONTAINERS.has(type) && depth === 0) {
        await walk(o + header, o + size, type, depth + 1);
      }
      o += size;
    }
  };
  await walk(0, src.size, '', 0);
  return found;
}
