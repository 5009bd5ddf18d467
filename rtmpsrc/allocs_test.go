package rtmpsrc

import (
	"context"
	"image"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/amf0"
)

// TestSteadyStateAllocations streams live to a server and to a file at
// once, and counts the Go allocations of the whole process per frame once
// the stream is under way: the pipeline (sources, encoders, muxer, queue,
// session) reuses its buffers, so there are none. The server only reads,
// into one buffer. The same holds for a still picture, repeated as skip
// frames: pushed once, or drawn once and then marked unchanged.
func TestSteadyStateAllocations(t *testing.T) {
	pic := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for i := range pic.Pix {
		pic.Pix[i] = byte(i * 7)
	}
	push := capture.NewVideoPush()
	defer push.Close()
	if err := push.WriteVideo(capture.Frame{Image: pic}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		video capture.VideoSource
		skips bool
	}{
		{"every picture drawn", capture.Images(func(int) image.Image { return pic }), false},
		{"pushed once", push, true},
		{"unchanged", capture.Images(func(i int) image.Image {
			if i > 0 {
				return capture.Unchanged
			}
			return pic
		}), true},
	} {
		t.Run(c.name, func(t *testing.T) { steadyStateAllocations(t, c.video, c.skips) })
	}
}

func steadyStateAllocations(t *testing.T, video capture.VideoSource, skips bool) {
	url := fakeServer(t, func(c net.Conn) {
		_, _, send := scriptedServer(t, c)
		if send == nil {
			return
		}
		send(1, "onStatus", 0, nil, amf0.Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetStream.Publish.Start"}})
		buf := make([]byte, 64<<10)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	})
	p, err := New(Config{
		URL:          url,
		Output:       io.Discard,
		Video:        video,
		Audio:        capture.Tone(clkStereo44k, 440, 0.3),
		VideoEncoder: encode.H264Options{Width: 320, Height: 240},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	waitFrames(t, p, 45) // past the start, with its one-time allocations
	// A window of the stream, measured without calling Stats, which
	// allocates its snapshot.
	var m0, m1 runtime.MemStats
	st0 := p.Stats()
	runtime.ReadMemStats(&m0)
	time.Sleep(3 * time.Second)
	runtime.ReadMemStats(&m1)
	st1 := p.Stats()
	cancel()
	<-errc
	f0, f1 := st0.Video.Muxed, st1.Video.Muxed
	per := float64(m1.Mallocs-m0.Mallocs) / float64(f1-f0)
	t.Logf("%d allocations (%d bytes) over %d frames, %d of them skip frames: %.2f per frame",
		m1.Mallocs-m0.Mallocs, m1.TotalAlloc-m0.TotalAlloc, f1-f0, st1.Video.SkipFrames-st0.Video.SkipFrames, per)
	if per > 0.5 {
		t.Errorf("%.2f allocations per frame in the steady state, want none", per)
	}
	if got := st1.Video.SkipFrames - st0.Video.SkipFrames; skips != (got > (f1-f0)/2) {
		t.Errorf("%d skip frames of %d", got, f1-f0)
	}
}
