package rtmpsrc

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"io"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/internal/testkit"
	"github.com/golivecast/golivecast/rtmptest"
)

// Helpers shared by this package's tests: sources, servers, waiting.

// testSources returns a video source of n frames (a moving line) and a
// tone of the same length.
func testSources(w, h, frames int, fps int, rate, channels int) (capture.VideoSource, capture.AudioSource) {
	video := capture.Images(func(i int) image.Image {
		if i >= frames {
			return nil
		}
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for x := 0; x < w; x++ {
			img.SetRGBA(x, (i*2)%h, color.RGBA{255, 255, 255, 255})
		}
		return img
	})
	tone := capture.Tone(capture.AudioFormat{SampleRate: rate, Channels: channels}, 440, 0.3)
	tone.Duration = time.Duration(frames) * time.Second / time.Duration(fps)
	return video, tone
}

func startServer(t *testing.T) *rtmptest.Server {
	t.Helper()
	srv, err := rtmptest.Start(rtmptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// waitFrames waits until p has muxed n frames.
func waitFrames(t *testing.T, p *Publisher, n int64) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, fmt.Sprintf("%d frames out", n), func() bool { return p.Stats().Video.Muxed >= n })
}

// limitFrames ends src after n frames.
func limitFrames(src capture.VideoSource, n int) capture.VideoSource {
	i := 0
	return capture.VideoSourceFunc(func(ctx context.Context) (capture.Frame, error) {
		if i >= n {
			return capture.Frame{}, io.EOF
		}
		i++
		return src.ReadFrame(ctx)
	})
}
