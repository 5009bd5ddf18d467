package encode

import (
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/pkg/bits"
	"github.com/bluenviron/mediacommon/pkg/codecs/h264"
)

// pps holds the fields of a picture parameter set (ITU-T H.264 7.3.2.2)
// up to redundant_pic_cnt_present_flag, and transform_8x8_mode_flag when
// present: what a P slice of skipped macroblocks depends on. The scaling
// matrices and second chroma QP offset after them concern coded residuals
// only and are not read.
type pps struct {
	ID, SPSID                          uint32
	EntropyCodingModeFlag              bool // CABAC
	BottomFieldPicOrderInFramePresent  bool
	NumSliceGroupsMinus1               uint32
	NumRefIdxL0DefaultActiveMinus1     uint32
	NumRefIdxL1DefaultActiveMinus1     uint32
	WeightedPredFlag                   bool
	WeightedBipredIdc                  uint8
	PicInitQPMinus26, PicInitQSMinus26 int32
	ChromaQPIndexOffset                int32
	DeblockingFilterControlPresent     bool
	ConstrainedIntraPredFlag           bool
	RedundantPicCntPresent             bool
	Transform8x8ModeFlag               bool
}

// parsePPS reads a PPS NAL unit (header byte included, emulation
// prevention bytes in place).
func parsePPS(nal []byte) (pps, error) {
	var p pps
	if len(nal) < 2 {
		return p, fmt.Errorf("encode: PPS of %d bytes", len(nal))
	}
	if t := h264.NALUType(nal[0] & 0x1f); t != h264.NALUTypePPS {
		return p, fmt.Errorf("encode: NAL unit type %d is not a PPS", t)
	}
	rbsp := h264.EmulationPreventionRemove(nal[1:])
	pos := 0
	var err error
	ue := func(dst *uint32) {
		if err == nil {
			*dst, err = bits.ReadGolombUnsigned(rbsp, &pos)
		}
	}
	se := func(dst *int32) {
		if err == nil {
			*dst, err = bits.ReadGolombSigned(rbsp, &pos)
		}
	}
	flag := func(dst *bool) {
		if err == nil {
			*dst, err = bits.ReadFlag(rbsp, &pos)
		}
	}
	ue(&p.ID)
	ue(&p.SPSID)
	flag(&p.EntropyCodingModeFlag)
	flag(&p.BottomFieldPicOrderInFramePresent)
	ue(&p.NumSliceGroupsMinus1)
	if err == nil && p.NumSliceGroupsMinus1 > 0 {
		// Slice group maps (FMO, Baseline only) are not read, and nothing
		// after them can be.
		return p, fmt.Errorf("encode: PPS with %d slice groups", p.NumSliceGroupsMinus1+1)
	}
	ue(&p.NumRefIdxL0DefaultActiveMinus1)
	ue(&p.NumRefIdxL1DefaultActiveMinus1)
	flag(&p.WeightedPredFlag)
	if err == nil {
		var v uint64
		v, err = bits.ReadBits(rbsp, &pos, 2)
		p.WeightedBipredIdc = uint8(v)
	}
	se(&p.PicInitQPMinus26)
	se(&p.PicInitQSMinus26)
	se(&p.ChromaQPIndexOffset)
	flag(&p.DeblockingFilterControlPresent)
	flag(&p.ConstrainedIntraPredFlag)
	flag(&p.RedundantPicCntPresent)
	if err != nil {
		return p, fmt.Errorf("encode: PPS truncated: %w", err)
	}
	if moreRBSPData(rbsp, pos) {
		if p.Transform8x8ModeFlag, err = bits.ReadFlag(rbsp, &pos); err != nil {
			return p, fmt.Errorf("encode: PPS truncated: %w", err)
		}
	}
	if p.NumRefIdxL0DefaultActiveMinus1 > 31 || p.NumRefIdxL1DefaultActiveMinus1 > 31 {
		return p, errors.New("encode: PPS num_ref_idx_default_active above 32")
	}
	if p.WeightedBipredIdc > 2 {
		return p, fmt.Errorf("encode: PPS weighted_bipred_idc %d", p.WeightedBipredIdc)
	}
	if qp := 26 + p.PicInitQPMinus26; qp < 0 || qp > 51 {
		return p, fmt.Errorf("encode: PPS pic_init_qp %d out of range", qp)
	}
	return p, nil
}

// moreRBSPData is more_rbsp_data() (7.2): whether anything but the
// rbsp_trailing_bits is left from bit pos.
func moreRBSPData(rbsp []byte, pos int) bool {
	last := len(rbsp) - 1
	for last >= 0 && rbsp[last] == 0 {
		last-- // cabac_zero_words, or a truncated payload
	}
	if last < 0 {
		return false
	}
	// The stop bit is the last 1 of the last non-zero byte.
	stop := last*8 + 7
	for b := rbsp[last]; b&1 == 0; b >>= 1 {
		stop--
	}
	return pos < stop
}
