package encode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/pkg/codecs/h264"
)

// skipSliceCases are skip slices spelt out bit by bit from 7.3.3 and
// 7.3.4: the whole RBSP for CAVLC; the header and the alignment bits for
// CABAC, whose arithmetic-coded data the reader checks, and x264's own
// skip slices match (TestSkipSliceMatchesX264). The same table seeds
// FuzzSkipSlice.
var skipSliceCases = []struct {
	name   string
	s      skipSlice
	header byte   // NAL header
	bits   string // RBSP (CAVLC), or its start up to the slice data (CABAC)
}{
	{
		"cavlc 64x48",
		skipSlice{Log2MaxFrameNum: 4, ChromaArrayType: 1, MBs: 12, DeblockingControl: true, PicInitQP: 26, FrameNum: 1, RefIdc: 2},
		0x41,
		"1 00110 1 0001" + // first_mb 0, slice_type 5, pps 0, frame_num 1
			"0 0 0" + // no override, no reordering, sliding window
			"1 010" + // slice_qp_delta 0, disable_deblocking_filter_idc 1
			"0001101 1", // mb_skip_run 12, rbsp_stop_one_bit
	},
	{
		"cavlc everything",
		skipSlice{Log2MaxFrameNum: 5, ChromaArrayType: 1, MBs: 99, PPSID: 1, NumRefIdxL0DefaultActiveMinus1: 1,
			WeightedPred: true, RedundantPicCnt: true, PicInitQP: 30, FrameNum: 9, RefIdc: 0, QPDelta: -3},
		0x01,
		"1 00110 010 01001" + // first_mb 0, slice_type 5, pps 1, frame_num 9
			"1 1 1 0" + // redundant_pic_cnt 0, override to one reference, no reordering
			"1 1 0 0" + // pred_weight_table: denominators 0, no luma or chroma weight
			"00111" + // no marking (nal_ref_idc 0), slice_qp_delta -3
			"0000001100100 1", // mb_skip_run 99
	},
	{
		"cavlc monochrome weights",
		skipSlice{Log2MaxFrameNum: 16, ChromaArrayType: 0, MBs: 1, WeightedPred: true, PicInitQP: 51, FrameNum: 0xfffe, RefIdc: 3, QPDelta: -51},
		0x61,
		"1 00110 1 1111111111111110" +
			"0 0" + // no override, no reordering
			"1 0" + // pred_weight_table without chroma
			"0" + // sliding window
			"0000001100111" + // slice_qp_delta -51
			"010 1", // mb_skip_run 1
	},
	{
		"cabac 1280x720",
		skipSlice{Log2MaxFrameNum: 4, ChromaArrayType: 1, MBs: 3600, CABAC: true, WeightedPred: true, DeblockingControl: true,
			PicInitQP: 26, FrameNum: 15, RefIdc: 2},
		0x41,
		"1 00110 1 1111" +
			"0 0 1 1 0 0 0" + // no override or reordering, weights 0 0 0 0, sliding window
			"1 1 010" + // cabac_init_idc 0, slice_qp_delta 0, deblocking off
			"1", // cabac_alignment_one_bit
	},
	{
		"cabac init 2 qp 51",
		skipSlice{Log2MaxFrameNum: 6, ChromaArrayType: 1, MBs: 8160, CABAC: true, PicInitQP: 20, FrameNum: 33, RefIdc: 1,
			QPDelta: 31, CabacInitIdc: 2},
		0x21,
		"1 00110 1 100001" +
			"0 0 0" +
			"011 00000111110" + // cabac_init_idc 2, slice_qp_delta 31
			"11", // cabac_alignment_one_bit
	},
}

// testStreamSets are the SPS and PPS a reader needs for s.
func testStreamSets(s *skipSlice) (*h264.SPS, *pps) {
	sps := &h264.SPS{
		Log2MaxFrameNumMinus4: uint32(s.Log2MaxFrameNum) - 4, PicOrderCntType: 2, FrameMbsOnlyFlag: true,
		ChromaFormatIdc: uint32(s.ChromaArrayType), PicWidthInMbsMinus1: s.MBs - 1,
	}
	return sps, &pps{
		ID: s.PPSID, EntropyCodingModeFlag: s.CABAC, NumRefIdxL0DefaultActiveMinus1: s.NumRefIdxL0DefaultActiveMinus1,
		WeightedPredFlag: s.WeightedPred, DeblockingFilterControlPresent: s.DeblockingControl,
		RedundantPicCntPresent: s.RedundantPicCnt, PicInitQPMinus26: s.PicInitQP - 26,
	}
}

// checkSkipSlice reads nal back with the tests' reader and compares it
// with what s says was written.
func checkSkipSlice(t testing.TB, nal []byte, s *skipSlice) readSlice {
	t.Helper()
	if bytes.Contains(nal, []byte{0, 0, 0}) || bytes.Contains(nal, []byte{0, 0, 1}) || bytes.Contains(nal, []byte{0, 0, 2}) {
		t.Fatalf("start code emulated in % x", nal)
	}
	sps, p := testStreamSets(s)
	r, err := readSkipSlice(nal, sps, p)
	if err != nil {
		t.Fatalf("reading % x: %v", nal[:min(len(nal), 32)], err)
	}
	want := readSlice{
		RefIdc: s.RefIdc, SliceType: 5, PPSID: s.PPSID, FrameNum: s.FrameNum, Override: s.NumRefIdxL0DefaultActiveMinus1 != 0,
		CabacInitIdc: uint32(s.CabacInitIdc), QPDelta: s.QPDelta, SkippedMBs: s.MBs,
		DataStart: r.DataStart, DataEnd: r.DataEnd, RBSP: r.RBSP,
	}
	if !s.CABAC {
		want.CabacInitIdc = 0
	}
	if s.DeblockingControl {
		want.Deblocking = 1
	}
	if got := fmt.Sprintf("%+v", r); got != fmt.Sprintf("%+v", want) {
		t.Fatalf("read back\n%+v\nwant\n%+v", r, want)
	}
	return r
}

func TestSkipSlice(t *testing.T) {
	for _, c := range skipSliceCases {
		t.Run(c.name, func(t *testing.T) {
			var sw skipWriter
			s := c.s
			nal, err := sw.appendNAL(nil, &s)
			if err != nil {
				t.Fatal(err)
			}
			if nal[0] != c.header {
				t.Fatalf("NAL header %#x, want %#x", nal[0], c.header)
			}
			rbsp := h264.EmulationPreventionRemove(nal[1:])
			want := fromBits(c.bits)
			if !s.CABAC && !bytes.Equal(rbsp, want) || s.CABAC && !bytes.HasPrefix(rbsp, want) {
				t.Fatalf("RBSP % x, want % x", rbsp, want)
			}
			r := checkSkipSlice(t, nal, &s)
			if s.CABAC && r.DataStart != len(want) {
				t.Fatalf("slice data starts at byte %d, want %d", r.DataStart, len(want))
			}
			t.Logf("%d macroblocks: %d bytes", s.MBs, len(nal))
		})
	}
	var sw skipWriter
	for _, c := range []struct {
		name string
		s    skipSlice
	}{
		{"frame_num too wide", skipSlice{Log2MaxFrameNum: 4, FrameNum: 16, MBs: 1, PicInitQP: 26}},
		{"log2 3", skipSlice{Log2MaxFrameNum: 3, MBs: 1, PicInitQP: 26}},
		{"QP", skipSlice{Log2MaxFrameNum: 4, MBs: 1, PicInitQP: 26, QPDelta: 26}},
		{"no macroblock", skipSlice{Log2MaxFrameNum: 4, PicInitQP: 26}},
		{"cabac_init_idc", skipSlice{Log2MaxFrameNum: 4, MBs: 1, PicInitQP: 26, CABAC: true, CabacInitIdc: 3}},
	} {
		if _, err := sw.appendNAL(nil, &c.s); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

// FuzzSkipSlice writes skip slices of any shape the writer accepts and
// reads them back with the tests' reader.
func FuzzSkipSlice(f *testing.F) {
	for _, c := range skipSliceCases {
		s := c.s
		var flags uint8
		for i, b := range []bool{s.WeightedPred, s.ChromaArrayType != 0, s.DeblockingControl, s.RedundantPicCnt} {
			if b {
				flags |= 1 << i
			}
		}
		f.Add(s.CABAC, s.Log2MaxFrameNum-4, s.FrameNum, uint16(s.MBs-1), uint8(s.PPSID), uint8(s.NumRefIdxL0DefaultActiveMinus1),
			flags, uint8(s.PicInitQP), int8(s.PicInitQP+s.QPDelta), s.RefIdc, s.CabacInitIdc)
	}
	var sw skipWriter
	f.Fuzz(func(t *testing.T, cabac bool, log2 uint8, frameNum uint32, mbs uint16, ppsID, refDefault, flags, picQP uint8,
		sliceQP int8, refIdc, idc uint8) {
		s := skipSlice{
			Log2MaxFrameNum:                4 + log2%13,
			MBs:                            1 + uint32(mbs)%8160,
			PPSID:                          uint32(ppsID),
			CABAC:                          cabac,
			NumRefIdxL0DefaultActiveMinus1: uint32(refDefault % 32),
			WeightedPred:                   flags&1 != 0,
			DeblockingControl:              flags&4 != 0,
			RedundantPicCnt:                flags&8 != 0,
			PicInitQP:                      int32(picQP % 52),
			RefIdc:                         refIdc % 4,
			CabacInitIdc:                   idc % 3,
		}
		if flags&2 != 0 {
			s.ChromaArrayType = 1
		}
		s.FrameNum = frameNum % (1 << s.Log2MaxFrameNum)
		s.QPDelta = (int32(sliceQP)%52+52)%52 - s.PicInitQP
		nal, err := sw.appendNAL(nil, &s)
		if err != nil {
			t.Fatal(err)
		}
		checkSkipSlice(t, nal, &s)
	})
}

// streamSets parses the SPS and PPS of an encoder's decoder
// configuration.
func streamSets(t testing.TB, e *H264) (*h264.SPS, *pps) {
	t.Helper()
	cfg := e.DecoderConfig()
	spsLen := int(cfg[6])<<8 | int(cfg[7])
	var sps h264.SPS
	if err := sps.Unmarshal(cfg[8 : 8+spsLen]); err != nil {
		t.Fatal(err)
	}
	p, err := parsePPS(configPPS(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	return &sps, &p
}

// avccNALs splits an AVCC access unit.
func avccNALs(t testing.TB, au []byte) [][]byte {
	t.Helper()
	var nals [][]byte
	for len(au) > 0 {
		if len(au) < 4 {
			t.Fatalf("%d bytes left after the last NAL unit", len(au))
		}
		n := int(binary.BigEndian.Uint32(au))
		if n == 0 || n > len(au)-4 {
			t.Fatalf("NAL unit of %d bytes in %d", n, len(au)-4)
		}
		nals = append(nals, au[4:4+n])
		au = au[4+n:]
	}
	return nals
}

// TestSkipSliceMatchesX264 has x264 encode the same picture again and
// again: once the picture has settled, x264 codes each P picture with
// every macroblock skipped. The slice data of each such slice must be,
// byte for byte, what the skip slice writer writes for the same number of
// macroblocks, slice QP and cabac_init_idc: x264's arithmetic coder and
// tables against ours. Threads 4 makes x264 cut each picture into slices
// (zerolatency uses sliced threads), which start mid-picture.
func TestSkipSliceMatchesX264(t *testing.T) {
	forEachX264(t, func(t *testing.T, x *x264Lib) {
		for _, o := range []H264Options{
			{Profile: "high"},
			{Profile: "high", Bitrate: 300 * Kbps},
			{Profile: "main", Preset: "ultrafast"},
			{Profile: "baseline"},
			{Profile: "high", Threads: 4},
			{Profile: "main", Threads: 3, Width: 176, Height: 144},
		} {
			t.Run(fmt.Sprintf("%s/%s/%d threads/%d kbit", o.Profile, o.Preset, o.Threads, o.Bitrate/Kbps), func(t *testing.T) {
				if o.Width == 0 {
					o.Width, o.Height = 320, 240
				}
				o.KeyframeInterval = 10 * time.Second
				e := openH264(t, x, o)
				sps, p := streamSets(t, e)
				// A flat picture: x264's IDR picture is exact, and nothing
				// is left to refine.
				img := image.NewRGBA(image.Rect(0, 0, o.Width, o.Height))
				for i := range img.Pix {
					img.Pix[i] = 0x80
				}
				pkts := encodeAll(t, e, 40, func(int) image.Image { return img })
				var sw skipWriter
				matched, slices := 0, 0
				for _, pk := range pkts[1:] {
					for _, nal := range avccNALs(t, pk.Data) {
						if nal[0]&0x1f != 1 {
							continue
						}
						slices++
						r, err := readSkipSlice(nal, sps, p)
						if errors.Is(err, errNotAllSkipped) {
							continue
						}
						if err != nil {
							t.Fatal(err)
						}
						s := skipSlice{MBs: r.SkippedMBs, PicInitQP: 26 + p.PicInitQPMinus26, QPDelta: r.QPDelta,
							CabacInitIdc: uint8(r.CabacInitIdc), Log2MaxFrameNum: 4, CABAC: p.EntropyCodingModeFlag}
						if s.CABAC {
							// x264 sets one bit of the alignment bits after
							// the stop bit at random (common/cabac.c,
							// x264_cabac_encode_flush): decoders never read
							// them, and they are left out of the comparison.
							theirs := bytes.Clone(r.RBSP[r.DataStart:])
							if r.PaddingOnes > 1 || len(theirs) != (r.DataEnd+7)/8-r.DataStart {
								t.Fatalf("x264's slice data ends at bit %d of %d, with %d ones after", r.DataEnd, len(r.RBSP)*8, r.PaddingOnes)
							}
							if r.DataEnd%8 != 0 {
								theirs[len(theirs)-1] &^= 0xff >> (r.DataEnd % 8)
							}
							if ours := sw.cabacData(&s); !bytes.Equal(ours, theirs) {
								t.Fatalf("%d macroblocks, QP %d, cabac_init_idc %d: ours % x, x264's % x",
									s.MBs, s.sliceQP(), s.CabacInitIdc, ours, theirs)
							}
						} else if r.SkippedMBs != s.MBs {
							t.Fatal("CAVLC run miscounted")
						}
						matched++
					}
				}
				t.Logf("%d of %d x264 slices were all skipped and matched", matched, slices)
				if matched < slices/2 {
					t.Fatalf("only %d of %d slices of a still picture were all skipped", matched, slices)
				}
			})
		}
	})
}

// TestSkipSlicesDecode appends skip slices of every slice QP and
// cabac_init_idc, reference and not, to an IDR picture of x264's, across
// frame_num's wrap-around: ffmpeg must decode every one, without an
// error, to exactly the IDR picture, and read each header as written.
func TestSkipSlicesDecode(t *testing.T) {
	forEachX264(t, func(t *testing.T, x *x264Lib) {
		for _, o := range []H264Options{
			{Profile: "high", Width: 64, Height: 48},
			{Profile: "high", Width: 200, Height: 120, Bitrate: 400 * Kbps},
			{Profile: "main", Preset: "ultrafast", Width: 176, Height: 144},
			{Profile: "baseline", Width: 320, Height: 240},
		} {
			t.Run(fmt.Sprintf("%s/%s/%dx%d", o.Profile, o.Preset, o.Width, o.Height), func(t *testing.T) {
				skipSlicesDecode(t, x, o, skipRun{seed: uint64(o.Width), n: 3 * 52})
			})
		}
	})
}

// skipDecodeOptions are the streams FuzzSkipSlicesDecode chooses from:
// CABAC (high and main profiles, constant quality and a bitrate) and
// CAVLC (baseline).
var skipDecodeOptions = []H264Options{
	{Profile: "high", Width: 64, Height: 48},
	{Profile: "main", Preset: "ultrafast", Width: 176, Height: 144},
	{Profile: "baseline", Width: 96, Height: 64},
	{Profile: "high", Width: 320, Height: 240, Bitrate: 300 * Kbps},
}

// FuzzSkipSlicesDecode fuzzes the skip slice writer against ffmpeg's
// decoder: for a stream x264 started, a run of skip slices whose slice
// QP, cabac_init_idc and reference marking the input chooses, which
// ffmpeg must decode, without an error, to x264's picture every time,
// reading each header as written. Each input runs ffmpeg twice, so a
// fuzzing run makes a few inputs a second:
//
//	go test -run XXX -fuzz FuzzSkipSlicesDecode -fuzztime 5m ./encode
func FuzzSkipSlicesDecode(f *testing.F) {
	f.Add(uint8(0), uint64(1), uint8(20), false)
	f.Add(uint8(2), uint64(7), uint8(40), true)
	f.Fuzz(func(t *testing.T, opt uint8, seed uint64, n uint8, randomQP bool) {
		x, err := linkedX264()
		if err != nil {
			t.Fatal(err)
		}
		o := skipDecodeOptions[int(opt)%len(skipDecodeOptions)]
		skipSlicesDecode(t, x, o, skipRun{seed: seed, n: 1 + int(n)%128, randomQP: randomQP})
	})
}

// skipRun is what skipSlicesDecode appends: n skip slices, with
// cabac_init_idc, reference marking and (with randomQP) the slice QP
// drawn from seed; otherwise the slice QP walks 1, 2, … 51, 0, 1 …
type skipRun struct {
	seed     uint64
	n        int
	randomQP bool
}

func skipSlicesDecode(t *testing.T, x *x264Lib, o H264Options, run skipRun) {
	e := openH264(t, x, o)
	if ok, why := e.SkipFrames(); !ok {
		t.Fatalf("no skip frames: %s", why)
	}
	pkts := encodeAll(t, e, 1, func(int) image.Image { return pattern(o.Width, o.Height, 3) })
	s := e.rep.slice
	rng := rand.New(rand.NewPCG(1, run.seed))
	var sw skipWriter
	var written []skipSlice
	prevRef := uint32(0)
	fd := o.FrameRate.FrameDuration()
	if o.FrameRate == (Rational{}) {
		fd = time.Second / 30
	}
	for i := 1; i <= run.n; i++ {
		qp := int32(i % 52)
		if run.randomQP {
			qp = rng.Int32N(52)
		}
		s.QPDelta = qp - s.PicInitQP
		s.CabacInitIdc = uint8(rng.IntN(3))
		s.RefIdc = uint8(1 + rng.IntN(3))
		if i%3 == 2 {
			s.RefIdc = 0 // never two in a row, as pic_order_cnt_type 2 requires
		}
		s.FrameNum = (prevRef + 1) & (1<<s.Log2MaxFrameNum - 1)
		if s.RefIdc != 0 {
			prevRef = s.FrameNum
		}
		nal, err := sw.appendNAL(binary.BigEndian.AppendUint32(nil, 0), &s)
		if err != nil {
			t.Fatal(err)
		}
		binary.BigEndian.PutUint32(nal, uint32(len(nal)-4))
		checkSkipSlice(t, nal[4:], &s)
		pts := time.Duration(i) * fd
		pkts = append(pkts, Packet{Data: nal, PTS: pts, DTS: pts, Skip: true})
		written = append(written, s)
	}
	path := writeFLV(t, e.DecoderConfig(), pkts)
	frames := decodeFrames(t, path, o.Width, o.Height)
	if len(frames) != len(pkts) {
		t.Fatalf("%d frames decoded of %d", len(frames), len(pkts))
	}
	for i, f := range frames[1:] {
		if !bytes.Equal(f, frames[0]) {
			t.Fatalf("skip frame %d (%+v) differs from the picture it repeats", i+1, written[i])
		}
	}
	if errs := decodeErrors(t, path); errs != "" {
		t.Fatalf("decode errors: %s", errs)
	}
	n := 0
	for _, u := range traceHeaders(t, path) {
		if u.Kind != "Slice Header" || u.Packet < 1 {
			continue
		}
		w := written[u.Packet-1]
		for _, f := range []struct {
			name string
			want int64
		}{
			{"nal_ref_idc", int64(w.RefIdc)},
			{"slice_type", 5},
			{"frame_num", int64(w.FrameNum)},
			{"slice_qp_delta", int64(w.QPDelta)},
			{"disable_deblocking_filter_idc", 1},
		} {
			if v, ok := u.Get(f.name); !ok || v != f.want {
				t.Fatalf("skip frame %d: ffmpeg reads %s %d (%v), want %d", u.Packet, f.name, v, ok, f.want)
			}
		}
		if v, ok := u.Get("cabac_init_idc"); ok != w.CABAC || ok && v != int64(w.CabacInitIdc) {
			t.Fatalf("skip frame %d: cabac_init_idc %d (%v), wrote %d", u.Packet, v, ok, w.CabacInitIdc)
		}
		n++
	}
	if n != len(written) {
		t.Fatalf("ffmpeg read %d skip slice headers of %d", n, len(written))
	}
}

// decodeFrames decodes the video of path to raw 4:2:0 pictures.
func decodeFrames(t testing.TB, path string, w, h int) [][]byte {
	t.Helper()
	// Every decoded picture once: no frame rate conversion.
	raw := run(t, "ffmpeg", "-v", "error", "-i", path, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
	size := w * h * 3 / 2
	if len(raw)%size != 0 {
		t.Fatalf("%d bytes of raw video is not a whole number of %dx%d pictures", len(raw), w, h)
	}
	var frames [][]byte
	for len(raw) > 0 {
		frames = append(frames, raw[:size])
		raw = raw[size:]
	}
	return frames
}

// decodeErrors decodes path with ffmpeg and returns what it complained
// about.
func decodeErrors(t testing.TB, path string) string {
	t.Helper()
	errs := runCombined(t, "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-")
	return string(bytes.TrimSpace(errs))
}

// TestAppendFiller: a filler data NAL unit (7.3.2.7) of exactly the size
// asked for: the header, 0xFF bytes, the trailing bits.
func TestAppendFiller(t *testing.T) {
	for _, size := range []int{2, 3, 4, 9, 1000, 10413} {
		got := appendFiller([]byte{0xaa}, size)
		if len(got) != 1+size || got[0] != 0xaa || got[1] != 0x0c || got[size] != 0x80 {
			t.Fatalf("size %d: % x…", size, got[:min(len(got), 8)])
		}
		if ff := got[2:size]; len(bytes.Trim(ff, "\xff")) != 0 {
			t.Fatalf("size %d: filler bytes other than 0xFF", size)
		}
	}
}
