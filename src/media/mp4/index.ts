/** MP4 demux (sample index) and CMAF fragmenting. See docs/media-engine.md. */
export { buildTrackIndex, MAX_SAMPLES_PER_TRACK, type MovieIndex, type SampleAux, type SampleTable, type TrackInfo, type TrackKind } from './track-index.js';
export {
  buildInitSegment, buildMediaSegment, buildMediaSegmentParts, planFromFragments, planSegments, segmentTimes, segmentSpan, windowSource, readSamples, writeFragmentedMovie,
  type FragmentExtras, type FragmentedWriteOptions, type InitOptions, type MediaSegmentOptions, type SegmentPlan, type SegmentTime, type TrackHooks,
} from './fragmenter.js';
export { cencError, parseSeig, readTrackEncryption, parseSampleEncryption, type SampleAuxInfo, type SeigEntry, type TrackEncryptionInfo } from './encryption-info.js';
