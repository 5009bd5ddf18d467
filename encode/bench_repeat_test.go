package encode

import (
	"fmt"
	"image"
	"testing"
	"time"
)

// BenchmarkRepeat measures a repeated picture, 720p and 1080p still at
// 2.5 Mbit/s CBR, preset veryfast, on each x264 library: x264 encoding it
// again at every frame (what every repeat cost before skip frames) against
// Repeat writing a skip frame, with the filler that keeps the bitrate
// constant and without it. No keyframe falls in the measured frames.
// cpu-us/frame is the process's CPU time, x264's threads included;
// bytes/frame what each frame sends.
func BenchmarkRepeat(b *testing.B) {
	for _, s := range benchSizes {
		ycc := image.NewYCbCr(image.Rect(0, 0, s.w, s.h), image.YCbCrSubsampleRatio420)
		src := pattern(s.w, s.h, 1)
		rgbaToI420(ycc.Y, ycc.Cb, ycc.Cr, src.Pix, src.Stride, s.w, s.h, false)
		for _, x := range benchX264Libs(b) {
			for _, c := range []struct {
				name     string
				skip     bool
				noFiller bool
			}{
				{"x264", false, false},
				{"skip", true, false},
				{"skip-no-filler", true, true},
			} {
				b.Run(fmt.Sprintf("%dp/%s/%s", s.h, c.name, x.info.Backend), func(b *testing.B) {
					e, err := newH264(H264Options{Width: s.w, Height: s.h, Bitrate: 2500 * Kbps, NoFiller: c.noFiller,
						KeyframeInterval: time.Hour}, x)
					if err != nil {
						b.Fatal(err)
					}
					defer e.Close()
					fd := time.Second / 30
					i := 0
					step := func() int {
						var pk []Packet
						var err error
						if i == 0 || !c.skip {
							pk, err = e.Encode(ycc, time.Duration(i)*fd)
						} else {
							pk, err = e.Repeat(ycc, time.Duration(i)*fd)
						}
						if err != nil || len(pk) != 1 || pk[0].Skip != (c.skip && i > 0) {
							b.Fatalf("frame %d: %d packets, %v", i, len(pk), err)
						}
						i++
						return len(pk[0].Data)
					}
					// Past the keyframe, and the refill of the decoder's buffer
					// after it, to the steady state.
					for range 60 {
						step()
					}
					b.ReportAllocs()
					cpu0 := cpuTime()
					bytes := 0
					for b.Loop() {
						bytes += step()
					}
					b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-us/frame")
					b.ReportMetric(float64(bytes)/float64(b.N), "bytes/frame")
				})
			}
		}
	}
}
