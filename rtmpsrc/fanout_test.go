package rtmpsrc

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/rtmptest"
)

// One encode, several destinations: each gets the whole stream, with its
// own queue, reconnection and counters, and one that fails holds up no
// other.

// fanoutConfig is 2 s of 64x64 video and tone, to every destination.
func fanoutConfig(dests ...Destination) Config {
	video, audio := testSources(64, 64, 60, 30, 44100, 1)
	return Config{
		Destinations: dests,
		Video:        video,
		Audio:        audio,
		VideoEncoder: encode.H264Options{Width: 64, Height: 64},
		Reconnect:    ReconnectPolicy{Disabled: true},
		WriteTimeout: 2 * time.Second,
	}
}

func runFanout(t *testing.T, cfg Config) (*Publisher, error) {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return p, p.Run(ctx)
}

// mediaCount is how many audio and video messages (sequence headers left
// out) a server received.
func mediaCount(ev []rtmptest.Event) (video, audio int) {
	return len(clkMedia(ev, rtmptest.KindVideo)), len(clkMedia(ev, rtmptest.KindAudio))
}

// TestFanOut sends one encode to two servers and a file: all three hold
// the same frames, and each destination has its own counters.
func TestFanOut(t *testing.T) {
	a, b := startServer(t), startServer(t)
	var file bytes.Buffer
	cfg := fanoutConfig(Destination{URL: a.URL("live", "one"), Name: "first"}, Destination{URL: b.URL("live", "two")})
	cfg.Output = &file
	p, err := runFanout(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	for i, srv := range []*rtmptest.Server{a, b} {
		ev := clkWaitClosed(t, srv)
		checkEvents(t, ev, 60)
		v, au := mediaCount(ev)
		if int64(v) != st.Video.Muxed || int64(au) != st.Audio.Muxed {
			t.Errorf("server %d got %d frames and %d AAC frames, %d and %d were sent", i, v, au, st.Video.Muxed, st.Audio.Muxed)
		}
	}
	if vn, _, an, _ := flvSpan(t, file.Bytes(), 30, 44100); int64(vn) != st.Video.Muxed || int64(an) != st.Audio.Muxed {
		t.Errorf("the file holds %d frames and %d AAC frames, %d and %d were sent", vn, an, st.Video.Muxed, st.Audio.Muxed)
	}
	if len(st.Destinations) != 2 || st.Destinations[0].Name != "first" || st.Destinations[1].Name != "rtmp://"+b.Addr()+"/live/****" {
		t.Fatalf("destinations %+v", st.Destinations)
	}
	for _, d := range st.Destinations {
		if d.State != StateDone || d.Err != nil || d.BytesSent < st.BytesMuxed || d.VideoSent != st.Video.Muxed || d.AudioSent != st.Audio.Muxed {
			t.Errorf("destination %+v (the stream's payload was %d bytes, %d frames and %d AAC frames)", d, st.BytesMuxed, st.Video.Muxed, st.Audio.Muxed)
		}
	}
}

// TestFanOutOneRefused: a destination that refuses the publish fails
// alone; the stream goes to the other, and Run ends normally.
func TestFanOutOneRefused(t *testing.T) {
	good := startServer(t)
	refusing, err := rtmptest.Start(rtmptest.Config{Authorize: func(app, key string) error { return errors.New("no") }})
	if err != nil {
		t.Fatal(err)
	}
	defer refusing.Close()
	p, err := runFanout(t, fanoutConfig(Destination{URL: refusing.URL("live", "nope")}, Destination{URL: good.URL("live", "yes")}))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if v, _ := mediaCount(clkWaitClosed(t, good)); v != 60 {
		t.Errorf("the good destination got %d frames, want 60", v)
	}
	d := p.Stats().Destinations[0]
	var se *StatusError
	if d.State != StateFailed || !errors.As(d.Err, &se) {
		t.Errorf("refusing destination %+v, want failed with a *StatusError", d)
	}

	// Required, the same refusal ends the stream before it starts.
	_, err = runFanout(t, fanoutConfig(Destination{URL: refusing.URL("live", "nope"), Required: true}, Destination{URL: good.URL("live", "yes")}))
	if !errors.As(err, &se) {
		t.Errorf("with the refusing destination required, Run: %v, want its *StatusError", err)
	}
}

// TestFanOutOneStalls: a server that stops reading fails its destination
// when a write times out; the other destination gets every frame, and the
// stall never reaches it as drops.
func TestFanOutOneStalls(t *testing.T) {
	good := startServer(t)
	cfg := fanoutConfig(Destination{URL: stallingServer(t), Name: "stalled"}, Destination{URL: good.URL("live", "fine"), Name: "fine"})
	noisy(&cfg) // megabytes a second: the stalled socket fills at once
	cfg.Video = limitFrames(cfg.Video, 150)
	start := time.Now()
	p, err := runFanout(t, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	el := time.Since(start)
	st := p.Stats()
	stalled, fine := st.Destinations[0], st.Destinations[1]
	if stalled.State != StateFailed || !errors.Is(stalled.Err, ErrTimeout) {
		t.Errorf("stalled destination %+v, want failed on a write timeout", stalled)
	}
	v, _ := mediaCount(clkWaitClosed(t, good))
	if v != 150 || len(fine.VideoDropped) != 0 || fine.State != StateDone {
		t.Errorf("the fine destination got %d of 150 frames, dropped %v, state %s", v, fine.VideoDropped, fine.State)
	}
	// 150 frames at 30 fps: the stall cost the stream no time.
	if el > 5*time.Second+cfg.WriteTimeout {
		t.Errorf("Run took %v", el)
	}
}

// TestFanOutAllFail: when every destination has failed, the stream ends
// with their errors.
func TestFanOutAllFail(t *testing.T) {
	a, b := startServer(t), startServer(t)
	cfg := fanoutConfig(Destination{URL: a.URL("live", "a")}, Destination{URL: b.URL("live", "b")})
	video, audio := testSources(64, 64, 1<<30, 30, 44100, 1) // endless
	cfg.Video, cfg.Audio = video, audio
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(context.Background()) }()
	waitFrames(t, p, 10)
	a.Close()
	waitFrames(t, p, 30)
	if d := p.Stats().Destinations; d[0].State != StateFailed || d[1].State != StateLive {
		t.Fatalf("after the first server closed: %+v", d)
	}
	b.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrConnectionLost) {
			t.Errorf("Run: %v, want ErrConnectionLost", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run goes on with every destination gone")
	}
}

// TestShutdown ends an endless live stream at a chosen moment: Shutdown
// returns once the publisher has unpublished, Run returns nil, and both
// tracks end together.
func TestShutdown(t *testing.T) {
	srv := startServer(t)
	video, audio := testSources(64, 64, 1<<30, 30, 44100, 1)
	p, err := New(Config{URL: srv.URL("live", "shut"), Video: video, Audio: audio, VideoEncoder: encode.H264Options{Width: 64, Height: 64}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(context.Background()) }()
	waitFrames(t, p, 30)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("Shutdown took %v", el)
	}
	if err := <-errc; err != nil {
		t.Fatalf("Run after Shutdown: %v", err)
	}
	ev := clkWaitClosed(t, srv)
	deleted := false
	for _, e := range ev {
		deleted = deleted || e.Kind == rtmptest.KindDeleteStream
	}
	v, a := clkMedia(ev, rtmptest.KindVideo), clkMedia(ev, rtmptest.KindAudio)
	vEnd, aEnd := int(v[len(v)-1])+33, int(a[len(a)-1])+23
	if !deleted || aEnd < vEnd || aEnd > vEnd+int(audioTail/time.Millisecond)+1 {
		t.Errorf("deleteStream %v; video ends at %d ms, audio at %d ms", deleted, vEnd, aEnd)
	}
}
