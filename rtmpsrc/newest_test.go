package rtmpsrc

import (
	"bytes"
	"context"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/testkit"
)

// TestNewestPicture: from a producer that pushes pictures on its own clock
// (60 fps into a VideoPush), each frame of a 30 fps stream is the newest
// picture when the frame is due, not one fetched a frame earlier: a game
// that plays a sound with a picture must not see the picture lag. A
// wrapper that passes its context on keeps that.
func TestNewestPicture(t *testing.T) {
	t.Run("push", func(t *testing.T) {
		testNewestPicture(t, func(p *capture.VideoPush) capture.VideoSource { return p })
	})
	t.Run("wrapped", func(t *testing.T) {
		testNewestPicture(t, func(p *capture.VideoPush) capture.VideoSource {
			return capture.VideoSourceFunc(func(ctx context.Context) (capture.Frame, error) { return p.ReadFrame(ctx) })
		})
	})
}

func testNewestPicture(t *testing.T, wrap func(*capture.VideoPush) capture.VideoSource) {
	testkit.RequireFFmpeg(t)
	const (
		w, h     = 64, 64
		levels   = 24 // distinct grays, 8 apart
		producer = 60
	)
	srv := startServer(t)
	push := capture.NewVideoPush()
	defer push.Close()

	var (
		mu      sync.Mutex
		written []time.Time // when picture n was pushed
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	wg.Go(func() {
		tick := time.NewTicker(time.Second / producer)
		defer tick.Stop()
		for n := 0; ; n++ {
			g := uint8(24 + 8*(n%levels))
			mu.Lock()
			written = append(written, time.Now())
			mu.Unlock()
			if push.WriteVideo(capture.Frame{Image: clkSolid(w, h, color.RGBA{g, g, g, 255})}) != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})

	var file bytes.Buffer
	p, err := New(Config{
		URL:          srv.URL("live", "newest"),
		Output:       &file,
		Video:        wrap(push),
		VideoEncoder: encode.H264Options{Width: w, Height: h, Preset: "ultrafast"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	waitFrames(t, p, 60)
	push.Close()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	ev := clkWaitClosed(t, srv)
	var arrived []time.Time
	for _, e := range ev {
		if e.VideoFrame() {
			arrived = append(arrived, e.Arrived)
		}
	}
	path := filepath.Join(t.TempDir(), "newest.flv")
	if err := os.WriteFile(path, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	luma := testkit.VideoLuma(t, path, 8, 8)
	if len(luma) != len(arrived) {
		t.Fatalf("%d frames decoded, %d arrived", len(luma), len(arrived))
	}
	mu.Lock()
	defer mu.Unlock()
	// Each frame shows picture n; among the pictures of that gray, n is
	// the newest pushed before the frame reached the server.
	var lags []time.Duration
	for k, f := range luma {
		level := int((f.Mean-24)/8 + 0.5)
		n := -1
		for i := len(written) - 1; i >= 0; i-- {
			if i%levels == level && !written[i].After(arrived[k]) {
				n = i
				break
			}
		}
		if n < 0 {
			t.Fatalf("frame %d: gray %.1f matches no picture pushed before it arrived", k, f.Mean)
		}
		lags = append(lags, arrived[k].Sub(written[n]))
	}
	slices.Sort(lags)
	median := lags[len(lags)/2]
	t.Logf("picture age when its frame reached the server: median %v, worst %v", median, lags[len(lags)-1])
	// Pictures come every 16.7 ms: a picture fetched a frame interval
	// ahead would be 33 ms old or more.
	if median > 25*time.Millisecond {
		t.Errorf("frames show pictures %v old (median): the publisher took them ahead of time", median)
	}
}
