package encode

import (
	"errors"
	"fmt"
	"slices"

	"github.com/bluenviron/mediacommon/pkg/codecs/h264"
)

// skipSlice describes a P slice in which every macroblock is skipped
// (ITU-T H.264 7.3.3 slice_header, 7.3.4 slice_data). Each P_Skip
// macroblock takes its motion vector from its neighbours (8.4.1.1): the
// first row and column have none, so every vector is zero, and the
// picture is a copy of reference index 0, the last reference picture.
// Skipped macroblocks have no residual and, with equal references and
// zero vectors, no edge to deblock (8.7.2.1, bS = 0); the filter is
// turned off all the same where the PPS lets a slice say so.
//
// The fields from the SPS and PPS are those of the stream the slice joins:
// a slice header carries no length, so every field must be what a decoder
// of that stream expects. Only streams with pic_order_cnt_type 2 (no
// pic_order_cnt_lsb in the slice header), frame_mbs_only_flag 1 and one
// colour plane are described; newSkipSlice refuses others.
type skipSlice struct {
	// From the SPS.
	Log2MaxFrameNum uint8  // log2_max_frame_num_minus4 + 4: frame_num's width
	ChromaArrayType uint8  // 0 for monochrome: pred_weight_table has no chroma
	MBs             uint32 // PicSizeInMbs

	// From the PPS.
	PPSID                          uint32
	CABAC                          bool
	NumRefIdxL0DefaultActiveMinus1 uint32 // overridden to one reference when not 0
	WeightedPred                   bool
	DeblockingControl              bool
	RedundantPicCnt                bool
	PicInitQP                      int32 // 26 + pic_init_qp_minus26

	// Per slice.
	FrameNum     uint32
	RefIdc       uint8 // nal_ref_idc: 0 makes a non-reference picture
	QPDelta      int32 // slice_qp_delta: with CABAC it sets the initial probability state
	CabacInitIdc uint8 // 0..2
}

// newSkipSlice describes the skip slice of the stream whose parameter
// sets are sps and pps, or says why the stream cannot have one.
func newSkipSlice(sps *h264.SPS, p *pps) (skipSlice, error) {
	switch {
	case sps.PicOrderCntType != 2:
		return skipSlice{}, fmt.Errorf("pic_order_cnt_type %d (skip frames need 2, which x264 uses without B-frames)", sps.PicOrderCntType)
	case !sps.FrameMbsOnlyFlag:
		return skipSlice{}, errors.New("interlaced coding (frame_mbs_only_flag 0)")
	case sps.SeparateColourPlaneFlag:
		return skipSlice{}, errors.New("separate colour planes")
	case sps.Log2MaxFrameNumMinus4 > 12:
		return skipSlice{}, fmt.Errorf("log2_max_frame_num_minus4 %d", sps.Log2MaxFrameNumMinus4)
	case p.SPSID != sps.ID:
		return skipSlice{}, fmt.Errorf("PPS refers to SPS %d, not %d", p.SPSID, sps.ID)
	case p.NumSliceGroupsMinus1 != 0:
		return skipSlice{}, errors.New("slice groups")
	}
	return skipSlice{
		Log2MaxFrameNum: uint8(sps.Log2MaxFrameNumMinus4 + 4),
		// mediacommon infers 4:2:0 when the profile has no
		// chroma_format_idc; with one colour plane, ChromaArrayType is it.
		ChromaArrayType:                uint8(sps.ChromaFormatIdc),
		MBs:                            (sps.PicWidthInMbsMinus1 + 1) * (sps.PicHeightInMapUnitsMinus1 + 1),
		PPSID:                          p.ID,
		CABAC:                          p.EntropyCodingModeFlag,
		NumRefIdxL0DefaultActiveMinus1: p.NumRefIdxL0DefaultActiveMinus1,
		WeightedPred:                   p.WeightedPredFlag,
		DeblockingControl:              p.DeblockingFilterControlPresent,
		RedundantPicCnt:                p.RedundantPicCntPresent,
		PicInitQP:                      26 + p.PicInitQPMinus26,
		RefIdc:                         2,
	}, nil
}

// sliceQP is SliceQPY (7.4.3).
func (s *skipSlice) sliceQP() int32 { return s.PicInitQP + s.QPDelta }

// skipWriter writes skip slices into buffers it reuses, so that a repeated
// picture costs no allocation once the first has been written.
type skipWriter struct {
	w    rbspWriter
	cab  cabacEncoder
	rbsp []byte // the slice's RBSP

	// The CABAC slice data depends only on the macroblock count, the
	// slice QP and cabac_init_idc, and starts on a byte boundary: it is
	// written once for each combination in a row.
	data      []byte
	dataMBs   uint32
	dataQP    int32
	dataIdc   uint8
	dataW     rbspWriter
	dataValid bool
}

// appendNAL appends the slice as one NAL unit (header byte and payload
// with emulation prevention, no length or start code) to dst.
func (sw *skipWriter) appendNAL(dst []byte, s *skipSlice) ([]byte, error) {
	if s.Log2MaxFrameNum < 4 || s.Log2MaxFrameNum > 16 || s.FrameNum >= 1<<s.Log2MaxFrameNum {
		return dst, fmt.Errorf("encode: skip slice frame_num %d with log2_max_frame_num %d", s.FrameNum, s.Log2MaxFrameNum)
	}
	if qp := s.sliceQP(); qp < 0 || qp > 51 {
		return dst, fmt.Errorf("encode: skip slice QP %d out of range", qp)
	}
	if s.MBs == 0 || s.CabacInitIdc > 2 || s.RefIdc > 3 {
		return dst, fmt.Errorf("encode: skip slice with %d macroblocks, cabac_init_idc %d, nal_ref_idc %d", s.MBs, s.CabacInitIdc, s.RefIdc)
	}
	w := &sw.w
	w.reset(sw.rbsp)
	w.ue(0) // first_mb_in_slice
	w.ue(5) // slice_type: P, and every slice of the picture is P
	w.ue(s.PPSID)
	w.u(uint(s.Log2MaxFrameNum), s.FrameNum)
	// Neither idr_pic_id (not IDR) nor pic_order_cnt_lsb (type 2).
	if s.RedundantPicCnt {
		w.ue(0) // redundant_pic_cnt: the primary picture
	}
	// One reference: the last reference picture.
	if s.NumRefIdxL0DefaultActiveMinus1 != 0 {
		w.flag(true) // num_ref_idx_active_override_flag
		w.ue(0)      // num_ref_idx_l0_active_minus1
	} else {
		w.flag(false)
	}
	w.flag(false) // ref_pic_list_modification_flag_l0 (7.3.3.1)
	if s.WeightedPred {
		// pred_weight_table (7.3.3.2) with no explicit weight: the
		// default weight 1 << denom and offset 0 copy the reference
		// exactly (8.4.2.3).
		w.ue(0) // luma_log2_weight_denom
		if s.ChromaArrayType != 0 {
			w.ue(0) // chroma_log2_weight_denom
		}
		w.flag(false) // luma_weight_l0_flag[0]
		if s.ChromaArrayType != 0 {
			w.flag(false) // chroma_weight_l0_flag[0]
		}
	}
	if s.RefIdc != 0 {
		// dec_ref_pic_marking (7.3.3.3) of a non-IDR picture: sliding
		// window.
		w.flag(false) // adaptive_ref_pic_marking_mode_flag
	}
	if s.CABAC {
		w.ue(uint32(s.CabacInitIdc))
	}
	w.se(s.QPDelta)
	if s.DeblockingControl {
		w.ue(1) // disable_deblocking_filter_idc: off
	}

	if !s.CABAC {
		w.ue(s.MBs) // mb_skip_run: all of them, then nothing more
		w.trailing()
	} else {
		w.alignOnes() // cabac_alignment_one_bit
		w.b = append(w.b, sw.cabacData(s)...)
	}
	sw.rbsp = w.bytes()
	dst = append(dst, s.RefIdc<<5|byte(h264.NALUTypeNonIDR))
	return appendEscaped(dst, sw.rbsp), nil
}

// cabacData returns the CABAC-coded slice data of s, from its byte
// boundary to the end of the RBSP: mb_skip_flag 1 and end_of_slice_flag
// for each macroblock (7.3.4), then the alignment zero bits after the
// stop bit the engine's flush writes (9.3.4.5).
func (sw *skipWriter) cabacData(s *skipSlice) []byte {
	qp := s.sliceQP()
	if sw.dataValid && sw.dataMBs == s.MBs && sw.dataQP == qp && sw.dataIdc == s.CabacInitIdc {
		return sw.data
	}
	w := &sw.dataW
	w.reset(sw.data)
	mn := mbSkipFlagInit[s.CabacInitIdc]
	// Every neighbour is skipped or absent, so ctxIdxInc is always 0
	// (9.3.3.1.1.1) and one context serves the whole slice.
	ctx := newCabacContext(mn[0], mn[1], int(qp))
	sw.cab.start(w)
	for i := uint32(0); i < s.MBs; i++ {
		sw.cab.decision(&ctx, 1)
		if i == s.MBs-1 {
			sw.cab.terminate(1)
		} else {
			sw.cab.terminate(0)
		}
	}
	for !w.aligned() {
		w.u(1, 0) // rbsp_alignment_zero_bit
	}
	sw.data = w.bytes()
	sw.dataMBs, sw.dataQP, sw.dataIdc, sw.dataValid = s.MBs, qp, s.CabacInitIdc, true
	return sw.data
}

// appendFiller appends a filler data NAL unit (7.3.2.7) of exactly size
// bytes, header and trailing bits included (size >= 2): 0xFF bytes need
// no emulation prevention.
func appendFiller(dst []byte, size int) []byte {
	n := len(dst)
	dst = slices.Grow(dst, size)[:n+size]
	dst[n] = byte(h264.NALUTypeFillerData) // nal_ref_idc 0
	ff := dst[n+1 : n+size-1]
	if len(ff) > 0 {
		ff[0] = 0xff
		for k := 1; k < len(ff); k *= 2 { // doubling copies: memmove, not a byte loop
			copy(ff[k:], ff[:k])
		}
	}
	dst[n+size-1] = 0x80 // rbsp_trailing_bits
	return dst
}
