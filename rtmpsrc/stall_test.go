package rtmpsrc

import (
	"context"
	"errors"
	"image"
	"image/color"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/rtmptest"
)

// A live stream must not stall when a source does: ingest servers drop a
// stream whose audio stops, and want a steady frame rate.

// TestAudioSourceStalls feeds 1 s of audio, then an audio source that
// blocks until its context ends, while 3 s of video go on. The publisher
// must fill the gap with silence, keep the audio timeline contiguous
// and the messages flowing, and end Run normally when the video source
// ends (cancelling the blocked read).
func TestAudioSourceStalls(t *testing.T) {
	const (
		fps     = 30
		seconds = 3
		w, h    = 160, 120
	)
	srv, err := rtmptest.Start(rtmptest.Config{DropPayloads: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	arr := clkWatchArrivals(t, srv)

	// The video source notes when it ends.
	videoEnded := make(chan struct{})
	var endOnce sync.Once
	frame := clkSolid(w, h, color.RGBA{40, 40, 40, 255})
	video := capture.Images(func(i int) image.Image {
		if i >= fps*seconds {
			endOnce.Do(func() { close(videoEnded) })
			return nil
		}
		return frame
	})

	tone := capture.Tone(clkStereo44k, 440, 0.3)
	tone.Duration = time.Second
	var blocked, unblocked atomic.Int32
	audio := capture.AudioSourceFunc(clkStereo44k, func(ctx context.Context) (capture.AudioChunk, error) {
		c, err := tone.ReadAudio(ctx)
		if !errors.Is(err, io.EOF) {
			return c, err
		}
		// Out of audio: block as a stuck device would, until told to stop.
		blocked.Add(1)
		defer unblocked.Add(1)
		<-ctx.Done()
		return capture.AudioChunk{}, ctx.Err()
	})

	p, err := New(Config{
		URL:          srv.URL("live", "audiostall"),
		Video:        video,
		Audio:        audio,
		VideoEncoder: encode.H264Options{Width: w, Height: h},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Run gets 3 s after the video source ended before it is cancelled.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var ended time.Time
	watchdog := make(chan struct{})
	go func() {
		defer close(watchdog)
		select {
		case <-videoEnded:
			ended = time.Now()
		case <-ctx.Done():
			return
		}
		select {
		case <-time.After(3 * time.Second):
			cancel()
		case <-ctx.Done():
		}
	}()
	runErr := p.Run(ctx)
	returned := time.Now()
	cancel()
	<-watchdog
	if blocked.Load() == 0 || unblocked.Load() != blocked.Load() {
		t.Errorf("audio reads blocked %d, returned %d after Run", blocked.Load(), unblocked.Load())
	}
	if runErr != nil {
		if ended.IsZero() {
			t.Errorf("Run: %v", runErr)
		} else {
			t.Errorf("Run did not end within 3 s after the video source ended (%v later: %v)", returned.Sub(ended), runErr)
		}
	} else {
		t.Logf("Run returned %v after the video source ended", returned.Sub(ended))
	}

	ev := clkWaitClosed(t, srv)
	at := arr.get()
	st := p.Stats()
	video1, audio1 := clkMedia(ev, rtmptest.KindVideo), clkMedia(ev, rtmptest.KindAudio)
	t.Logf("stats %+v", st)
	if len(audio1) == 0 || len(video1) == 0 {
		t.Fatalf("%d video and %d audio messages", len(video1), len(audio1))
	}
	t.Logf("video %d…%d ms (%d), audio %d…%d ms (%d)", video1[0], video1[len(video1)-1], len(video1), audio1[0], audio1[len(audio1)-1], len(audio1))

	if st.Audio.SilenceInserted <= 0 {
		t.Errorf("Stats().Audio.SilenceInserted = %v after the audio source stalled", st.Audio.SilenceInserted)
	}
	// Silence is inserted as whole AAC frames on the same sample clock:
	// the audio timeline has no hole and no step back.
	clkCheckAudioSteps(t, audio1, 44100)
	// It covers the stream: audio reaches (nearly) as far as the video,
	// well past the 1 s the source gave.
	if last := audio1[len(audio1)-1]; last < 2000 || int64(last) < int64(video1[len(video1)-1])-400 {
		t.Errorf("audio stops at %d ms, video at %d ms", last, video1[len(video1)-1])
	}
	clkCheckCadence(t, video1, fps)
	// On the wire, audio never stops for long: silence comes within
	// silenceGap plus one silence tick, with scheduling slack.
	limit := silenceGap + silenceGap/3 + 50*time.Millisecond
	if gap, i := clkMaxArrivalGap(ev, at, rtmptest.KindAudio); gap > limit {
		t.Errorf("no audio reached the server for %v (before %v), limit %v", gap, ev[i], limit)
	} else {
		t.Logf("longest wait between audio messages: %v", gap)
	}
	if gap, i := clkMaxArrivalGap(ev, at, rtmptest.KindVideo); gap > limit {
		t.Errorf("no video reached the server for %v (before %v), limit %v", gap, ev[i], limit)
	}
}

// TestAudioStallKeepsVideoOnClock stalls the audio source for 2 s
// while a video source that draws each picture on demand (5 ms per
// picture, as a renderer would) keeps up easily. Each picture must be
// shown once, at its own frame time: a repeat would push every later
// picture one frame late, so that picture i no longer presents at i/fps
// on the shared clock.
func TestAudioStallKeepsVideoOnClock(t *testing.T) {
	const (
		fps    = 30
		frames = 90
		w, h   = 160, 120
	)
	srv, err := rtmptest.Start(rtmptest.Config{DropPayloads: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pic := clkSolid(w, h, color.RGBA{40, 40, 40, 255})
	video := capture.Images(func(i int) image.Image {
		if i >= frames {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
		return pic
	})
	// 1 s of tone, a 2 s stall, then 2 s more tone and the end.
	tone := capture.Tone(clkStereo44k, 440, 0.3)
	tone.Duration = 3 * time.Second
	var given time.Duration
	stalled := false
	audio := capture.AudioSourceFunc(clkStereo44k, func(ctx context.Context) (capture.AudioChunk, error) {
		if given >= time.Second && !stalled {
			stalled = true
			select {
			case <-time.After(2 * time.Second):
			case <-ctx.Done():
				return capture.AudioChunk{}, ctx.Err()
			}
		}
		c, err := tone.ReadAudio(ctx)
		given += clkStereo44k.Duration(len(c.Data))
		return c, err
	})
	p, err := New(Config{
		URL:          srv.URL("live", "stallclock"),
		Video:        video,
		Audio:        audio,
		VideoEncoder: encode.H264Options{Width: w, Height: h},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	ev := clkWaitClosed(t, srv)
	st := p.Stats()
	v := clkMedia(ev, rtmptest.KindVideo)
	t.Logf("%d frames on the wire, %d…%d ms; stats %+v", len(v), v[0], v[len(v)-1], st)
	if st.Audio.SilenceInserted <= 0 {
		t.Errorf("Stats().Audio.SilenceInserted = %v: the stall did not happen", st.Audio.SilenceInserted)
	}
	if st.Video.Repeated != 0 || len(v) != frames {
		t.Errorf("%d frames on the wire with %d repeats, want the %d pictures once each", len(v), st.Video.Repeated, frames)
	}
	clkCheckCadence(t, v, fps)
}

// TestVideoSourceStalls stalls the video source for 1 s in the middle of
// a live stream: the publisher repeats the last picture meanwhile, so the
// server still receives one frame every 1/fps.
func TestVideoSourceStalls(t *testing.T) {
	const (
		fps    = 30
		frames = 60 // from the source, plus about 30 repeats
		w, h   = 160, 120
	)
	srv, err := rtmptest.Start(rtmptest.Config{DropPayloads: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	black := clkSolid(w, h, color.RGBA{0, 0, 0, 255})
	white := clkSolid(w, h, color.RGBA{255, 255, 255, 255})
	next := 0
	video := capture.VideoSourceFunc(func(ctx context.Context) (capture.Frame, error) {
		if next == frames {
			return capture.Frame{}, io.EOF
		}
		if next == frames/2 {
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return capture.Frame{}, ctx.Err()
			}
		}
		img := black
		if next >= frames/2 {
			img = white
		}
		next++
		return capture.Frame{Image: img}, nil
	})
	tone := capture.Tone(clkStereo44k, 440, 0.3)
	tone.Duration = 3 * time.Second
	p, err := New(Config{
		URL:          srv.URL("live", "videostall"),
		Video:        video,
		Audio:        tone,
		VideoEncoder: encode.H264Options{Width: w, Height: h},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	ev := clkWaitClosed(t, srv)
	st := p.Stats()
	v := clkMedia(ev, rtmptest.KindVideo)
	t.Logf("%d frames on the wire, %d…%d ms; stats %+v", len(v), v[0], v[len(v)-1], st)
	if st.Video.Repeated < 20 {
		t.Errorf("Stats().Video.Repeated = %d over a 1 s stall at %d fps, want about %d", st.Video.Repeated, fps, fps)
	}
	if st.Video.Taken != frames || st.Video.Taken+st.Video.Repeated != st.Video.Muxed || int64(len(v)) != st.Video.Muxed {
		t.Errorf("FramesIn %d + FramesRepeated %d, FramesOut %d, on the wire %d; want %d in", st.Video.Taken, st.Video.Repeated, st.Video.Muxed, len(v), frames)
	}
	clkCheckCadence(t, v, fps)
	clkCheckAudioSteps(t, clkMedia(ev, rtmptest.KindAudio), 44100)
}
