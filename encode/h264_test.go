package encode

import (
	"errors"
	"image"
	"strings"
	"testing"
	"time"
)

func encodeAll(t testing.TB, e *H264, frames int, draw func(i int) image.Image) []Packet {
	t.Helper()
	var out []Packet
	keep := func(pk []Packet) {
		for _, p := range pk {
			p.Data = append([]byte(nil), p.Data...)
			out = append(out, p)
		}
	}
	fd := e.Options().FrameRate.FrameDuration()
	for i := 0; i < frames; i++ {
		pk, err := e.Encode(draw(i), time.Duration(i)*fd)
		if err != nil {
			t.Fatal(err)
		}
		keep(pk)
	}
	for {
		pk, err := e.Flush()
		if err != nil {
			t.Fatal(err)
		}
		if pk == nil {
			return out
		}
		keep(pk)
	}
}

// TestH264DecodesWithFFprobe encodes a known pattern, stores it with an
// independent FLV writer and checks what ffprobe reads back, on each x264
// library.
func TestH264DecodesWithFFprobe(t *testing.T) {
	forEachX264(t, func(t *testing.T, x *x264Lib) {
		// Both libraries at once, in one process.
		t.Parallel()
		h264DecodesWithFFprobe(t, x)
	})
}

func h264DecodesWithFFprobe(t *testing.T, x *x264Lib) {
	for _, c := range []struct {
		name    string
		bframes int
		tune    string
		rate    Rational
	}{
		{"zerolatency", 0, "", Rational{30, 1}},
		{"bframes", 3, "film", Rational{30, 1}},
		{"ntsc", 0, "", Rational{30000, 1001}},
	} {
		t.Run(c.name, func(t *testing.T) {
			const w, h, frames = 320, 240, 75
			e := openH264(t, x, H264Options{Width: w, Height: h, FrameRate: c.rate, BFrames: c.bframes, Tune: c.tune, KeyframeInterval: time.Second})
			pkts := encodeAll(t, e, frames, func(i int) image.Image { return pattern(w, h, i) })
			if len(pkts) != frames {
				t.Fatalf("%d packets for %d frames", len(pkts), frames)
			}
			var lastDTS time.Duration = -1
			for i, p := range pkts {
				if p.DTS < lastDTS || p.PTS < p.DTS {
					t.Fatalf("packet %d: PTS %v DTS %v after DTS %v", i, p.PTS, p.DTS, lastDTS)
				}
				lastDTS = p.DTS
			}
			disposable := 0
			for _, p := range pkts {
				if p.Disposable {
					disposable++
					if p.Keyframe {
						t.Fatal("a keyframe marked disposable")
					}
				}
			}
			// x264's B-frames without pyramid are never referenced; its
			// P-frames always are.
			if (disposable > 0) != (c.bframes > 0) {
				t.Fatalf("%d disposable packets with %d B-frames", disposable, c.bframes)
			}
			if c.bframes > 0 && e.Delay() == 0 {
				t.Fatal("B-frames but no reorder delay")
			}
			path := writeFLV(t, e.DecoderConfig(), pkts)

			out := string(run(t, "ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
				"-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", path))
			if want := "h264,320,240,75"; strings.TrimSpace(out) != want {
				t.Fatalf("ffprobe: %q, want %q", out, want)
			}
			if errs := run(t, "ffmpeg", "-v", "error", "-i", path, "-fps_mode", "passthrough", "-enc_time_base:v", "1:1000", "-f", "null", "-"); len(errs) != 0 {
				t.Fatalf("decode errors: %s", errs)
			}
			probed := probePackets(t, path)
			var keys []int
			reordered := false
			for i, p := range probed {
				if p.Key {
					keys = append(keys, int((p.PTS-e.Delay()).Seconds()*c.rate.Float()+0.5))
				}
				if p.PTS != p.DTS {
					reordered = true
				}
				if i > 0 && p.DTS < probed[i-1].DTS {
					t.Fatalf("ffprobe DTS goes back at %d: %v < %v", i, p.DTS, probed[i-1].DTS)
				}
			}
			// A keyframe every second of frames, at frame 0, 30, 60.
			kf := int(c.rate.Float() + 0.5)
			if len(keys) != 3 || keys[0] != 0 || keys[1] != kf || keys[2] != 2*kf {
				t.Fatalf("keyframes at frames %v, want 0, %d, %d", keys, kf, 2*kf)
			}
			if reordered != (c.bframes > 0) {
				t.Fatalf("PTS != DTS seen: %v, with %d B-frames", reordered, c.bframes)
			}
		})
	}
}

func TestH264ForceKeyframe(t *testing.T) {
	forEachX264(t, h264ForceKeyframe)
}

func h264ForceKeyframe(t *testing.T, x *x264Lib) {
	e := openH264(t, x, H264Options{Width: 64, Height: 64})
	img := pattern(64, 64, 0)
	for i := 0; i < 10; i++ {
		if i == 5 {
			e.ForceKeyframe()
		}
		pk, err := e.Encode(img, time.Duration(i)*time.Second/30)
		if err != nil {
			t.Fatal(err)
		}
		if len(pk) != 1 {
			t.Fatalf("frame %d: %d packets with zerolatency", i, len(pk))
		}
		if want := i == 0 || i == 5; pk[0].Keyframe != want {
			t.Fatalf("frame %d keyframe %v, want %v", i, pk[0].Keyframe, want)
		}
	}
}

func TestH264BadInput(t *testing.T) {
	// NewH264 refuses what Validate refuses, with the same error.
	for _, c := range invalidH264 {
		e, err := NewH264(c.opts)
		if err == nil {
			e.Close()
		}
		if want := c.opts.Validate(); err == nil || err.Error() != want.Error() {
			t.Errorf("%s: NewH264: %v, Validate: %v", c.name, err, want)
		}
	}

	e, err := NewH264(H264Options{Width: 64, Height: 48})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Encode(nil, 0); !errors.Is(err, ErrNilImage) {
		t.Errorf("nil image: %v", err)
	}
	if _, err := e.Encode(image.NewRGBA(image.Rect(0, 0, 64, 64)), 0); !errors.Is(err, ErrImageSize) || !strings.Contains(err.Error(), "64x64") {
		t.Errorf("wrong size: %v", err)
	}
	if _, err := e.Encode(image.NewRGBA(image.Rect(0, 0, 64, 48)), time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Encode(image.NewRGBA(image.Rect(0, 0, 64, 48)), time.Second); err == nil {
		t.Error("repeated PTS accepted")
	}
}

// TestRGBAToI420 checks the BT.601 limited-range conversion on colours
// whose values the standard fixes.
func TestRGBAToI420(t *testing.T) {
	for _, c := range []struct {
		name      string
		rgba      [4]uint8
		straight  bool
		y, cb, cr uint8
	}{
		{"black", [4]uint8{0, 0, 0, 255}, false, 16, 128, 128},
		{"white", [4]uint8{255, 255, 255, 255}, false, 235, 128, 128},
		{"red", [4]uint8{255, 0, 0, 255}, false, 82, 90, 240},
		{"green", [4]uint8{0, 255, 0, 255}, false, 145, 54, 34},
		{"blue", [4]uint8{0, 0, 255, 255}, false, 41, 240, 110},
		{"transparent white straight", [4]uint8{255, 255, 255, 0}, true, 16, 128, 128},
	} {
		pix := make([]byte, 4*4)
		for i := 0; i < 4; i++ {
			copy(pix[4*i:], c.rgba[:])
		}
		y, cb, cr := make([]byte, 4), make([]byte, 1), make([]byte, 1)
		rgbaToI420(y, cb, cr, pix, 8, 2, 2, c.straight)
		// The 8-bit integer form may round one step off the real-valued
		// equations (green: 144.6).
		near := func(a, b uint8) bool { return a == b || a+1 == b || a == b+1 }
		if !near(y[0], c.y) || y[3] != y[0] || !near(cb[0], c.cb) || !near(cr[0], c.cr) {
			t.Errorf("%s: Y %d Cb %d Cr %d, want %d %d %d", c.name, y[0], cb[0], cr[0], c.y, c.cb, c.cr)
		}
	}
}

// TestH264InputPathsAgree feeds the same picture as RGBA, NRGBA, YCbCr
// with padded strides and a generic image, and requires the same
// bitstream from the paths that see identical planes.
func TestH264InputPathsAgree(t *testing.T) {
	forEachX264(t, h264InputPathsAgree)
}

func h264InputPathsAgree(t *testing.T, x *x264Lib) {
	const w, h = 64, 48
	src := pattern(w, h, 3)
	// An RGBA sub-image whose stride is wider than its width.
	big := image.NewRGBA(image.Rect(0, 0, w+16, h+4))
	for y := 0; y < h; y++ {
		copy(big.Pix[(y+2)*big.Stride+4*8:], src.Pix[y*src.Stride:y*src.Stride+4*w])
	}
	sub := big.SubImage(image.Rect(8, 2, 8+w, 2+h))
	nrgba := &image.NRGBA{Pix: src.Pix, Stride: src.Stride, Rect: src.Rect}
	generic := struct{ image.Image }{src} // hides the concrete type

	first := func(img image.Image) []byte {
		e, err := newH264(H264Options{Width: w, Height: h, Threads: 1}, x)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		pk, err := e.Encode(img, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(pk) != 1 || !pk[0].Keyframe {
			t.Fatalf("first packet: %d packets", len(pk))
		}
		return append([]byte(nil), pk[0].Data...)
	}
	ref := first(src)
	for name, img := range map[string]image.Image{"rgba sub-image": sub, "nrgba": nrgba, "generic": generic} {
		if got := first(img); string(got) != string(ref) {
			t.Errorf("%s: bitstream differs from RGBA", name)
		}
	}

	// A YCbCr with padded strides, filled from the converted planes.
	y, cb, cr := make([]byte, w*h), make([]byte, w*h/4), make([]byte, w*h/4)
	rgbaToI420(y, cb, cr, src.Pix, src.Stride, w, h, false)
	ycc := image.NewYCbCr(image.Rect(0, 0, w+32, h+8), image.YCbCrSubsampleRatio420)
	for r := 0; r < h; r++ {
		copy(ycc.Y[(r+4)*ycc.YStride+16:], y[r*w:(r+1)*w])
	}
	for r := 0; r < h/2; r++ {
		copy(ycc.Cb[(r+2)*ycc.CStride+8:], cb[r*w/2:(r+1)*w/2])
		copy(ycc.Cr[(r+2)*ycc.CStride+8:], cr[r*w/2:(r+1)*w/2])
	}
	if got := first(ycc.SubImage(image.Rect(16, 4, 16+w, 4+h))); string(got) != string(ref) {
		t.Error("YCbCr sub-image with padded strides: bitstream differs from RGBA")
	}
}

// TestToI420 checks that converting first gives the same bitstream as
// handing the encoder the original picture, for each input type.
func TestToI420(t *testing.T) {
	forEachX264(t, toI420)
}

func toI420(t *testing.T, x *x264Lib) {
	const w, h = 64, 48
	src := pattern(w, h, 5)
	first := func(img image.Image) string {
		e, err := newH264(H264Options{Width: w, Height: h, Threads: 1}, x)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		pk, err := e.Encode(img, 0)
		if err != nil || len(pk) != 1 {
			t.Fatalf("%d packets, %v", len(pk), err)
		}
		return string(pk[0].Data)
	}
	ref := first(src)
	ycc := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for name, img := range map[string]image.Image{
		"rgba":    src,
		"nrgba":   &image.NRGBA{Pix: src.Pix, Stride: src.Stride, Rect: src.Rect},
		"generic": struct{ image.Image }{src},
	} {
		if err := ToI420(ycc, img); err != nil {
			t.Fatal(err)
		}
		if first(ycc) != ref {
			t.Errorf("%s: converted picture encodes differently", name)
		}
		// And YCbCr to YCbCr is a copy.
		ycc2 := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		if err := ToI420(ycc2, ycc); err != nil || first(ycc2) != ref {
			t.Errorf("%s: YCbCr copy differs (%v)", name, err)
		}
	}
	if err := ToI420(ycc, image.NewRGBA(image.Rect(0, 0, 10, 10))); !errors.Is(err, ErrImageSize) {
		t.Errorf("wrong size: %v", err)
	}
	if err := ToI420(ycc, nil); !errors.Is(err, ErrNilImage) {
		t.Errorf("nil: %v", err)
	}
}
