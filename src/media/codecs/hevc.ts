/**
 * HEVC (ITU-T H.265, ISO/IEC 23008-2) parameter sets and slice segment
 * headers: exactly enough to find where slice_segment_data() begins
 * (after byte_alignment(), §7.3.6.1), plus the HEVCDecoderConfigurationRecord
 * (ISO/IEC 14496-15 §8.3.3) and the codecs string of its Annex E.
 */
import { BitReader, codecError } from './bit-reader.js';

export const HEVC_NAL = { BLA_W_LP: 16, IDR_W_RADL: 19, IDR_N_LP: 20, CRA: 21, VPS: 32, SPS: 33, PPS: 34, AUD: 35, PREFIX_SEI: 39 } as const;

/** Slice segment NAL types: 0-9 (trailing, TSA, STSA, RADL, RASL) and 16-21 (IRAP). §7.4.2.2 Table 7-1. */
export function isHevcSliceType(t: number): boolean {
  return (t >= 0 && t <= 9) || (t >= 16 && t <= 21);
}

export interface ShortTermRps {
  deltaPocS0: number[];
  usedS0: boolean[];
  deltaPocS1: number[];
  usedS1: boolean[];
}

export interface ParsedHevcVps {
  id: number;
}

/** general_profile_space … general_level_idc of profile_tier_level(), §7.3.3. */
export interface ProfileTierLevel {
  profileSpace: number;
  tier: number;
  profileIdc: number;
  profileCompatibility: number;
  constraintFlags: Uint8Array;
  levelIdc: number;
}

export interface ParsedHevcSps extends ProfileTierLevel {
  id: number;
  vpsId: number;
  maxSubLayers: number;
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  chromaArrayType: number;
  width: number;
  height: number;
  log2MaxPocLsb: number;
  picSizeInCtbsY: number;
  sampleAdaptiveOffset: boolean;
  shortTermRps: ShortTermRps[];
  longTermRefPicsPresent: boolean;
  numLongTermRefPicsSps: number;
  usedByCurrPicLtSps: boolean[];
  temporalMvp: boolean;
}

export interface ParsedHevcPps {
  id: number;
  spsId: number;
  dependentSliceSegmentsEnabled: boolean;
  outputFlagPresent: boolean;
  numExtraSliceHeaderBits: number;
  cabacInitPresent: boolean;
  numRefIdxL0Default: number;
  numRefIdxL1Default: number;
  sliceChromaQpOffsetsPresent: boolean;
  weightedPred: boolean;
  weightedBipred: boolean;
  tilesEnabled: boolean;
  entropyCodingSync: boolean;
  loopFilterAcrossSlicesEnabled: boolean;
  deblockingFilterOverrideEnabled: boolean;
  ppsDeblockingFilterDisabled: boolean;
  listsModificationPresent: boolean;
  sliceSegmentHeaderExtensionPresent: boolean;
  chromaQpOffsetListEnabled: boolean;
}

export interface HevcParameterSets {
  vps: Map<number, ParsedHevcVps>;
  sps: Map<number, ParsedHevcSps>;
  pps: Map<number, ParsedHevcPps>;
}

const ceilLog2 = (n: number): number => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));

/** profile_tier_level(1, maxSubLayersMinus1), §7.3.3. */
function profileTierLevel(r: BitReader, maxSubLayersMinus1: number): ProfileTierLevel {
  const profileSpace = r.bits(2);
  const tier = r.bits(1);
  const profileIdc = r.bits(5);
  const profileCompatibility = r.bits(32);
  const constraintFlags = new Uint8Array(6);
  for (let i = 0; i < 6; i++) constraintFlags[i] = r.bits(8);
  const levelIdc = r.bits(8);
  const subProfile: boolean[] = [];
  const subLevel: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    subProfile.push(r.flag());
    subLevel.push(r.flag());
  }
  if (maxSubLayersMinus1 > 0) for (let i = maxSubLayersMinus1; i < 8; i++) r.bits(2); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (subProfile[i]) r.skip(88);
    if (subLevel[i]) r.skip(8);
  }
  return { profileSpace, tier, profileIdc, profileCompatibility, constraintFlags, levelIdc };
}

function scalingListData(r: BitReader): void {
  // §7.3.4
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (!r.flag()) {
        r.ueMax(matrixId, 'hevc scaling_list_pred_matrix_id_delta');
      } else {
        const coefNum = Math.min(64, 1 << (4 + (sizeId << 1)));
        if (sizeId > 1) r.seRange(-7, 247, 'hevc scaling_list_dc_coef_minus8');
        for (let i = 0; i < coefNum; i++) r.seRange(-128, 127, 'hevc scaling_list_delta_coef');
      }
    }
  }
}

/** st_ref_pic_set(stRpsIdx), §7.3.7, with the derivation of §7.4.8. */
function shortTermRefPicSet(r: BitReader, idx: number, sets: ShortTermRps[], numInSps: number): ShortTermRps {
  const inter = idx !== 0 && r.flag();
  if (inter) {
    const deltaIdx = idx === numInSps ? r.ueMax(idx - 1, 'hevc delta_idx_minus1') + 1 : 1;
    const sign = r.flag();
    const absDelta = r.ueMax(1 << 15, 'hevc abs_delta_rps_minus1') + 1;
    const deltaRps = sign ? -absDelta : absDelta;
    const ref = sets[idx - deltaIdx];
    if (!ref) throw codecError('INVALID', 'hevc st_ref_pic_set: reference set missing');
    const nNeg = ref.deltaPocS0.length;
    const nPos = ref.deltaPocS1.length;
    const used: boolean[] = [];
    const useDelta: boolean[] = [];
    for (let j = 0; j <= nNeg + nPos; j++) {
      const u = r.flag();
      used.push(u);
      useDelta.push(u ? true : r.flag());
    }
    const out: ShortTermRps = { deltaPocS0: [], usedS0: [], deltaPocS1: [], usedS1: [] };
    // (7-61)
    for (let j = nPos - 1; j >= 0; j--) {
      const d = ref.deltaPocS1[j]! + deltaRps;
      if (d < 0 && useDelta[nNeg + j]) {
        out.deltaPocS0.push(d);
        out.usedS0.push(used[nNeg + j]!);
      }
    }
    if (deltaRps < 0 && useDelta[nNeg + nPos]) {
      out.deltaPocS0.push(deltaRps);
      out.usedS0.push(used[nNeg + nPos]!);
    }
    for (let j = 0; j < nNeg; j++) {
      const d = ref.deltaPocS0[j]! + deltaRps;
      if (d < 0 && useDelta[j]) {
        out.deltaPocS0.push(d);
        out.usedS0.push(used[j]!);
      }
    }
    // (7-62)
    for (let j = nNeg - 1; j >= 0; j--) {
      const d = ref.deltaPocS0[j]! + deltaRps;
      if (d > 0 && useDelta[j]) {
        out.deltaPocS1.push(d);
        out.usedS1.push(used[j]!);
      }
    }
    if (deltaRps > 0 && useDelta[nNeg + nPos]) {
      out.deltaPocS1.push(deltaRps);
      out.usedS1.push(used[nNeg + nPos]!);
    }
    for (let j = 0; j < nPos; j++) {
      const d = ref.deltaPocS1[j]! + deltaRps;
      if (d > 0 && useDelta[nNeg + j]) {
        out.deltaPocS1.push(d);
        out.usedS1.push(used[nNeg + j]!);
      }
    }
    if (out.deltaPocS0.length > 16 || out.deltaPocS1.length > 16) throw codecError('INVALID', 'hevc st_ref_pic_set: too many pictures');
    return out;
  }
  const nNeg = r.ueMax(16, 'hevc num_negative_pics');
  const nPos = r.ueMax(16, 'hevc num_positive_pics');
  const out: ShortTermRps = { deltaPocS0: [], usedS0: [], deltaPocS1: [], usedS1: [] };
  let poc = 0;
  for (let i = 0; i < nNeg; i++) {
    poc -= r.ueMax(1 << 15, 'hevc delta_poc_s0_minus1') + 1;
    out.deltaPocS0.push(poc);
    out.usedS0.push(r.flag());
  }
  poc = 0;
  for (let i = 0; i < nPos; i++) {
    poc += r.ueMax(1 << 15, 'hevc delta_poc_s1_minus1') + 1;
    out.deltaPocS1.push(poc);
    out.usedS1.push(r.flag());
  }
  return out;
}

/** video_parameter_set_rbsp(): only the id matters for slices. `nal` includes the 2-byte NAL header. */
export function parseHevcVps(nal: Uint8Array): ParsedHevcVps {
  const r = new BitReader(nal, 2);
  return { id: r.bits(4) };
}

/** seq_parameter_set_rbsp() §7.3.2.2, up to sps_temporal_mvp_enabled_flag. */
export function parseHevcSps(nal: Uint8Array): ParsedHevcSps {
  const r = new BitReader(nal, 2);
  const vpsId = r.bits(4);
  const maxSubLayersMinus1 = r.bits(3);
  if (maxSubLayersMinus1 > 6) throw codecError('INVALID', 'hevc sps_max_sub_layers_minus1: value 7 is reserved');
  r.flag(); // sps_temporal_id_nesting_flag
  const ptl = profileTierLevel(r, maxSubLayersMinus1);
  const id = r.ueMax(15, 'hevc sps_seq_parameter_set_id');
  const chromaFormatIdc = r.ueMax(3, 'hevc chroma_format_idc');
  const separateColourPlane = chromaFormatIdc === 3 ? r.flag() : false;
  const picWidth = r.ueMax(1 << 16, 'hevc pic_width_in_luma_samples');
  const picHeight = r.ueMax(1 << 16, 'hevc pic_height_in_luma_samples');
  let conf = [0, 0, 0, 0];
  if (r.flag()) conf = [r.ue(), r.ue(), r.ue(), r.ue()];
  r.ueMax(8, 'hevc bit_depth_luma_minus8');
  r.ueMax(8, 'hevc bit_depth_chroma_minus8');
  const log2MaxPocLsb = r.ueMax(12, 'hevc log2_max_pic_order_cnt_lsb_minus4') + 4;
  const subLayerOrderingInfo = r.flag();
  for (let i = subLayerOrderingInfo ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    r.ueMax(16, 'hevc sps_max_dec_pic_buffering_minus1');
    r.ueMax(16, 'hevc sps_max_num_reorder_pics');
    r.ue(); // sps_max_latency_increase_plus1
  }
  const log2MinCb = r.ueMax(3, 'hevc log2_min_luma_coding_block_size_minus3') + 3;
  const log2DiffMaxMin = r.ueMax(3, 'hevc log2_diff_max_min_luma_coding_block_size');
  const log2Ctb = log2MinCb + log2DiffMaxMin;
  if (log2Ctb > 6) throw codecError('INVALID', `hevc CtbLog2SizeY ${log2Ctb} exceeds 6`);
  r.ue(); // log2_min_luma_transform_block_size_minus2
  r.ue(); // log2_diff_max_min_luma_transform_block_size
  r.ue(); // max_transform_hierarchy_depth_inter
  r.ue(); // max_transform_hierarchy_depth_intra
  if (r.flag() && r.flag()) scalingListData(r); // scaling_list_enabled_flag, sps_scaling_list_data_present_flag
  r.flag(); // amp_enabled_flag
  const sampleAdaptiveOffset = r.flag();
  if (r.flag()) {
    // pcm_enabled_flag
    r.bits(4);
    r.bits(4);
    r.ue();
    r.ue();
    r.flag();
  }
  const numStRps = r.ueMax(64, 'hevc num_short_term_ref_pic_sets');
  const shortTermRps: ShortTermRps[] = [];
  for (let i = 0; i < numStRps; i++) shortTermRps.push(shortTermRefPicSet(r, i, shortTermRps, numStRps));
  const longTermRefPicsPresent = r.flag();
  let numLongTermRefPicsSps = 0;
  const usedByCurrPicLtSps: boolean[] = [];
  if (longTermRefPicsPresent) {
    numLongTermRefPicsSps = r.ueMax(32, 'hevc num_long_term_ref_pics_sps');
    for (let i = 0; i < numLongTermRefPicsSps; i++) {
      r.bits(log2MaxPocLsb); // lt_ref_pic_poc_lsb_sps
      usedByCurrPicLtSps.push(r.flag());
    }
  }
  const temporalMvp = r.flag();
  const ctb = 1 << log2Ctb;
  const picSizeInCtbsY = Math.ceil(picWidth / ctb) * Math.ceil(picHeight / ctb);
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaFormatIdc === 1 || chromaFormatIdc === 2 ? 2 : 1;
  const subHeightC = chromaFormatIdc === 1 ? 2 : 1;
  return {
    id,
    vpsId,
    maxSubLayers: maxSubLayersMinus1 + 1,
    ...ptl,
    chromaFormatIdc,
    separateColourPlane,
    chromaArrayType,
    width: Math.max(0, picWidth - subWidthC * (conf[0]! + conf[1]!)),
    height: Math.max(0, picHeight - subHeightC * (conf[2]! + conf[3]!)),
    log2MaxPocLsb,
    picSizeInCtbsY,
    sampleAdaptiveOffset,
    shortTermRps,
    longTermRefPicsPresent,
    numLongTermRefPicsSps,
    usedByCurrPicLtSps,
    temporalMvp,
  };
}

/** pic_parameter_set_rbsp() §7.3.2.3 with pps_range_extension() §7.3.2.3.2. */
export function parseHevcPps(nal: Uint8Array): ParsedHevcPps {
  const r = new BitReader(nal, 2);
  const id = r.ueMax(63, 'hevc pps_pic_parameter_set_id');
  const spsId = r.ueMax(15, 'hevc pps_seq_parameter_set_id');
  const dependentSliceSegmentsEnabled = r.flag();
  const outputFlagPresent = r.flag();
  const numExtraSliceHeaderBits = r.bits(3);
  r.flag(); // sign_data_hiding_enabled_flag
  const cabacInitPresent = r.flag();
  const numRefIdxL0Default = r.ueMax(14, 'hevc num_ref_idx_l0_default_active_minus1') + 1;
  const numRefIdxL1Default = r.ueMax(14, 'hevc num_ref_idx_l1_default_active_minus1') + 1;
  r.se(); // init_qp_minus26
  r.flag(); // constrained_intra_pred_flag
  const transformSkipEnabled = r.flag();
  if (r.flag()) r.ue(); // cu_qp_delta_enabled_flag → diff_cu_qp_delta_depth
  r.se(); // pps_cb_qp_offset
  r.se(); // pps_cr_qp_offset
  const sliceChromaQpOffsetsPresent = r.flag();
  const weightedPred = r.flag();
  const weightedBipred = r.flag();
  r.flag(); // transquant_bypass_enabled_flag
  const tilesEnabled = r.flag();
  const entropyCodingSync = r.flag();
  if (tilesEnabled) {
    const cols = r.ueMax(1024, 'hevc num_tile_columns_minus1');
    const rows = r.ueMax(1024, 'hevc num_tile_rows_minus1');
    if (!r.flag()) {
      // uniform_spacing_flag
      for (let i = 0; i < cols; i++) r.ue();
      for (let i = 0; i < rows; i++) r.ue();
    }
    r.flag(); // loop_filter_across_tiles_enabled_flag
  }
  const loopFilterAcrossSlicesEnabled = r.flag();
  let deblockingFilterOverrideEnabled = false;
  let ppsDeblockingFilterDisabled = false;
  if (r.flag()) {
    // deblocking_filter_control_present_flag
    deblockingFilterOverrideEnabled = r.flag();
    ppsDeblockingFilterDisabled = r.flag();
    if (!ppsDeblockingFilterDisabled) {
      r.se();
      r.se();
    }
  }
  if (r.flag()) scalingListData(r); // pps_scaling_list_data_present_flag
  const listsModificationPresent = r.flag();
  r.ue(); // log2_parallel_merge_level_minus2
  const sliceSegmentHeaderExtensionPresent = r.flag();
  let chromaQpOffsetListEnabled = false;
  if (r.flag()) {
    // pps_extension_present_flag
    const range = r.flag();
    const multilayer = r.flag();
    const ext3d = r.flag();
    const scc = r.flag();
    r.bits(4); // pps_extension_4bits
    if (multilayer || ext3d || scc) {
      throw codecError('UNSUPPORTED', 'hevc: multilayer, 3D and screen-content PPS extensions are not supported');
    }
    if (range) {
      if (transformSkipEnabled) r.ue(); // log2_max_transform_skip_block_size_minus2
      r.flag(); // cross_component_prediction_enabled_flag
      chromaQpOffsetListEnabled = r.flag();
      if (chromaQpOffsetListEnabled) {
        r.ue(); // diff_cu_chroma_qp_offset_depth
        const n = r.ueMax(5, 'hevc chroma_qp_offset_list_len_minus1') + 1;
        for (let i = 0; i < n; i++) {
          r.se();
          r.se();
        }
      }
      r.ue(); // log2_sao_offset_scale_luma
      r.ue(); // log2_sao_offset_scale_chroma
    }
  }
  return {
    id,
    spsId,
    dependentSliceSegmentsEnabled,
    outputFlagPresent,
    numExtraSliceHeaderBits,
    cabacInitPresent,
    numRefIdxL0Default,
    numRefIdxL1Default,
    sliceChromaQpOffsetsPresent,
    weightedPred,
    weightedBipred,
    tilesEnabled,
    entropyCodingSync,
    loopFilterAcrossSlicesEnabled,
    deblockingFilterOverrideEnabled,
    ppsDeblockingFilterDisabled,
    listsModificationPresent,
    sliceSegmentHeaderExtensionPresent,
    chromaQpOffsetListEnabled,
  };
}

function predWeightTable(r: BitReader, chromaArrayType: number, l0: number, l1: number): void {
  // §7.3.6.3 (single layer: a reference picture never has the current POC, so every flag is present)
  r.ueMax(7, 'hevc luma_log2_weight_denom');
  if (chromaArrayType !== 0) r.seRange(-7, 7, 'hevc delta_chroma_log2_weight_denom');
  for (const n of [l0, l1]) {
    if (n === 0) continue;
    const luma: boolean[] = [];
    const chroma: boolean[] = [];
    for (let i = 0; i < n; i++) luma.push(r.flag());
    if (chromaArrayType !== 0) for (let i = 0; i < n; i++) chroma.push(r.flag());
    for (let i = 0; i < n; i++) {
      if (luma[i]) {
        r.se();
        r.se();
      }
      if (chroma[i]) for (let j = 0; j < 4; j++) r.se();
    }
  }
}

/**
 * Escaped byte length of slice_segment_header() §7.3.6.1 of the NAL unit at
 * data[start..end), counted after the
 * 2-byte NAL header and including byte_alignment(): the offset of
 * slice_segment_data() within the NAL payload.
 */
export function hevcSliceHeaderSize(data: Uint8Array, sets: HevcParameterSets, start = 0, end = data.length): number {
  const nalType = (data[start]! >> 1) & 0x3f;
  const r = new BitReader(data, start + 2, end);
  const firstSliceSegmentInPic = r.flag();
  if (nalType >= HEVC_NAL.BLA_W_LP && nalType <= 23) r.flag(); // no_output_of_prior_pics_flag
  const ppsId = r.ueMax(63, 'hevc slice_pic_parameter_set_id');
  const pps = sets.pps.get(ppsId);
  if (!pps) throw codecError('INVALID', `hevc slice: unknown pic_parameter_set_id ${ppsId}`);
  const sps = sets.sps.get(pps.spsId);
  if (!sps) throw codecError('INVALID', `hevc slice: unknown seq_parameter_set_id ${pps.spsId}`);
  let dependent = false;
  if (!firstSliceSegmentInPic) {
    if (pps.dependentSliceSegmentsEnabled) dependent = r.flag();
    r.bits(ceilLog2(sps.picSizeInCtbsY)); // slice_segment_address
  }
  if (!dependent) {
    r.skip(pps.numExtraSliceHeaderBits); // slice_reserved_flag[i]
    const sliceType = r.ueMax(2, 'hevc slice_type'); // 0 B, 1 P, 2 I
    if (pps.outputFlagPresent) r.flag(); // pic_output_flag
    if (sps.separateColourPlane) r.bits(2); // colour_plane_id
    let temporalMvp = false;
    let numPicTotalCurr = 0;
    if (nalType !== HEVC_NAL.IDR_W_RADL && nalType !== HEVC_NAL.IDR_N_LP) {
      r.bits(sps.log2MaxPocLsb); // slice_pic_order_cnt_lsb
      let rps: ShortTermRps | undefined;
      if (!r.flag()) {
        // short_term_ref_pic_set_sps_flag == 0: the set is coded here
        rps = shortTermRefPicSet(r, sps.shortTermRps.length, sps.shortTermRps, sps.shortTermRps.length);
      } else {
        if (sps.shortTermRps.length === 0) throw codecError('INVALID', 'hevc slice: no short-term RPS in the SPS');
        const idx = sps.shortTermRps.length > 1 ? r.bits(ceilLog2(sps.shortTermRps.length)) : 0;
        rps = sps.shortTermRps[idx];
        if (!rps) throw codecError('INVALID', `hevc slice: short_term_ref_pic_set_idx ${idx} out of range`);
      }
      for (const u of rps.usedS0) if (u) numPicTotalCurr++;
      for (const u of rps.usedS1) if (u) numPicTotalCurr++;
      if (sps.longTermRefPicsPresent) {
        const numLtSps = sps.numLongTermRefPicsSps > 0 ? r.ueMax(sps.numLongTermRefPicsSps, 'hevc num_long_term_sps') : 0;
        const numLtPics = r.ueMax(32, 'hevc num_long_term_pics');
        for (let i = 0; i < numLtSps + numLtPics; i++) {
          if (i < numLtSps) {
            const idx = sps.numLongTermRefPicsSps > 1 ? r.bits(ceilLog2(sps.numLongTermRefPicsSps)) : 0; // lt_idx_sps
            if (sps.usedByCurrPicLtSps[idx]) numPicTotalCurr++;
          } else {
            r.bits(sps.log2MaxPocLsb); // poc_lsb_lt
            if (r.flag()) numPicTotalCurr++; // used_by_curr_pic_lt_flag
          }
          if (r.flag()) r.ue(); // delta_poc_msb_present_flag → delta_poc_msb_cycle_lt
        }
      }
      if (sps.temporalMvp) temporalMvp = r.flag(); // slice_temporal_mvp_enabled_flag
    }
    let saoLuma = false;
    let saoChroma = false;
    if (sps.sampleAdaptiveOffset) {
      saoLuma = r.flag();
      if (sps.chromaArrayType !== 0) saoChroma = r.flag();
    }
    if (sliceType !== 2) {
      const isB = sliceType === 0;
      let l0 = pps.numRefIdxL0Default;
      let l1 = isB ? pps.numRefIdxL1Default : 0;
      if (r.flag()) {
        // num_ref_idx_active_override_flag
        l0 = r.ueMax(14, 'hevc num_ref_idx_l0_active_minus1') + 1;
        if (isB) l1 = r.ueMax(14, 'hevc num_ref_idx_l1_active_minus1') + 1;
      }
      if (pps.listsModificationPresent && numPicTotalCurr > 1) {
        // ref_pic_lists_modification() §7.3.6.2
        const bits = ceilLog2(numPicTotalCurr);
        if (r.flag()) for (let i = 0; i < l0; i++) r.bits(bits);
        if (isB && r.flag()) for (let i = 0; i < l1; i++) r.bits(bits);
      }
      if (isB) r.flag(); // mvd_l1_zero_flag
      if (pps.cabacInitPresent) r.flag(); // cabac_init_flag
      if (temporalMvp) {
        let collocatedFromL0 = true;
        if (isB) collocatedFromL0 = r.flag();
        if ((collocatedFromL0 && l0 > 1) || (!collocatedFromL0 && l1 > 1)) r.ue(); // collocated_ref_idx
      }
      if ((pps.weightedPred && sliceType === 1) || (pps.weightedBipred && isB)) {
        predWeightTable(r, sps.chromaArrayType, l0, l1);
      }
      r.ueMax(4, 'hevc five_minus_max_num_merge_cand');
    }
    r.se(); // slice_qp_delta
    if (pps.sliceChromaQpOffsetsPresent) {
      r.se();
      r.se();
    }
    if (pps.chromaQpOffsetListEnabled) r.flag(); // cu_chroma_qp_offset_enabled_flag
    let overrideDeblocking = false;
    if (pps.deblockingFilterOverrideEnabled) overrideDeblocking = r.flag();
    let deblockingDisabled = pps.ppsDeblockingFilterDisabled;
    if (overrideDeblocking) {
      deblockingDisabled = r.flag();
      if (!deblockingDisabled) {
        r.seRange(-6, 6, 'hevc slice_beta_offset_div2');
        r.seRange(-6, 6, 'hevc slice_tc_offset_div2');
      }
    }
    if (pps.loopFilterAcrossSlicesEnabled && (saoLuma || saoChroma || !deblockingDisabled)) r.flag();
  }
  if (pps.tilesEnabled || pps.entropyCodingSync) {
    const n = r.ueMax(sps.picSizeInCtbsY, 'hevc num_entry_point_offsets');
    if (n > 0) {
      const len = r.ueMax(31, 'hevc offset_len_minus1') + 1;
      for (let i = 0; i < n; i++) r.bits(len);
    }
  }
  if (pps.sliceSegmentHeaderExtensionPresent) {
    const n = r.ueMax(256, 'hevc slice_segment_header_extension_length');
    r.skip(n * 8);
  }
  // byte_alignment(): alignment_bit_equal_to_one then zeros up to the byte boundary
  if (!r.flag()) throw codecError('INVALID', 'hevc slice: byte_alignment() does not start with a one bit');
  while (!r.byteAligned) if (r.flag()) throw codecError('INVALID', 'hevc slice: non-zero alignment bit');
  return r.escapedBytesConsumed;
}

export interface HevcDecoderConfig {
  profileSpace: number;
  tier: number;
  profileIdc: number;
  profileCompatibility: number;
  constraintFlags: Uint8Array;
  levelIdc: number;
  nalLengthSize: 1 | 2 | 4;
  nals: { type: number; data: Uint8Array }[];
}

/** HEVCDecoderConfigurationRecord, ISO/IEC 14496-15 §8.3.3.1.2 (the hvcC payload). */
export function readHevcDecoderConfig(hvcC: Uint8Array): HevcDecoderConfig {
  if (hvcC.length < 23) throw codecError('TRUNCATED', `hvcC: expected at least 23 bytes, got ${hvcC.length}`);
  if (hvcC[0] !== 1) throw codecError('INVALID', `hvcC: configurationVersion ${hvcC[0]} is not 1`);
  const b1 = hvcC[1]!;
  const lengthSize = (hvcC[21]! & 3) + 1;
  if (lengthSize === 3) throw codecError('INVALID', 'hvcC: lengthSizeMinusOne 2 (3-byte NAL lengths) is not allowed');
  const numArrays = hvcC[22]!;
  let p = 23;
  const nals: { type: number; data: Uint8Array }[] = [];
  for (let a = 0; a < numArrays; a++) {
    if (p + 3 > hvcC.length) throw codecError('TRUNCATED', `hvcC: array ${a} past the end`);
    const type = hvcC[p]! & 0x3f;
    const count = (hvcC[p + 1]! << 8) | hvcC[p + 2]!;
    p += 3;
    for (let i = 0; i < count; i++) {
      if (p + 2 > hvcC.length) throw codecError('TRUNCATED', `hvcC: NAL unit ${i} of array ${a} past the end`);
      const n = (hvcC[p]! << 8) | hvcC[p + 1]!;
      p += 2;
      if (n < 2 || p + n > hvcC.length) throw codecError('TRUNCATED', `hvcC: NAL unit of ${n} bytes past the end`);
      nals.push({ type, data: hvcC.subarray(p, p + n) });
      p += n;
    }
  }
  return {
    profileSpace: b1 >> 6,
    tier: (b1 >> 5) & 1,
    profileIdc: b1 & 0x1f,
    profileCompatibility: ((hvcC[2]! << 24) | (hvcC[3]! << 16) | (hvcC[4]! << 8) | hvcC[5]!) >>> 0,
    constraintFlags: hvcC.slice(6, 12),
    levelIdc: hvcC[12]!,
    nalLengthSize: lengthSize as 1 | 2 | 4,
    nals,
  };
}

/**
 * ISO/IEC 14496-15 Annex E.3: hvc1.[A|B|C]profile.compat.[L|H]level.constraints,
 * compatibility flags bit-reversed in hex without leading zeros, constraint
 * bytes in hex with trailing zero bytes omitted.
 */
export function hevcCodecString(fourcc: string, c: Pick<HevcDecoderConfig, 'profileSpace' | 'tier' | 'profileIdc' | 'profileCompatibility' | 'constraintFlags' | 'levelIdc'>): string {
  const space = ['', 'A', 'B', 'C'][c.profileSpace] ?? '';
  let reversed = 0;
  for (let i = 0; i < 32; i++) if ((c.profileCompatibility >>> i) & 1) reversed |= 1 << (31 - i);
  const parts = [fourcc, `${space}${c.profileIdc}`, (reversed >>> 0).toString(16).toUpperCase(), `${c.tier ? 'H' : 'L'}${c.levelIdc}`];
  let last = c.constraintFlags.length;
  while (last > 0 && c.constraintFlags[last - 1] === 0) last--;
  for (let i = 0; i < last; i++) parts.push(c.constraintFlags[i]!.toString(16).toUpperCase()); // unpadded, as Shaka Packager writes them
  return parts.join('.');
}
