/**
 * H.264 / AVC (ITU-T H.264, ISO/IEC 14496-10) parameter sets and slice
 * headers: exactly enough to find where slice_data() begins, which is where
 * CENC 'cbcs' starts protecting (ISO/IEC 23001-7 §10.4.2). Also the
 * AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3).
 */
import { BitReader, codecError } from './bit-reader.js';

export const AVC_NAL = { SLICE: 1, PARTITION_A: 2, IDR: 5, SEI: 6, SPS: 7, PPS: 8, AUD: 9 } as const;

export interface ParsedAvcSps {
  id: number;
  profileIdc: number;
  constraintFlags: number;
  levelIdc: number;
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  /** ChromaArrayType (§7.4.2.1.1): 0 if separate_colour_plane_flag, else chroma_format_idc. */
  chromaArrayType: number;
  log2MaxFrameNum: number;
  picOrderCntType: number;
  log2MaxPocLsb: number;
  deltaPicOrderAlwaysZero: boolean;
  frameMbsOnly: boolean;
  width: number;
  height: number;
}

export interface ParsedAvcPps {
  id: number;
  spsId: number;
  /** CABAC (true) or CAVLC. */
  entropyCodingMode: boolean;
  bottomFieldPicOrderInFramePresent: boolean;
  numSliceGroups: number;
  numRefIdxL0Default: number;
  numRefIdxL1Default: number;
  weightedPred: boolean;
  weightedBipredIdc: number;
  deblockingFilterControlPresent: boolean;
  redundantPicCntPresent: boolean;
}

/** Profiles whose SPS carries chroma_format_idc and friends (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function scalingList(r: BitReader, size: number): void {
  // §7.3.2.1.1.1
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = r.seRange(-128, 127, 'h264 delta_scale');
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

/** seq_parameter_set_rbsp() §7.3.2.1.1; `nal` includes the 1-byte NAL header. */
export function parseAvcSps(nal: Uint8Array): ParsedAvcSps {
  const r = new BitReader(nal, 1);
  const profileIdc = r.bits(8);
  const constraintFlags = r.bits(8);
  const levelIdc = r.bits(8);
  const id = r.ueMax(31, 'h264 seq_parameter_set_id');
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ueMax(3, 'h264 chroma_format_idc');
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    r.ueMax(6, 'h264 bit_depth_luma_minus8');
    r.ueMax(6, 'h264 bit_depth_chroma_minus8');
    r.flag(); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) {
      // seq_scaling_matrix_present_flag
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) if (r.flag()) scalingList(r, i < 6 ? 16 : 64);
    }
  }
  const log2MaxFrameNum = r.ueMax(12, 'h264 log2_max_frame_num_minus4') + 4;
  const picOrderCntType = r.ueMax(2, 'h264 pic_order_cnt_type');
  let log2MaxPocLsb = 0;
  let deltaPicOrderAlwaysZero = false;
  if (picOrderCntType === 0) {
    log2MaxPocLsb = r.ueMax(12, 'h264 log2_max_pic_order_cnt_lsb_minus4') + 4;
  } else if (picOrderCntType === 1) {
    deltaPicOrderAlwaysZero = r.flag();
    r.se(); // offset_for_non_ref_pic
    r.se(); // offset_for_top_to_bottom_field
    const n = r.ueMax(255, 'h264 num_ref_frames_in_pic_order_cnt_cycle');
    for (let i = 0; i < n; i++) r.se();
  }
  r.ueMax(32, 'h264 max_num_ref_frames');
  r.flag(); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ueMax(1 << 14, 'h264 pic_width_in_mbs_minus1') + 1;
  const heightMapUnits = r.ueMax(1 << 14, 'h264 pic_height_in_map_units_minus1') + 1;
  const frameMbsOnly = r.flag();
  if (!frameMbsOnly) r.flag(); // mb_adaptive_frame_field_flag
  r.flag(); // direct_8x8_inference_flag
  let crop = [0, 0, 0, 0];
  if (r.flag()) crop = [r.ue(), r.ue(), r.ue(), r.ue()];
  // §7.4.2.1.1: CropUnitX/CropUnitY
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaFormatIdc === 3 ? 1 : 2;
  const subHeightC = chromaFormatIdc === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
  const width = widthMbs * 16 - cropUnitX * (crop[0]! + crop[1]!);
  const height = heightMapUnits * 16 * (frameMbsOnly ? 1 : 2) - cropUnitY * (crop[2]! + crop[3]!);
  return {
    id,
    profileIdc,
    constraintFlags,
    levelIdc,
    chromaFormatIdc,
    separateColourPlane,
    chromaArrayType,
    log2MaxFrameNum,
    picOrderCntType,
    log2MaxPocLsb,
    deltaPicOrderAlwaysZero,
    frameMbsOnly,
    width: Math.max(0, width),
    height: Math.max(0, height),
  };
}

/** pic_parameter_set_rbsp() §7.3.2.2, up to redundant_pic_cnt_present_flag. */
export function parseAvcPps(nal: Uint8Array): ParsedAvcPps {
  const r = new BitReader(nal, 1);
  const id = r.ueMax(255, 'h264 pic_parameter_set_id');
  const spsId = r.ueMax(31, 'h264 seq_parameter_set_id');
  const entropyCodingMode = r.flag();
  const bottomFieldPicOrderInFramePresent = r.flag();
  const numSliceGroups = r.ueMax(7, 'h264 num_slice_groups_minus1') + 1;
  if (numSliceGroups > 1) {
    // Slice groups (FMO, Baseline only) change the slice header; Shaka Packager refuses them too.
    throw codecError('UNSUPPORTED', 'h264: slice groups (FMO) are not supported');
  }
  const numRefIdxL0Default = r.ueMax(31, 'h264 num_ref_idx_l0_default_active_minus1') + 1;
  const numRefIdxL1Default = r.ueMax(31, 'h264 num_ref_idx_l1_default_active_minus1') + 1;
  const weightedPred = r.flag();
  const weightedBipredIdc = r.bits(2);
  if (weightedBipredIdc === 3) throw codecError('INVALID', 'h264 weighted_bipred_idc: value 3 is reserved');
  r.se(); // pic_init_qp_minus26
  r.se(); // pic_init_qs_minus26
  r.se(); // chroma_qp_index_offset
  const deblockingFilterControlPresent = r.flag();
  r.flag(); // constrained_intra_pred_flag
  const redundantPicCntPresent = r.flag();
  return {
    id,
    spsId,
    entropyCodingMode,
    bottomFieldPicOrderInFramePresent,
    numSliceGroups,
    numRefIdxL0Default,
    numRefIdxL1Default,
    weightedPred,
    weightedBipredIdc,
    deblockingFilterControlPresent,
    redundantPicCntPresent,
  };
}

export interface AvcParameterSets {
  sps: Map<number, ParsedAvcSps>;
  pps: Map<number, ParsedAvcPps>;
}

function refPicListModification(r: BitReader): void {
  // §7.3.3.1: loop ends with modification_of_pic_nums_idc == 3
  if (!r.flag()) return;
  for (let i = 0; ; i++) {
    if (i > 64) throw codecError('INVALID', 'h264 ref_pic_list_modification: too many entries');
    const idc = r.ueMax(5, 'h264 modification_of_pic_nums_idc');
    if (idc === 3) return;
    if (idc === 4 || idc === 5) throw codecError('UNSUPPORTED', 'h264: MVC ref_pic_list modification');
    r.ue(); // abs_diff_pic_num_minus1 or long_term_pic_num
  }
}

function predWeightTable(r: BitReader, chromaArrayType: number, l0: number, l1: number): void {
  // §7.3.3.2
  r.ueMax(7, 'h264 luma_log2_weight_denom');
  if (chromaArrayType !== 0) r.ueMax(7, 'h264 chroma_log2_weight_denom');
  for (const n of [l0, l1]) {
    for (let i = 0; i < n; i++) {
      if (r.flag()) {
        r.se();
        r.se();
      }
      if (chromaArrayType !== 0 && r.flag()) {
        r.se();
        r.se();
        r.se();
        r.se();
      }
    }
  }
}

function decRefPicMarking(r: BitReader, idr: boolean): void {
  // §7.3.3.3
  if (idr) {
    r.flag(); // no_output_of_prior_pics_flag
    r.flag(); // long_term_reference_flag
    return;
  }
  if (!r.flag()) return; // adaptive_ref_pic_marking_mode_flag
  for (let i = 0; ; i++) {
    if (i > 66) throw codecError('INVALID', 'h264 dec_ref_pic_marking: too many operations');
    const mmco = r.ueMax(6, 'h264 memory_management_control_operation');
    if (mmco === 0) return;
    if (mmco === 1 || mmco === 3) r.ue(); // difference_of_pic_nums_minus1
    if (mmco === 2) r.ue(); // long_term_pic_num
    if (mmco === 3 || mmco === 6) r.ue(); // long_term_frame_idx
    if (mmco === 4) r.ue(); // max_long_term_frame_idx_plus1
  }
}

/**
 * Escaped byte length of slice_header() (§7.3.3) of a coded slice NAL
 * (types 1 and 5) at data[start..end), counted after the NAL header, rounded up to whole bytes;
 * with CABAC, cabac_alignment_one_bit (§7.3.4) fills that last byte, so the
 * result is exactly where slice_data() starts.
 */
export function avcSliceHeaderSize(data: Uint8Array, sets: AvcParameterSets, start = 0, end = data.length): number {
  const nalRefIdc = (data[start]! >> 5) & 3;
  const nalType = data[start]! & 0x1f;
  const idr = nalType === AVC_NAL.IDR;
  const r = new BitReader(data, start + 1, end);
  r.ue(); // first_mb_in_slice
  const sliceTypeRaw = r.ueMax(9, 'h264 slice_type');
  const sliceType = sliceTypeRaw % 5; // 0 P, 1 B, 2 I, 3 SP, 4 SI
  const ppsId = r.ueMax(255, 'h264 pic_parameter_set_id');
  const pps = sets.pps.get(ppsId);
  if (!pps) throw codecError('INVALID', `h264 slice: unknown pic_parameter_set_id ${ppsId}`);
  const sps = sets.sps.get(pps.spsId);
  if (!sps) throw codecError('INVALID', `h264 slice: unknown seq_parameter_set_id ${pps.spsId}`);
  if (sps.separateColourPlane) r.bits(2); // colour_plane_id
  r.bits(sps.log2MaxFrameNum); // frame_num
  let fieldPic = false;
  if (!sps.frameMbsOnly) {
    fieldPic = r.flag();
    if (fieldPic) r.flag(); // bottom_field_flag
  }
  if (idr) r.ue(); // idr_pic_id
  if (sps.picOrderCntType === 0) {
    r.bits(sps.log2MaxPocLsb); // pic_order_cnt_lsb
    if (pps.bottomFieldPicOrderInFramePresent && !fieldPic) r.se(); // delta_pic_order_cnt_bottom
  }
  if (sps.picOrderCntType === 1 && !sps.deltaPicOrderAlwaysZero) {
    r.se();
    if (pps.bottomFieldPicOrderInFramePresent && !fieldPic) r.se();
  }
  if (pps.redundantPicCntPresent) r.ueMax(127, 'h264 redundant_pic_cnt');
  const isP = sliceType === 0 || sliceType === 3;
  const isB = sliceType === 1;
  if (isB) r.flag(); // direct_spatial_mv_pred_flag
  let l0 = pps.numRefIdxL0Default;
  let l1 = pps.numRefIdxL1Default;
  if (isP || isB) {
    if (r.flag()) {
      // num_ref_idx_active_override_flag
      l0 = r.ueMax(31, 'h264 num_ref_idx_l0_active_minus1') + 1;
      if (isB) l1 = r.ueMax(31, 'h264 num_ref_idx_l1_active_minus1') + 1;
    }
  }
  // ref_pic_list_modification() (nal_unit_type 20/21 are not treated as slices here)
  if (sliceType !== 2 && sliceType !== 4) refPicListModification(r);
  if (isB) refPicListModification(r);
  if ((pps.weightedPred && isP) || (pps.weightedBipredIdc === 1 && isB)) {
    predWeightTable(r, sps.chromaArrayType, l0, isB ? l1 : 0);
  }
  if (nalRefIdc !== 0) decRefPicMarking(r, idr);
  if (pps.entropyCodingMode && sliceType !== 2 && sliceType !== 4) r.ueMax(2, 'h264 cabac_init_idc');
  r.se(); // slice_qp_delta
  if (sliceType === 3 || sliceType === 4) {
    if (sliceType === 3) r.flag(); // sp_for_switch_flag
    r.se(); // slice_qs_delta
  }
  if (pps.deblockingFilterControlPresent) {
    const idc = r.ueMax(2, 'h264 disable_deblocking_filter_idc');
    if (idc !== 1) {
      r.seRange(-6, 6, 'h264 slice_alpha_c0_offset_div2');
      r.seRange(-6, 6, 'h264 slice_beta_offset_div2');
    }
  }
  // (slice_group_change_cycle only with FMO, refused in the PPS parser)
  return r.escapedBytesConsumed;
}

export interface AvcDecoderConfig {
  version: number;
  profile: number;
  compatibility: number;
  level: number;
  nalLengthSize: 1 | 2 | 4;
  spsNals: Uint8Array[];
  ppsNals: Uint8Array[];
}

/** AVCDecoderConfigurationRecord, ISO/IEC 14496-15 §5.3.3.1.2 (the avcC payload). */
export function readAvcDecoderConfig(avcC: Uint8Array): AvcDecoderConfig {
  if (avcC.length < 7) throw codecError('TRUNCATED', `avcC: expected at least 7 bytes, got ${avcC.length}`);
  const version = avcC[0]!;
  if (version !== 1) throw codecError('INVALID', `avcC: configurationVersion ${version} is not 1`);
  const lengthSize = (avcC[4]! & 3) + 1;
  if (lengthSize === 3) throw codecError('INVALID', 'avcC: lengthSizeMinusOne 2 (3-byte NAL lengths) is not allowed');
  let p = 6;
  const take = (count: number, what: string): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      if (p + 2 > avcC.length) throw codecError('TRUNCATED', `avcC: ${what} ${i} length past the end`);
      const n = (avcC[p]! << 8) | avcC[p + 1]!;
      p += 2;
      if (n === 0 || p + n > avcC.length) throw codecError('TRUNCATED', `avcC: ${what} ${i} of ${n} bytes past the end`);
      out.push(avcC.subarray(p, p + n));
      p += n;
    }
    return out;
  };
  const spsNals = take(avcC[5]! & 0x1f, 'SPS');
  if (p >= avcC.length) throw codecError('TRUNCATED', 'avcC: numOfPictureParameterSets past the end');
  const ppsCount = avcC[p++]!;
  const ppsNals = take(ppsCount, 'PPS');
  return { version, profile: avcC[1]!, compatibility: avcC[2]!, level: avcC[3]!, nalLengthSize: lengthSize as 1 | 2 | 4, spsNals, ppsNals };
}

/** RFC 6381 §3.3: avc1.PPCCLL, from the avcC profile, compatibility and level bytes. */
export function avcCodecString(fourcc: string, profile: number, compatibility: number, level: number): string {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `${fourcc}.${h(profile)}${h(compatibility)}${h(level)}`;
}
