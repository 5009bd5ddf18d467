package rtmpsrc

import (
	"context"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/internal/testkit"
)

// Constant bitrate means constant: with Bitrate equal to MaxBitrate (as
// by default, and in every platform preset), a still picture is padded to
// the bitrate, so what a server receives over any 2 s is within 10% of
// it. Judged on what the server recorded.

// TestCBRStillPictureNginx pushes one picture and nothing more, live to
// nginx-rtmp at 1 Mbit/s: the publisher repeats it as skip frames padded
// to their share of the bitrate, among x264's keyframes padded by x264.
func TestCBRStillPictureNginx(t *testing.T) {
	const w, h, seconds, bitrate = 320, 240, 6, 1 * encode.Mbps
	ng := testkit.StartNginx(t, nginx.Options{})
	push := capture.NewVideoPush()
	defer push.Close()
	if err := push.WriteVideo(capture.Frame{Image: skipTextured(w, h, false)}); err != nil {
		t.Fatal(err)
	}
	p, err := New(Config{
		URL:          ng.URL("live", "cbr"),
		Video:        push,
		VideoEncoder: encode.H264Options{Width: w, Height: h, Bitrate: bitrate},
		Reconnect:    ReconnectPolicy{Disabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	waitFrames(t, p, lipFPS*seconds)
	push.Close()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	ng.Stop()
	recs := ng.RecordingsOf("cbr")
	if len(recs) != 1 {
		t.Fatalf("recordings %v", recs)
	}
	st := p.Stats()
	if st.Video.SkipFrames < st.Video.Muxed-int64(seconds) {
		t.Errorf("%d skip frames of %d", st.Video.SkipFrames, st.Video.Muxed)
	}
	lo, hi := testkit.VideoBitrates(t, recs[0], 2*time.Second)
	t.Logf("over any 2 s: %.0f to %.0f kbit/s of %d", lo/1000, hi/1000, bitrate/1000)
	if lo < 0.9*bitrate || hi > 1.1*bitrate {
		t.Errorf("video over 2 s windows from %.0f to %.0f bit/s, want %d ±10%%", lo, hi, bitrate)
	}
	if errs := testkit.DecodeErrors(t, recs[0]); errs != "" {
		t.Errorf("decode errors: %s", errs)
	}
}
