package rtmpsrc

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/rtmptest"
)

// TestTimestampedMode publishes frames the producer stamped itself, at
// irregular times, with Config.Timestamped: each frame reaches the server
// with its own timestamp (plus the AAC alignment when there is audio), in
// order, and a frame whose PTS does not come after the previous one is
// dropped and counted as "not-monotonic".
func TestTimestampedMode(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	// 120 twice and 100 after 120 are out of order; so is 700 after 700.
	sent := ms(0, 40, 50, 120, 120, 100, 200, 233, 234, 400, 700, 700, 701, 1000)
	kept := ms(0, 40, 50, 120, 200, 233, 234, 400, 700, 701, 1000)
	const dropped = 3

	for _, c := range []struct {
		name   string
		audio  bool
		offset time.Duration // added on the wire
	}{
		// Video alone needs no alignment: media time is the frame's PTS.
		{"video only", false, 0},
		// With audio, video goes out the AAC delay later (see
		// lipsync_test.go), so both present together.
		{"with audio", true, clkAACDelay},
	} {
		t.Run(c.name, func(t *testing.T) {
			const w, h = 64, 48
			black := clkSolid(w, h, color.RGBA{0, 0, 0, 255})
			white := clkSolid(w, h, color.RGBA{255, 255, 255, 255})
			next := 0
			video := capture.VideoSourceFunc(func(ctx context.Context) (capture.Frame, error) {
				if err := ctx.Err(); err != nil {
					return capture.Frame{}, err
				}
				if next == len(sent) {
					return capture.Frame{}, io.EOF
				}
				f := capture.Frame{Image: black, PTS: sent[next]}
				if next%2 == 1 {
					f.Image = white
				}
				next++
				return f, nil
			})
			srv, err := rtmptest.Start(rtmptest.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			cfg := Config{
				URL:          srv.URL("live", "stamped"),
				Video:        video,
				VideoEncoder: encode.H264Options{Width: w, Height: h, Timestamped: true},
			}
			if c.audio {
				tone := capture.Tone(clkStereo44k, 440, 0.3)
				tone.Duration = sent[len(sent)-1]
				cfg.Audio = tone
			}
			p, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if err := p.Run(ctx); err != nil {
				t.Fatal(err)
			}
			ev := clkWaitClosed(t, srv)

			var want []uint32
			for _, pts := range kept {
				want = append(want, millis(pts+c.offset))
			}
			got := clkMedia(ev, rtmptest.KindVideo)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("video timestamps on the wire\n got %v\nwant %v", got, want)
			}
			// No B-frames: each frame is presented when it is decoded.
			for _, e := range ev {
				if e.VideoFrame() && e.Video.CompositionTime != 0 {
					t.Errorf("video at %d ms has composition time %d", e.Timestamp, e.Video.CompositionTime)
				}
			}
			if c.audio {
				audio := clkMedia(ev, rtmptest.KindAudio)
				if len(audio) == 0 || audio[0] != 0 {
					t.Errorf("audio starts at %v, want 0", audio[:min(1, len(audio))])
				}
				clkCheckAudioSteps(t, audio, 44100)
			}
			st := p.Stats()
			if n := st.Video.OutOfOrder; n != dropped {
				t.Errorf("Video.OutOfOrder = %d, want %d (stats %+v)", n, dropped, st)
			}
			if st.Video.Taken != int64(len(sent)) || st.Video.Muxed != int64(len(kept)) {
				t.Errorf("Video.Taken %d, Video.Muxed %d; want %d taken, %d muxed", st.Video.Taken, st.Video.Muxed, len(sent), len(kept))
			}
			if st.Video.Repeated != 0 {
				t.Errorf("FramesRepeated = %d in timestamped mode", st.Video.Repeated)
			}
		})
	}
}
