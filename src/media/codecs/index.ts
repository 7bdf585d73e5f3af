/**
 * Codec knowledge for content protection: decoder configurations, codecs
 * strings and the subsample layout of video samples. Knows nothing of AES.
 */
export { parseAvcDecoderConfig, parseHevcDecoderConfig, audioCodecConfig } from './config.js';
export type { CodecConfig, AvcCodecConfig, HevcCodecConfig, AudioCodecConfig, NalLengthSize } from './config.js';
export { aacCodecString } from './aac.js';
export { videoSubsampleLayout, listNalUnits, createParameterSetState, SubsampleBuilder } from './subsamples.js';
export type { Subsample, SubsampleMode, NalUnitInfo, ParameterSetState } from './subsamples.js';
export type { ParsedAvcSps, ParsedAvcPps } from './h264.js';
export type { ParsedHevcVps, ParsedHevcSps, ParsedHevcPps } from './hevc.js';
export { avcCodecString } from './h264.js';
export { hevcCodecString } from './hevc.js';
