package encode

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/bluenviron/mediacommon/pkg/bits"
	"github.com/bluenviron/mediacommon/pkg/codecs/h264"
)

// frameNumCases rewrite frame_num (16 bits here) in slice NAL units whose
// escaping changes with it: emulation prevention bytes appear, go, or sit
// just after the bytes that change.
var frameNumCases = []struct {
	name     string
	nal      string // before, escaped
	frameNum uint32
	want     string // after, escaped
}{
	// RBSP 9b ff fe 01 80: first_mb 0, slice_type 5, pps 0, frame_num
	// 0xffff, then data.
	{"escape appears", "41 9b ff fe 01 80", 0, "41 9a 00 00 03 01 80"},
	{"escape goes", "41 9a 00 00 03 01 80", 0xffff, "41 9b ff fe 01 80"},
	{"escapes after", "41 9b ff fe 00 00 03 01 80", 0, "41 9a 00 00 03 00 00 03 01 80"},
	{"escape kept after", "41 9a 00 00 03 00 00 03 01 80", 0x8001, "41 9b 00 02 00 00 03 01 80"},
	{"same value", "41 9b ff fe 01 80", 0xffff, "41 9b ff fe 01 80"},
}

func TestFrameNumRewrite(t *testing.T) {
	for _, c := range frameNumCases {
		t.Run(c.name, func(t *testing.T) {
			nal, _ := hex.DecodeString(stripSpaces(c.nal))
			want, _ := hex.DecodeString(stripSpaces(c.want))
			s, _, err := parseSliceStart(nil, nal, 16)
			if err != nil {
				t.Fatal(err)
			}
			if s.FirstMB != 0 || s.SliceType != 5 || s.PPSID != 0 || s.RefIdc != 2 || s.IDR || s.frameNumBit != 7 {
				t.Fatalf("read %+v", s)
			}
			got, _, err := appendWithFrameNum([]byte{0xaa}, nil, nal, s, 16, c.frameNum)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[1:], want) || got[0] != 0xaa {
				t.Fatalf("got % x, want aa % x", got, want)
			}
			checkFrameNum(t, nal, got[1:], 16, 7, c.frameNum)
		})
	}
}

// checkFrameNum compares two slice NAL units with mediacommon's reader:
// after removing emulation prevention, they are the same but for the
// frame_num bits at pos, which in after hold frameNum.
func checkFrameNum(t testing.TB, before, after []byte, width uint8, pos int, frameNum uint32) {
	t.Helper()
	if before[0] != after[0] {
		t.Fatalf("NAL header %#x became %#x", before[0], after[0])
	}
	rb, ra := h264.EmulationPreventionRemove(before[1:]), h264.EmulationPreventionRemove(after[1:])
	if len(rb) != len(ra) {
		t.Fatalf("payload of %d bytes became %d", len(rb), len(ra))
	}
	p := pos
	v, err := bits.ReadBits(ra, &p, int(width))
	if err != nil || uint32(v) != frameNum {
		t.Fatalf("frame_num reads %d, %v; want %d", v, err, frameNum)
	}
	for i := range len(rb) * 8 {
		if i >= pos && i < pos+int(width) {
			continue
		}
		if (rb[i/8]^ra[i/8])&(0x80>>(i%8)) != 0 {
			t.Fatalf("bit %d changed", i)
		}
	}
	if bytes.Contains(after[1:], []byte{0, 0, 0}) || bytes.Contains(after[1:], []byte{0, 0, 1}) || bytes.Contains(after[1:], []byte{0, 0, 2}) {
		t.Fatalf("start code emulated in % x", after)
	}
}

// FuzzFrameNumRewrite rewrites frame_num in any slice NAL unit the parser
// accepts: only those bits may change, and the escaping must stay valid.
func FuzzFrameNumRewrite(f *testing.F) {
	for _, c := range frameNumCases {
		nal, _ := hex.DecodeString(stripSpaces(c.nal))
		f.Add(nal, uint8(12), c.frameNum)
	}
	f.Fuzz(func(t *testing.T, rbsp []byte, log2 uint8, frameNum uint32) {
		width := 4 + log2%13
		frameNum &= 1<<width - 1
		// Any payload, escaped as a writer must, in a slice NAL unit.
		nal := appendEscaped([]byte{0x41}, rbsp)
		s, _, err := parseSliceStart(nil, nal, width)
		if err != nil {
			return
		}
		after, _, err := appendWithFrameNum(nil, nil, nal, s, width, frameNum)
		if err != nil {
			return // no non-zero byte after frame_num: not a slice
		}
		checkFrameNum(t, nal, after, width, s.frameNumBit, frameNum)
	})
}
