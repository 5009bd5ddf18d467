package encode

import (
	"bytes"
	"errors"
	"image"
	"math/rand/v2"
	"testing"
	"time"
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
