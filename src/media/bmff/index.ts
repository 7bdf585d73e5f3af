/** ISO-BMFF boxes: one description per box, parsed and written by one interpreter. */
export type { Box, Field, ParseContext } from './fields.js';
export { BOX_TABLE, STREAMED_BOXES, type BoxSpec } from './boxes.js';
export { MAX_DEPTH, boxHeader, boxSize, parseBoxAt, parseBoxes, readBoxHeader, reparseBox, writeBox, writeBoxPayload, writeBoxes, type BoxHeader } from './codec.js';
export { bmffError, printable, type BmffErrorCode } from './errors.js';
export { child, children, path, requirePath, walk } from './tree.js';
export { bufferSource, loadBox, openFileSource, readTopLevelHeaders, MAX_LOADED_BOX, type ByteSource } from './source.js';
