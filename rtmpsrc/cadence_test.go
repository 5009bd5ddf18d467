package rtmpsrc

import (
	"context"
	"image/color"
	"sync"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/rtmptest"
)

// TestConstantFrameRateFromAnyProducer feeds a VideoPush from a producer
// goroutine running far slower (5 fps) or far faster (200 fps) than the
// 30 fps output, live, and checks that the server receives exactly 30
// frames per second of media, evenly spaced: the publisher samples the
// newest picture at each frame tick, repeating the last one when nothing
// new came.
func TestConstantFrameRateFromAnyProducer(t *testing.T) {
	for _, c := range []struct {
		name        string
		producerFPS int
	}{
		{"slow producer 5fps", 5},
		{"fast producer 200fps", 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			testCadence(t, c.producerFPS)
		})
	}
}

func testCadence(t *testing.T, producerFPS int) {
	const (
		fps     = 30
		w, h    = 160, 120
		seconds = 3
	)
	srv, err := rtmptest.Start(rtmptest.Config{DropPayloads: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	push := capture.NewVideoPush()
	defer push.Close()
	// The producer draws into one image and hands over copies, as a game
	// loop would; it is stopped and waited for before the test returns.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	stopProducer := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopProducer()
	wg.Add(1)
	go func() {
		defer wg.Done()
		img := clkSolid(w, h, color.RGBA{0, 0, 0, 255})
		tick := time.NewTicker(time.Second / time.Duration(producerFPS))
		defer tick.Stop()
		for n := 0; ; n++ {
			for i := 0; i < w*4; i += 4 { // a line that moves, so frames differ
				img.Pix[((n%h)*img.Stride)+i] = byte(n)
			}
			if err := push.WriteVideoCopy(capture.Frame{Image: img}); err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()

	tone := capture.Tone(clkStereo44k, 440, 0.3)
	tone.Duration = seconds * time.Second
	p, err := New(Config{
		URL:          srv.URL("live", "cadence"),
		Video:        push,
		Audio:        tone,
		VideoEncoder: encode.H264Options{Width: w, Height: h, FrameRate: encode.Rational{Num: fps, Den: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()

	// End the video source after `seconds` of streaming, counted from the
	// first picture the server received: stop the producer, then close
	// the push, which makes its ReadFrame return io.EOF.
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	err = srv.WaitFor(wctx, func(ev []rtmptest.Event) bool { return len(clkMedia(ev, rtmptest.KindVideo)) > 0 })
	wcancel()
	if err != nil {
		p.Close()
		<-errc
		t.Fatalf("no video reached the server: %v", err)
	}
	time.Sleep(seconds * time.Second)
	stopProducer()
	push.Close()
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}

	ev := clkWaitClosed(t, srv)
	video := clkMedia(ev, rtmptest.KindVideo)
	st := p.Stats()
	ps := push.Stats()
	t.Logf("%d frames on the wire, %d ms to %d ms; stats %+v; push %+v", len(video), video[0], video[len(video)-1], st, ps)

	// The first picture goes out at the AAC delay (see lipsync_test.go).
	if want := uint32(clkAACDelay / time.Millisecond); video[0] != want {
		t.Errorf("first video frame at %d ms, want %d", video[0], want)
	}
	clkCheckCadence(t, video, fps)
	// Exactly fps frames in every whole second of media.
	span := time.Duration(video[len(video)-1]-video[0]) * time.Millisecond
	if want := int(span*fps/time.Second) + 1; len(video) < want-1 || len(video) > want+1 {
		t.Errorf("%d frames over %v of media, want %d±1", len(video), span, want)
	}
	for s := 0; s < int(span/time.Second); s++ {
		n := 0
		for _, ts := range video {
			if d := int(ts - video[0]); d >= 1000*s && d < 1000*(s+1) {
				n++
			}
		}
		if n < fps-1 || n > fps+1 {
			t.Errorf("second %d of media holds %d frames, want %d", s, n, fps)
		}
	}
	// The media lasted as long as the producer ran, whatever its speed:
	// neither 15 pictures in 0.5 s nor 600 in 20 s.
	if span < (seconds-1)*time.Second || span > (seconds+1)*time.Second {
		t.Errorf("video spans %v of media after %d s of producing", span, seconds)
	}

	if int64(len(video)) != st.Video.Muxed {
		t.Errorf("%d frames on the wire, Stats().Video.Muxed = %d", len(video), st.Video.Muxed)
	}
	// Every frame tick encodes either a new picture or the last one again.
	if st.Video.Taken+st.Video.Repeated != st.Video.Muxed {
		t.Errorf("FramesIn %d + FramesRepeated %d != FramesOut %d", st.Video.Taken, st.Video.Repeated, st.Video.Muxed)
	}
	if producerFPS < fps {
		if st.Video.Repeated == 0 {
			t.Error("a 5 fps producer under a 30 fps stream: Stats().Video.Repeated = 0")
		}
		if want := int64(producerFPS * (seconds + 1)); st.Video.Taken > want {
			t.Errorf("FramesIn = %d from a %d fps producer in about %d s", st.Video.Taken, producerFPS, seconds)
		}
	} else {
		if ps.Superseded == 0 {
			t.Error("a 200 fps producer under a 30 fps stream: no frame superseded in the push")
		}
		// A fast producer leaves few ticks empty: repeats only from
		// scheduling hiccups.
		if st.Video.Repeated > st.Video.Muxed/10 {
			t.Errorf("FramesRepeated = %d of %d with a 200 fps producer", st.Video.Repeated, st.Video.Muxed)
		}
	}
}
