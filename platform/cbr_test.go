package platform_test

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/testkit"
	"github.com/golivecast/golivecast/platform"
	"github.com/golivecast/golivecast/rtmpsrc"
)

// stillUnchanged is one textured picture for n frames, each after the
// first marked Unchanged: a still stream, sent as skip frames.
func stillUnchanged(w, h, n int) capture.VideoSource {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(180 + (x*3+(x^y)*5)%64)
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = v, v/2+40, 255-v, 255
		}
	}
	return capture.Images(func(i int) image.Image {
		switch {
		case i >= n:
			return nil
		case i > 0:
			return capture.Unchanged
		}
		return img
	})
}

// TestCBRPresets records a still picture with each platform's preset:
// padding is on, and the recording holds the preset's bitrate over any
// 2 s. With NoFiller, it holds far less.
func TestCBRPresets(t *testing.T) {
	const seconds, fps = 6, 30
	for _, c := range []struct {
		platform platform.Platform
		w, h     int
		noFiller bool
	}{
		{platform.YouTube(), 854, 480, false},
		{platform.Twitch(), 1280, 720, false},
		{platform.FacebookLive(), 1280, 720, false},
		{platform.Twitch(), 1280, 720, true},
	} {
		t.Run(fmt.Sprintf("%s/%dx%d/no filler %v", c.platform.Name, c.w, c.h, c.noFiller), func(t *testing.T) {
			video, _, err := c.platform.Preset(c.w, c.h, encode.Rational{Num: fps, Den: 1})
			if err != nil {
				t.Fatal(err)
			}
			video.NoFiller = c.noFiller
			path := filepath.Join(t.TempDir(), "cbr.flv")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			p, err := rtmpsrc.New(rtmpsrc.Config{Output: f, Video: stillUnchanged(c.w, c.h, fps*seconds), VideoEncoder: video})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Run(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			lo, hi := testkit.VideoBitrates(t, path, 2*time.Second)
			target := float64(video.Bitrate)
			t.Logf("over any 2 s: %.0f to %.0f kbit/s of %.0f", lo/1000, hi/1000, target/1000)
			switch {
			case c.noFiller && hi > 0.5*target:
				t.Errorf("without filler, up to %.0f bit/s over 2 s, want far less than %.0f", hi, target)
			case !c.noFiller && (lo < 0.9*target || hi > 1.1*target):
				t.Errorf("video over 2 s windows from %.0f to %.0f bit/s, want %.0f ±10%%", lo, hi, target)
			}
		})
	}
}
