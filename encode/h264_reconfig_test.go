package encode

import (
	"bytes"
	"errors"
	"image"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gen2brain/x264-go/x264c"
)

// TestSetBitrate encodes noise, which spends whatever bitrate it is
// given, at 1 Mbit/s, lowers the rate to 250 kbit/s mid-stream and raises
// it back: each second follows the rate in force, no keyframe is forced,
// and the parameter sets stay the same, on each x264 library.
func TestSetBitrate(t *testing.T) {
	forEachX264(t, func(t *testing.T, x *x264Lib) {
		const w, h, fps = 320, 240, 30
		e, err := newH264(H264Options{Width: w, Height: h, Preset: "ultrafast", Bitrate: 1000 * Kbps,
			KeyframeInterval: 10 * time.Second}, x)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		config := bytes.Clone(e.DecoderConfig())
		rng := rand.New(rand.NewPCG(5, 6))
		pics := make([]*image.RGBA, 8)
		for i := range pics {
			pics[i] = image.NewRGBA(image.Rect(0, 0, w, h))
			for j := range pics[i].Pix {
				pics[i].Pix[j] = byte(rng.Uint32())
			}
		}
		frame := 0
		// second encodes one second and returns its bits and keyframes.
		second := func() (bits, keys int) {
			for range fps {
				pk, err := e.Encode(pics[frame%len(pics)], time.Duration(frame)*time.Second/fps)
				if err != nil {
					t.Fatal(err)
				}
				frame++
				for _, p := range pk {
					bits += 8 * len(p.Data)
					if p.Keyframe {
						keys++
					}
				}
			}
			return bits, keys
		}
		second() // the first keyframe and x264's start
		high, _ := second()
		if err := e.SetBitrate(250 * Kbps); err != nil {
			t.Fatal(err)
		}
		// A step down cuts the VBV buffer to a fifth of a second, so
		// that the first second after it is already at the new rate.
		if o := e.Options(); o.Bitrate != 250*Kbps || o.MaxBitrate != 250*Kbps || o.BufferSize != 50*Kbps {
			t.Errorf("Options after SetBitrate: %d, max %d, buffer %d", o.Bitrate, o.MaxBitrate, o.BufferSize)
		}
		first, _ := second()
		low, keysLow := second()
		if err := e.SetBitrate(1000 * Kbps); err != nil {
			t.Fatal(err)
		}
		if o := e.Options(); o.BufferSize != 1000*Kbps {
			t.Errorf("buffer %d after the step up, want its size back", o.BufferSize)
		}
		second()
		back, keysBack := second()
		t.Logf("%d kbit/s, lowered to %d kbit/s (%d the first second), raised to %d kbit/s", high/1000, low/1000, first/1000, back/1000)
		for _, c := range []struct {
			name      string
			got, want int
		}{{"at 1 Mbit/s", high, 1000 * Kbps}, {"the first second at 250 kbit/s", first, 250 * Kbps}, {"at 250 kbit/s", low, 250 * Kbps},
			{"back at 1 Mbit/s", back, 1000 * Kbps}} {
			if c.got < c.want*8/10 || c.got > c.want*12/10 {
				t.Errorf("%s: %d bit/s", c.name, c.got)
			}
		}
		if keysLow+keysBack != 0 {
			t.Errorf("%d keyframes after changing the rate, want none forced", keysLow+keysBack)
		}
		if !bytes.Equal(config, e.DecoderConfig()) {
			t.Error("the decoder configuration changed")
		}
	})
}

func TestSetBitrateRefused(t *testing.T) {
	crf, err := NewH264(H264Options{Width: 64, Height: 64})
	if err != nil {
		t.Fatal(err)
	}
	if err := crf.SetBitrate(500 * Kbps); !errors.Is(err, ErrConfig) {
		t.Errorf("CRF encoder: %v, want ErrConfig", err)
	}
	crf.Close()
	if err := crf.SetBitrate(500 * Kbps); !errors.Is(err, ErrClosed) {
		t.Errorf("closed encoder: %v, want ErrClosed", err)
	}
	abr, err := NewH264(H264Options{Width: 64, Height: 64, Bitrate: 500 * Kbps})
	if err != nil {
		t.Fatal(err)
	}
	defer abr.Close()
	if err := abr.SetBitrate(500); !errors.Is(err, ErrConfig) {
		t.Errorf("500 bit/s: %v, want ErrConfig", err)
	}
}

// TestNalFillerType proves that x264-go's x264c.NalFiller is not the type
// x264 gives its filler data (12, ITU-T H.264 Table 7-1), which is why
// encode has its own constant, and that x264's filler NAL units carry 12.
func TestNalFillerType(t *testing.T) {
	if x264c.NalFiller == 12 {
		t.Log("x264c.NalFiller is 12 now: the workaround (nalFiller) can go")
	}
	forEachX264(t, func(t *testing.T, x *x264Lib) {
		e, err := newH264(H264Options{Width: 64, Height: 64, Preset: "ultrafast", Bitrate: 500 * Kbps}, x)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		img := image.NewGray(image.Rect(0, 0, 64, 64))
		seen := map[int32]bool{}
		for i := range 10 {
			if _, err := e.Encode(img, time.Duration(i)*time.Second/30); err != nil {
				t.Fatal(err)
			}
			for _, n := range e.nalList() {
				seen[n.IType] = true
			}
		}
		if !seen[nalFiller] || seen[x264c.NalFiller] {
			t.Errorf("NAL types from a padded still picture %v: want filler as %d, none as x264c.NalFiller (%d)", seen, nalFiller, x264c.NalFiller)
		}
	})
}
