package rtmpsrc

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
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

// videoBitrates returns the lowest and highest bitrate of the H.264 data
// (NAL units, without FLV headers) in an FLV file over every window of d
// that starts at a video tag and ends before the last one.
func videoBitrates(t *testing.T, path string, d time.Duration) (lo, hi float64) {
	t.Helper()
	type frame struct {
		at   time.Duration
		size int
	}
	var frames []frame
	for _, tg := range testkit.ReadFLVFile(t, path) {
		if tg.Video != nil && tg.Media() {
			frames = append(frames, frame{tg.Time(), len(tg.Body) - 5})
		}
	}
	if len(frames) == 0 {
		t.Fatalf("%s: no video", path)
	}
	lo = -1
	for i := range frames {
		if frames[i].at+d > frames[len(frames)-1].at {
			break
		}
		n := 0
		for j := i; j < len(frames) && frames[j].at < frames[i].at+d; j++ {
			n += frames[j].size
		}
		r := float64(8*n) / d.Seconds()
		if lo < 0 || r < lo {
			lo = r
		}
		hi = max(hi, r)
	}
	return lo, hi
}

// stillUnchanged is one picture for n frames, each after the first marked
// Unchanged.
func stillUnchanged(w, h, n int) capture.VideoSource {
	img := skipTextured(w, h, true)
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

// TestCBRStillPictureNginx pushes one picture and nothing more, live to
// nginx-rtmp at 1 Mbit/s: the publisher repeats it as skip frames padded
// to their share of the bitrate, among x264's keyframes padded by x264.
func TestCBRStillPictureNginx(t *testing.T) {
	const w, h, seconds, bitrate = 320, 240, 6, 1 * encode.Mbps
	ng := testkit.StartNginx(t, nginx.Options{})
	push := capture.NewVideoPush()
	defer push.Close()
	if err := push.WriteVideo(skipTextured(w, h, false)); err != nil {
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
	if st.SkipFrames < st.FramesOut-int64(seconds) {
		t.Errorf("%d skip frames of %d", st.SkipFrames, st.FramesOut)
	}
	lo, hi := videoBitrates(t, recs[0], 2*time.Second)
	t.Logf("over any 2 s: %.0f to %.0f kbit/s of %d", lo/1000, hi/1000, bitrate/1000)
	if lo < 0.9*bitrate || hi > 1.1*bitrate {
		t.Errorf("video over 2 s windows from %.0f to %.0f bit/s, want %d ±10%%", lo, hi, bitrate)
	}
	if errs := testkit.DecodeErrors(t, recs[0]); errs != "" {
		t.Errorf("decode errors: %s", errs)
	}
}

// TestCBRPresets records a still picture with each platform's preset:
// padding is on, and the recording holds the preset's bitrate over any
// 2 s. With NoFiller, it holds far less.
func TestCBRPresets(t *testing.T) {
	const seconds = 6
	for _, c := range []struct {
		platform Platform
		w, h     int
		noFiller bool
	}{
		{YouTube(), 854, 480, false},
		{Twitch(), 1280, 720, false},
		{FacebookLive(), 1280, 720, false},
		{Twitch(), 1280, 720, true},
	} {
		t.Run(fmt.Sprintf("%s/%dx%d/no filler %v", c.platform.Name, c.w, c.h, c.noFiller), func(t *testing.T) {
			video, _, err := c.platform.Preset(c.w, c.h, encode.Rational{Num: lipFPS, Den: 1})
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
			if _, err := runPublisher(t, Config{Output: f, Video: stillUnchanged(c.w, c.h, lipFPS*seconds), VideoEncoder: video}, 60*time.Second); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			lo, hi := videoBitrates(t, path, 2*time.Second)
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
