package encode

import (
	"fmt"
	"image"
	"math"
	"strings"
	"testing"
	"time"
)

var benchSizes = []struct{ w, h int }{{1280, 720}, {1920, 1080}}

// benchX264Libs are the x264 libraries to measure: the linked one and,
// when one loads, a system libx264.
func benchX264Libs(b *testing.B) []*x264Lib {
	linked, err := linkedX264()
	if err != nil {
		b.Fatal(err)
	}
	libs := []*x264Lib{linked}
	if sys, err := loadX264(x264SystemNames...); err == nil && linkedBackend != X264Linked {
		libs = append(libs, sys)
	}
	return libs
}

func benchH264(b *testing.B, x *x264Lib, w, h int, img image.Image) {
	e, err := newH264(H264Options{Width: w, Height: h}, x)
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

// BenchmarkH264 measures each input path on each x264 library; the
// library is the last part of the name (YCbCr/720p/system).
func BenchmarkH264(b *testing.B) {
	libs := benchX264Libs(b)
	for _, s := range benchSizes {
		rgba := pattern(s.w, s.h, 1)
		ycc := image.NewYCbCr(image.Rect(0, 0, s.w, s.h), image.YCbCrSubsampleRatio420)
		rgbaToI420(ycc.Y, ycc.Cb, ycc.Cr, rgba.Pix, rgba.Stride, s.w, s.h, false)
		for _, x := range libs {
			name := func(path string) string { return fmt.Sprintf("%s/%dp/%s", path, s.h, x.info.Backend) }
			b.Run(name("YCbCr"), func(b *testing.B) { benchH264(b, x, s.w, s.h, ycc) })
			b.Run(name("RGBA"), func(b *testing.B) { benchH264(b, x, s.w, s.h, rgba) })
			b.Run(name("x264-alone"), func(b *testing.B) { benchX264Alone(b, x, s.w, s.h, ycc) })
		}
	}
}

// BenchmarkH264Moving encodes 720p content that moves (a textured
// picture panned across, 60 distinct frames in a loop) at 2.5 Mbit/s
// ABR, preset veryfast, on each x264 library: unlike the still picture
// of BenchmarkH264, x264 has motion to search. cpu-ms/frame is the
// process's CPU time, x264's threads included.
func BenchmarkH264Moving(b *testing.B) {
	const w, h, n = 1280, 720, 60
	tex := image.NewYCbCr(image.Rect(0, 0, w+128, h+128), image.YCbCrSubsampleRatio420)
	for i := range tex.Y {
		x, y := i%tex.YStride, i/tex.YStride
		tex.Y[i] = byte(128 + 60*math.Sin(float64(x)*0.021)*math.Cos(float64(y)*0.017) + float64(uint32(x*131+y*65537)*2654435761>>28))
	}
	for i := range tex.Cb {
		tex.Cb[i], tex.Cr[i] = byte(128+i%40), byte(100+i/tex.CStride%50)
	}
	frames := make([]image.Image, n)
	for i := range frames {
		ox, oy := 2*(i%64), 2*((i/2)%64)
		frames[i] = tex.SubImage(image.Rect(ox, oy, ox+w, oy+h))
	}
	for _, x := range benchX264Libs(b) {
		b.Run(string(x.info.Backend), func(b *testing.B) {
			e, err := newH264(H264Options{Width: w, Height: h, Bitrate: 2500 * Kbps}, x)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			fd := time.Second / 30
			b.ReportAllocs()
			cpu0 := cpuTime()
			i := 0
			for b.Loop() {
				if _, err := e.Encode(frames[i%n], time.Duration(i)*fd); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/frame")
		})
	}
}

// BenchmarkRGBAToI420 compares the Go reference with each C path the CPU
// runs, on RGBA and on NRGBA (straight alpha) input.
func BenchmarkRGBAToI420(b *testing.B) {
	for _, s := range benchSizes {
		src := pattern(s.w, s.h, 1)
		y, cb, cr := make([]byte, s.w*s.h), make([]byte, s.w*s.h/4), make([]byte, s.w*s.h/4)
		for _, kind := range []string{"RGBA", "NRGBA"} {
			straight := kind == "NRGBA"
			impls := map[string]func(){"go": func() { rgbaToI420Go(y, cb, cr, src.Pix, src.Stride, s.w, s.h, straight) }}
			for _, p := range i420AvailablePaths() {
				impls[i420PathNames[p]] = func() { rgbaToI420Path(p, y, cb, cr, src.Pix, src.Stride, s.w, s.h, straight) }
			}
			for _, name := range []string{"go", "scalar", "sse2", "avx2", "neon"} {
				f, ok := impls[name]
				if !ok {
					continue
				}
				b.Run(fmt.Sprintf("%dp/%s/%s", s.h, kind, name), func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(int64(len(src.Pix)))
					for b.Loop() {
						f()
					}
				})
			}
		}
	}
}

// BenchmarkScale measures Scaler.ToI420 into a 1280x720 frame: the
// conversion at the picture's size and the scaling of its planes, from
// pictures of other sizes and kinds.
func BenchmarkScale(b *testing.B) {
	for _, c := range []struct {
		name string
		w, h int
		kind string
	}{
		{"1080p-RGBA", 1920, 1080, "RGBA"},
		{"1080p-NRGBA", 1920, 1080, "NRGBA"},
		{"1080p-YCbCr", 1920, 1080, "YCbCr"},
		{"2160p-RGBA", 3840, 2160, "RGBA"},
		{"360p-RGBA", 640, 360, "RGBA"},
		{"480p-4:3-RGBA", 640, 480, "RGBA"},
		{"641x359-RGBA", 641, 359, "RGBA"},
	} {
		src := asTypes(pattern(c.w, c.h, 1))[strings.ToLower(c.kind)]
		dst := image.NewYCbCr(image.Rect(0, 0, 1280, 720), image.YCbCrSubsampleRatio420)
		b.Run(c.name, func(b *testing.B) {
			var s Scaler
			if err := s.ToI420(dst, src); err != nil { // filters and buffers
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.ToI420(dst, src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScalePlane compares the Go reference with each C path on the
// luma plane of a 1920x1080 picture scaled to 1280x720.
func BenchmarkScalePlane(b *testing.B) {
	const sw, sh, dw, dh = 1920, 1080, 1280, 720
	src, dst, row := make([]byte, sw*sh), make([]byte, dw*dh), make([]byte, sw)
	for i := range src {
		src[i] = byte(i*7 + i/sw)
	}
	var fx, fy scaleFilter
	fx.make(sw, sw, dw)
	fy.make(sh, sh, dh)
	impls := map[string]func(){"go": func() { scalePlaneGo(dst, dw, dw, dh, src, sw, &fy, &fx, row) }}
	for _, p := range scaleAvailablePaths() {
		impls[scalePathNames[p]] = func() { scalePlanePath(p, dst, dw, dw, dh, src, sw, &fy, &fx, row) }
	}
	for _, name := range []string{"go", "scalar", "sse2"} {
		if f, ok := impls[name]; ok {
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					f()
				}
			})
		}
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
