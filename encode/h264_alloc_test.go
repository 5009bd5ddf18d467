package encode

import (
	"image"
	"testing"
	"time"
)

// TestH264EncodeAllocs checks that an open encoder allocates nothing per
// picture for the input types that have a fast path, on each x264
// library, over more than one GOP.
func TestH264EncodeAllocs(t *testing.T) {
	forEachX264(t, func(t *testing.T, x *x264Lib) {
		const w, h = 320, 240
		rgba := pattern(w, h, 2)
		ycc := image.NewYCbCr(image.Rect(0, 0, w+16, h+8), image.YCbCrSubsampleRatio420)
		rgbaToI420Go(ycc.Y, ycc.Cb, ycc.Cr, rgba.Pix, rgba.Stride, w, h, false)
		for _, c := range []struct {
			name string
			img  image.Image
		}{
			{"RGBA", rgba},
			{"NRGBA", &image.NRGBA{Pix: rgba.Pix, Stride: rgba.Stride, Rect: rgba.Rect}},
			{"RGBA sub-image", pattern(w+8, h+2, 3).SubImage(image.Rect(4, 2, w+4, h+2))},
			{"YCbCr", ycc.SubImage(image.Rect(0, 0, w, h))},
			{"YCbCr padded sub-image", ycc.SubImage(image.Rect(16, 8, w+16, h+8))},
		} {
			t.Run(c.name, func(t *testing.T) {
				e := openH264(t, x, H264Options{Width: w, Height: h, KeyframeInterval: time.Second})
				fd := e.Options().FrameRate.FrameDuration()
				i := 0
				encode := func() {
					pk, err := e.Encode(c.img, time.Duration(i)*fd)
					if err != nil || len(pk) != 1 {
						t.Fatalf("picture %d: %d packets, %v", i, len(pk), err)
					}
					i++
				}
				for range 5 {
					encode()
				}
				// 100 pictures cross three keyframes, one of them forced.
				if n := testing.AllocsPerRun(100, func() {
					if i == 50 {
						e.ForceKeyframe()
					}
					encode()
				}); n != 0 {
					t.Fatalf("%v allocations per picture", n)
				}
			})
		}
	})
}
