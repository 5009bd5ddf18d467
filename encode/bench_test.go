package encode

import (
	"fmt"
	"image"
	"testing"
	"time"
)

var benchSizes = []struct{ w, h int }{{1280, 720}, {1920, 1080}}

func benchH264(b *testing.B, w, h int, img image.Image) {
	e, err := NewH264(H264Options{Width: w, Height: h})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	fd := time.Second / 30
	// Warm up past the first keyframe and any growth of internal buffers.
	for i := 0; i < 5; i++ {
		if _, err := e.Encode(img, time.Duration(i)*fd); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Encode(img, time.Duration(i+5)*fd); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

func BenchmarkH264(b *testing.B) {
	for _, s := range benchSizes {
		rgba := pattern(s.w, s.h, 1)
		ycc := image.NewYCbCr(image.Rect(0, 0, s.w, s.h), image.YCbCrSubsampleRatio420)
		rgbaToI420(ycc.Y, ycc.Cb, ycc.Cr, rgba.Pix, rgba.Stride, s.w, s.h, false)
		b.Run(fmt.Sprintf("YCbCr/%dp", s.h), func(b *testing.B) { benchH264(b, s.w, s.h, ycc) })
		b.Run(fmt.Sprintf("RGBA/%dp", s.h), func(b *testing.B) { benchH264(b, s.w, s.h, rgba) })
		b.Run(fmt.Sprintf("x264-alone/%dp", s.h), func(b *testing.B) { benchX264Alone(b, s.w, s.h, ycc) })
	}
}

func BenchmarkRGBAToI420(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(fmt.Sprintf("%dp", s.h), func(b *testing.B) {
			src := pattern(s.w, s.h, 1)
			y, cb, cr := make([]byte, s.w*s.h), make([]byte, s.w*s.h/4), make([]byte, s.w*s.h/4)
			b.ReportAllocs()
			b.SetBytes(int64(len(src.Pix)))
			for i := 0; i < b.N; i++ {
				rgbaToI420(y, cb, cr, src.Pix, src.Stride, s.w, s.h, false)
			}
		})
	}
}

func BenchmarkAAC(b *testing.B) {
	a, err := NewAAC(AACOptions{SampleRate: 48000, Channels: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	pcm := tone(48000, 2, AACFrameSamples, 0, 440)
	b.ReportAllocs()
	b.SetBytes(int64(len(pcm)))
	for i := 0; i < b.N; i++ {
		if _, err := a.Encode(pcm); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*AACFrameSamples/48000/b.Elapsed().Seconds(), "x-realtime")
}
