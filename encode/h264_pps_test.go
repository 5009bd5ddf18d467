package encode

import (
	"bytes"
	"image"
	"strings"
	"testing"
	"time"
)

// fromBits packs a string of 0s and 1s (spaces ignored) into bytes, the
// last one padded with zeros: the test's own way to spell out a bit
// layout, apart from the writer under test.
func fromBits(s string) []byte {
	s = strings.ReplaceAll(s, " ", "")
	b := make([]byte, (len(s)+7)/8)
	for i, c := range s {
		if c == '1' {
			b[i/8] |= 0x80 >> (i % 8)
		}
	}
	return b
}

// ppsCases: PPS NAL units (ITU-T H.264 7.3.2.2) spelt out bit by bit, and
// what they hold. The same table seeds FuzzParsePPS.
var ppsCases = []struct {
	name string
	nal  []byte
	want pps
}{
	{
		// x264's high profile with weighted prediction and 8x8
		// transforms, pic_init_qp 23, chroma offset -2.
		"cabac high",
		append([]byte{0x68}, fromBits(
			"1 1 1 0 1 1 1"+ // pps 0, sps 0, CABAC, no bottom POC, 1 slice group, 1 ref l0, 1 ref l1
				"1 00"+ // weighted_pred_flag, weighted_bipred_idc 0
				"00111 1 00101"+ // pic_init_qp_minus26 -3, qs 0, chroma_qp_index_offset -2
				"1 0 0"+ // deblocking control, no constrained intra, no redundant_pic_cnt
				"1 0 00101"+ // transform_8x8_mode_flag, no scaling matrix, second offset -2
				"1")...), // rbsp_stop_one_bit
		pps{EntropyCodingModeFlag: true, WeightedPredFlag: true, PicInitQPMinus26: -3, ChromaQPIndexOffset: -2,
			DeblockingFilterControlPresent: true, Transform8x8ModeFlag: true},
	},
	{
		// Baseline: CAVLC, nothing after redundant_pic_cnt_present_flag.
		"cavlc baseline",
		append([]byte{0x68}, fromBits("1 1 0 0 1 1 1 0 00 1 1 1 1 0 0 1")...),
		pps{DeblockingFilterControlPresent: true},
	},
	{
		// Other ids, 3 default references, weighted bipred 2, QP 40,
		// constrained intra and redundant_pic_cnt present.
		"ids and references",
		append([]byte{0x68}, fromBits(
			"011 00100 0 1 1 00100 010"+ // pps 2, sps 3, CAVLC, bottom POC, 1 group, l0 4, l1 2
				"0 10"+ // no weighted_pred, weighted_bipred_idc 2
				"000011100 011 1"+ // pic_init_qp_minus26 +14, qs -1, chroma 0
				"0 1 1"+ // no deblocking control, constrained intra, redundant_pic_cnt
				"1")...),
		pps{ID: 2, SPSID: 3, BottomFieldPicOrderInFramePresent: true, NumRefIdxL0DefaultActiveMinus1: 3,
			NumRefIdxL1DefaultActiveMinus1: 1, WeightedBipredIdc: 2, PicInitQPMinus26: 14, PicInitQSMinus26: -1,
			ConstrainedIntraPredFlag: true, RedundantPicCntPresent: true},
	},
}

func TestParsePPS(t *testing.T) {
	for _, c := range ppsCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parsePPS(c.nal)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
	for _, c := range []struct {
		name string
		nal  []byte
		want string
	}{
		{"empty", nil, "PPS of 0 bytes"},
		{"not a PPS", []byte{0x67, 0xff}, "type 7 is not a PPS"},
		{"truncated", []byte{0x68, 0xe8}, "truncated"},
		{"slice groups", append([]byte{0x68}, fromBits("1 1 0 0 010 1")...), "2 slice groups"},
		{"QP", append([]byte{0x68}, fromBits("1 1 0 0 1 1 1 0 00 0000001000010 1 1 1 0 0 1")...), "pic_init_qp 59"},
	} {
		if _, err := parsePPS(c.nal); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %q", c.name, err, c.want)
		}
	}
}

// FuzzParsePPS: any bytes give a PPS or an error, never a panic.
func FuzzParsePPS(f *testing.F) {
	for _, c := range ppsCases {
		f.Add(c.nal)
	}
	f.Fuzz(func(t *testing.T, nal []byte) {
		p, err := parsePPS(nal)
		if err == nil && (p.NumSliceGroupsMinus1 != 0 || 26+p.PicInitQPMinus26 > 51) {
			t.Fatalf("accepted %+v", p)
		}
	})
}

// TestParsePPSOfX264 reads the PPS x264 writes for each profile and
// preset users pick, on each library, and compares every field with what
// ffmpeg's trace_headers reads from the same stream.
func TestParsePPSOfX264(t *testing.T) {
	forEachX264(t, func(t *testing.T, x *x264Lib) {
		for _, o := range []H264Options{
			{Profile: "baseline"},
			{Profile: "main", Preset: "ultrafast"},
			{Profile: "high"},
			{Profile: "high", Preset: "medium", Bitrate: 1 * Mbps},
			{Profile: "high", Preset: "slow", Tune: "film", BFrames: 3},
		} {
			t.Run(o.Profile+"/"+o.Preset, func(t *testing.T) {
				o.Width, o.Height, o.KeyframeInterval = 64, 48, time.Second
				e := openH264(t, x, o)
				pk := encodeAll(t, e, 2, func(i int) image.Image { return pattern(64, 48, i) })
				nal := configPPS(t, e.DecoderConfig())
				got, err := parsePPS(nal)
				if err != nil {
					t.Fatal(err)
				}
				var trace traceUnit
				for _, u := range traceHeaders(t, writeFLV(t, e.DecoderConfig(), pk)) {
					if u.Kind == "Picture Parameter Set" {
						trace = u
						break
					}
				}
				for _, f := range []struct {
					name string
					got  int64
				}{
					{"pic_parameter_set_id", int64(got.ID)},
					{"seq_parameter_set_id", int64(got.SPSID)},
					{"entropy_coding_mode_flag", b2i(got.EntropyCodingModeFlag)},
					{"bottom_field_pic_order_in_frame_present_flag", b2i(got.BottomFieldPicOrderInFramePresent)},
					{"num_slice_groups_minus1", int64(got.NumSliceGroupsMinus1)},
					{"num_ref_idx_l0_default_active_minus1", int64(got.NumRefIdxL0DefaultActiveMinus1)},
					{"num_ref_idx_l1_default_active_minus1", int64(got.NumRefIdxL1DefaultActiveMinus1)},
					{"weighted_pred_flag", b2i(got.WeightedPredFlag)},
					{"weighted_bipred_idc", int64(got.WeightedBipredIdc)},
					{"pic_init_qp_minus26", int64(got.PicInitQPMinus26)},
					{"pic_init_qs_minus26", int64(got.PicInitQSMinus26)},
					{"chroma_qp_index_offset", int64(got.ChromaQPIndexOffset)},
					{"deblocking_filter_control_present_flag", b2i(got.DeblockingFilterControlPresent)},
					{"constrained_intra_pred_flag", b2i(got.ConstrainedIntraPredFlag)},
					{"redundant_pic_cnt_present_flag", b2i(got.RedundantPicCntPresent)},
				} {
					if v, ok := trace.Get(f.name); !ok || v != f.got {
						t.Errorf("%s: ours %d, ffmpeg's %d (%v)", f.name, f.got, v, ok)
					}
				}
				if v, ok := trace.Get("transform_8x8_mode_flag"); (ok && v == 1) != got.Transform8x8ModeFlag {
					t.Errorf("transform_8x8_mode_flag: ours %v, ffmpeg's %d (%v)", got.Transform8x8ModeFlag, v, ok)
				}
				// ultrafast turns CABAC off in any profile.
				if want := o.Profile != "baseline" && o.Preset != "ultrafast"; got.EntropyCodingModeFlag != want {
					t.Errorf("profile %s, preset %s: CABAC %v", o.Profile, o.Preset, got.EntropyCodingModeFlag)
				}
			})
		}
	})
}

// configPPS returns the PPS of an AVCDecoderConfigurationRecord with one
// SPS and one PPS.
func configPPS(t testing.TB, cfg []byte) []byte {
	t.Helper()
	if len(cfg) < 8 {
		t.Fatalf("decoder configuration of %d bytes", len(cfg))
	}
	spsLen := int(cfg[6])<<8 | int(cfg[7])
	at := 8 + spsLen + 1
	ppsLen := int(cfg[at])<<8 | int(cfg[at+1])
	return bytes.Clone(cfg[at+2 : at+2+ppsLen])
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
