package encode

import (
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/pkg/bits"
	"github.com/bluenviron/mediacommon/pkg/codecs/h264"
)

// The tests' own reader of P slices whose macroblocks are all skipped:
// every slice header field of ITU-T H.264 7.3.3 a P slice of a
// progressive stream can carry (with reordering commands, explicit
// weights and memory management operations, which x264 may write), then
// the slice data of 7.3.4 read back with mediacommon's bit reader and,
// for CABAC, an arithmetic decoding engine written from 9.3.1.2 and
// 9.3.3.2 apart from the encoding engine under test. It reads what the
// skip slice writer writes, and what x264 writes for a picture that did
// not change.

// readSlice is what readSkipSlice found.
type readSlice struct {
	RefIdc       uint8
	FirstMB      uint32
	SliceType    uint32
	PPSID        uint32
	FrameNum     uint32
	NumRefIdxL0  uint32 // num_ref_idx_l0_active_minus1 in force
	Override     bool
	Reordering   bool
	WeightDenom  uint32 // luma_log2_weight_denom
	Weighted     bool   // some explicit weight
	Adaptive     bool   // adaptive_ref_pic_marking_mode_flag
	CabacInitIdc uint32
	QPDelta      int32
	Deblocking   uint32 // disable_deblocking_filter_idc
	SkippedMBs   uint32 // macroblocks read, all P_Skip
	// DataStart is the byte where CABAC slice data begins in the RBSP,
	// DataEnd the bit after the stop bit.
	DataStart, DataEnd int
	// PaddingOnes counts 1 bits after the stop bit, where there must be
	// none.
	PaddingOnes int
	RBSP        []byte
}

var errNotAllSkipped = errors.New("a macroblock is not skipped")

// readSkipSlice reads a P slice NAL unit of the stream with sps and p, in
// which every macroblock from first_mb_in_slice to the end of the slice
// is skipped; mbs is PicSizeInMbs.
func readSkipSlice(nal []byte, sps *h264.SPS, p *pps) (readSlice, error) {
	var r readSlice
	if len(nal) < 2 || nal[0]&0x1f != 1 {
		return r, fmt.Errorf("not a non-IDR slice: % x", nal[:min(len(nal), 2)])
	}
	r.RefIdc = nal[0] >> 5
	b := h264.EmulationPreventionRemove(nal[1:])
	r.RBSP = b
	pos := 0
	var err error
	ue := func() uint32 {
		if err != nil {
			return 0
		}
		var v uint32
		v, err = bits.ReadGolombUnsigned(b, &pos)
		return v
	}
	se := func() int32 {
		if err != nil {
			return 0
		}
		var v int32
		v, err = bits.ReadGolombSigned(b, &pos)
		return v
	}
	u := func(n int) uint32 {
		if err != nil {
			return 0
		}
		var v uint64
		v, err = bits.ReadBits(b, &pos, n)
		return uint32(v)
	}
	r.FirstMB = ue()
	r.SliceType = ue()
	r.PPSID = ue()
	if r.SliceType%5 != 0 {
		return r, fmt.Errorf("slice_type %d is not P", r.SliceType)
	}
	if sps.PicOrderCntType != 2 || !sps.FrameMbsOnlyFlag {
		return r, errors.New("the reader knows only pic_order_cnt_type 2, progressive")
	}
	r.FrameNum = u(int(sps.Log2MaxFrameNumMinus4) + 4)
	if p.RedundantPicCntPresent {
		if cnt := ue(); cnt != 0 {
			return r, fmt.Errorf("redundant_pic_cnt %d", cnt)
		}
	}
	r.NumRefIdxL0 = p.NumRefIdxL0DefaultActiveMinus1
	if r.Override = u(1) == 1; r.Override {
		r.NumRefIdxL0 = ue()
	}
	if r.Reordering = u(1) == 1; r.Reordering {
		for err == nil {
			idc := ue()
			if idc == 3 {
				break
			}
			if idc > 5 {
				return r, fmt.Errorf("modification_of_pic_nums_idc %d", idc)
			}
			ue() // abs_diff_pic_num_minus1 or long_term_pic_num
		}
	}
	if p.WeightedPredFlag {
		r.WeightDenom = ue()
		chroma := sps.ChromaFormatIdc != 0
		if chroma {
			ue() // chroma_log2_weight_denom
		}
		for i := uint32(0); i <= r.NumRefIdxL0 && err == nil; i++ {
			if u(1) == 1 {
				r.Weighted = true
				se()
				se()
			}
			if chroma && u(1) == 1 {
				r.Weighted = true
				for range 4 {
					se()
				}
			}
		}
	}
	if r.RefIdc != 0 {
		if r.Adaptive = u(1) == 1; r.Adaptive {
			for err == nil {
				op := ue()
				if op == 0 {
					break
				}
				switch op {
				case 1, 2, 4, 6:
					ue()
				case 3:
					ue()
					ue()
				case 5:
				default:
					return r, fmt.Errorf("memory_management_control_operation %d", op)
				}
			}
		}
	}
	if p.EntropyCodingModeFlag {
		r.CabacInitIdc = ue()
	}
	r.QPDelta = se()
	if p.DeblockingFilterControlPresent {
		if r.Deblocking = ue(); r.Deblocking != 1 {
			se() // slice_alpha_c0_offset_div2
			se() // slice_beta_offset_div2
		}
	}
	if err != nil {
		return r, fmt.Errorf("slice header: %w", err)
	}
	if r.CabacInitIdc > 2 {
		return r, fmt.Errorf("cabac_init_idc %d", r.CabacInitIdc)
	}
	mbs := (sps.PicWidthInMbsMinus1 + 1) * (sps.PicHeightInMapUnitsMinus1 + 1)
	if r.FirstMB >= mbs {
		return r, fmt.Errorf("first_mb_in_slice %d of %d", r.FirstMB, mbs)
	}
	qp := 26 + p.PicInitQPMinus26 + r.QPDelta
	if qp < 0 || qp > 51 {
		return r, fmt.Errorf("slice QP %d", qp)
	}

	if !p.EntropyCodingModeFlag {
		// 7.3.4 with CAVLC: one mb_skip_run, then nothing but the
		// trailing bits.
		run := ue()
		if err != nil {
			return r, fmt.Errorf("mb_skip_run: %w", err)
		}
		if r.FirstMB+run > mbs || moreData(b, pos) {
			return r, errNotAllSkipped
		}
		r.SkippedMBs = run
		return r, trailingBits(b, pos)
	}

	for pos%8 != 0 {
		if u(1) != 1 {
			return r, errors.New("cabac_alignment_one_bit is 0")
		}
	}
	r.DataStart = pos / 8
	d := cabacDecoder{b: b, pos: pos}
	if err := d.init(); err != nil {
		return r, err
	}
	mn := [3][2]int{{23, 33}, {22, 25}, {29, 16}}[r.CabacInitIdc] // Table 9-13, ctxIdx 11
	state, mps := initState(mn[0], mn[1], int(qp))
	for mb := r.FirstMB; ; mb++ {
		if mb >= mbs {
			return r, errors.New("no end_of_slice_flag before the last macroblock")
		}
		skip, err := d.decision(&state, &mps)
		if err != nil {
			return r, err
		}
		if skip != 1 {
			return r, errNotAllSkipped
		}
		r.SkippedMBs++
		end, err := d.terminate()
		if err != nil {
			return r, err
		}
		if end == 1 {
			break
		}
	}
	// The last bit the engine took in is the rbsp_stop_one_bit: the
	// encoder's flush writes codILow whole with its last bit set, and the
	// decoder's 9-bit window ends there (9.3.4.5). Only the
	// rbsp_alignment_zero_bits follow, and cabac_zero_words.
	if d.pos == 0 || b[(d.pos-1)/8]&(0x80>>((d.pos-1)%8)) == 0 {
		return r, fmt.Errorf("the last bit of the CABAC data (bit %d) is not a stop bit", d.pos-1)
	}
	r.DataEnd = d.pos
	for i := d.pos; i < len(b)*8; i++ {
		if b[i/8]&(0x80>>(i%8)) != 0 {
			r.PaddingOnes++
		}
	}
	return r, nil
}

// initState is 9.3.1.1's initialisation of one context.
func initState(m, n, qp int) (state, mps int) {
	pre := ((m * min(max(qp, 0), 51)) >> 4) + n
	pre = min(max(pre, 1), 126)
	if pre <= 63 {
		return 63 - pre, 0
	}
	return pre - 64, 1
}

// cabacDecoder is the arithmetic decoding engine (9.3.1.2, 9.3.3.2).
type cabacDecoder struct {
	b      []byte
	pos    int
	rng    int
	offset int
}

func (d *cabacDecoder) bit() (int, error) {
	if d.pos >= len(d.b)*8 {
		return 0, errors.New("CABAC data ends early")
	}
	v := int(d.b[d.pos/8]>>(7-d.pos%8)) & 1
	d.pos++
	return v, nil
}

func (d *cabacDecoder) init() error {
	d.rng = 510
	for range 9 {
		v, err := d.bit()
		if err != nil {
			return err
		}
		d.offset = d.offset<<1 | v
	}
	if d.offset == 510 || d.offset == 511 {
		return errors.New("codIOffset 510 or 511 at initialisation")
	}
	return nil
}

func (d *cabacDecoder) renorm() error {
	for d.rng < 256 {
		v, err := d.bit()
		if err != nil {
			return err
		}
		d.rng <<= 1
		d.offset = d.offset<<1 | v
	}
	return nil
}

// decision is DecodeDecision (9.3.3.2.1); the state tables are the
// standard's Table 9-44 and 9-45, shared with the encoder and checked by
// ffmpeg decoding and by x264's own skip slices (skip_slice_test.go).
func (d *cabacDecoder) decision(state, mps *int) (int, error) {
	lps := int(rangeTabLPS[*state][(d.rng>>6)&3])
	d.rng -= lps
	bin := *mps
	if d.offset >= d.rng {
		bin = 1 - *mps
		d.offset -= d.rng
		d.rng = lps
		if *state == 0 {
			*mps = 1 - *mps
		}
		*state = int(transIdxLPS[*state])
	} else if *state < 62 {
		*state++
	}
	return bin, d.renorm()
}

// terminate is DecodeTerminate (9.3.3.2.2.3).
func (d *cabacDecoder) terminate() (int, error) {
	d.rng -= 2
	if d.offset >= d.rng {
		return 1, nil
	}
	return 0, d.renorm()
}

// moreData is more_rbsp_data() read independently: a 1 bit before the
// last 1 of the payload.
func moreData(b []byte, pos int) bool {
	last := -1
	for i := len(b)*8 - 1; i >= 0; i-- {
		if b[i/8]&(0x80>>(i%8)) != 0 {
			last = i
			break
		}
	}
	return pos < last
}

// trailingBits checks rbsp_trailing_bits from pos: a 1, then zeros.
func trailingBits(b []byte, pos int) error {
	if pos >= len(b)*8 || b[pos/8]&(0x80>>(pos%8)) == 0 {
		return fmt.Errorf("no rbsp_stop_one_bit at bit %d", pos)
	}
	for i := pos + 1; i < len(b)*8; i++ {
		if b[i/8]&(0x80>>(i%8)) != 0 {
			return fmt.Errorf("bit %d after the stop bit is 1", i)
		}
	}
	return nil
}
