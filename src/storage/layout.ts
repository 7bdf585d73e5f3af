/**
 * Where the chunks of a stored file lie, computed from the header and the
 * file size alone (docs/storage-format.md §4.2). Impossible sizes are
 * rejected before any chunk is read.
 */
import { GCM_TAG } from '../crypto/index.js';
import type { Header } from './header.js';
import { tamperedError, truncatedError } from './errors.js';

export interface Layout {
  chunkSize: number;
  sealedChunkSize: number;
  payloadOffset: number;
  payloadLength: number;
  chunkCount: number;
  /** Sealed length of the final chunk (16..chunkSize+16). */
  finalSealedLength: number;
  plaintextSize: number;
}

export function layoutOf(header: Header, fileSize: number): Layout {
  const chunkSize = header.core.chunkSize;
  const sealed = chunkSize + GCM_TAG;
  const payloadLength = fileSize - header.length;
  if (payloadLength < GCM_TAG) throw truncatedError();
  const chunkCount = Math.ceil(payloadLength / sealed);
  const finalSealedLength = payloadLength - (chunkCount - 1) * sealed;
  if (finalSealedLength < GCM_TAG || (chunkCount > 1 && finalSealedLength === GCM_TAG)) throw tamperedError();
  return {
    chunkSize,
    sealedChunkSize: sealed,
    payloadOffset: header.length,
    payloadLength,
    chunkCount,
    finalSealedLength,
    plaintextSize: (chunkCount - 1) * chunkSize + finalSealedLength - GCM_TAG,
  };
}
