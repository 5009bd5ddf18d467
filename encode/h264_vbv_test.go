package encode

import "testing"

// TestVBVModel follows the model of the decoder's buffer through access
// units whose fill the test works out by hand: 8 kbit/s at one frame a
// second, a 16 kbit buffer that starts full.
func TestVBVModel(t *testing.T) {
	for _, filler := range []bool{true, false} {
		e := &H264{opts: H264Options{Bitrate: 8000, MaxBitrate: 8000, BufferSize: 16000, FrameRate: Rational{1, 1}}}
		e.rep.filler, e.rep.vbvOn, e.rep.vbv.init = filler, true, 1
		level := func() int64 { return e.rep.vbv.level / int64(e.opts.FrameRate.Num) }
		if !e.vbvRoom(2000) || e.vbvRoom(2001) {
			t.Fatal("a full 16 kbit buffer holds 2000 bytes and no more")
		}
		for i, c := range []struct {
			size          int   // bytes taken out
			fill          int   // bytes of filler, length included
			level         int64 // bits after
			levelNoFiller int64
		}{
			{4000, 0, 8000, 8000},    // 32 kbit out of 16: empty (x264's to avoid), then 8 in
			{100, 0, 15200, 15200},   // 8000 - 800 + 8000
			{100, 800, 16000, 16000}, // 15200 - 800 + 8000 = 22400: 6400 bits over
			{1, 999, 16000, 16000},   // 16000 - 8 + 8000: 7992 bits over
			{999, 6, 15960, 16000},   // 16000 - 7992 + 8000: 8 bits over, the smallest filler NAL unit
			{2000, 0, 8000, 8000},    // 15960 - 16000 empties it; 16000 - 16000 without filler
			{0, 0, 16000, 16000},     // an empty unit: 8000 in, full
		} {
			fill := e.vbvTake(c.size)
			wantFill, wantLevel := c.fill, c.level
			if !filler {
				wantFill, wantLevel = 0, c.levelNoFiller
			}
			if fill != wantFill || level() != wantLevel {
				t.Fatalf("filler %v, unit %d of %d bytes: filler %d bytes, level %d bits; want %d, %d",
					filler, i, c.size, fill, level(), wantFill, wantLevel)
			}
		}
	}
}
