package rtmpsrc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/faultproxy"
	"github.com/golivecast/golivecast/internal/testkit"
	"github.com/golivecast/golivecast/rtmptest"
)

// TestDynamicBitrate streams 1.4 Mbit/s to two servers, one of them
// behind an uplink throttled to 900 kbit/s for 6 s. With DynamicBitrate
// the encoder steps down instead of dropping groups of pictures: the
// slow destination drops at most 1 s of video, the fast one nothing, and
// the rate is back at its target within 15 s of the link recovering.
// The slow destination sets the rate for both (one encode).
func TestDynamicBitrate(t *testing.T) {
	slow, err := rtmptest.Start(rtmptest.Config{DropPayloads: true})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fast := startServer(t)
	px := startProxy(t, slow.Addr())
	const target = 1400 * encode.Kbps
	cfg := netConfig(px.Addr(), 1<<20, target)
	cfg.Destinations = []Destination{{URL: fast.URL("live", "fast"), Name: "fast"}}
	cfg.DynamicBitrate = true
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	errc := runAsync(t, p)
	mediaAt(t, p, 2*time.Second)
	px.SetRate(faultproxy.Up, 900*encode.Kbps)
	lowest := int64(target)
	mediaAt(t, p, 3*time.Second)
	for until := p.Stats().MediaTime + 5*time.Second; p.Stats().MediaTime < until; time.Sleep(50 * time.Millisecond) {
		lowest = min(lowest, p.Stats().Video.TargetBitrate)
	}
	px.Restore()
	recovered := time.Now()
	testkit.Eventually(t, 15*time.Second, "the bitrate back at its target", func() bool { return p.Stats().Video.TargetBitrate == target })
	back := time.Since(recovered)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	ds, df := st.Destinations[0], st.Destinations[1]
	dropped := int64(0)
	for _, n := range ds.VideoDropped {
		dropped += n
	}
	t.Logf("lowest bitrate %d kbit/s, back at %d kbit/s %v after the link recovered; slow destination dropped %d frames (%v), fast %v",
		lowest/1000, target/1000, back.Round(time.Millisecond), dropped, ds.VideoDropped, df.VideoDropped)
	if lowest >= 900*encode.Kbps {
		t.Errorf("the bitrate went no lower than %d bit/s through a 900 kbit/s link", lowest)
	}
	if dropped > 30 {
		t.Errorf("the slow destination dropped %d frames, want 1 s (30) at most", dropped)
	}
	for r, n := range df.VideoDropped {
		if n > 0 {
			t.Errorf("the fast destination dropped %d frames (%s)", n, r)
		}
	}
	if ds.Reconnects+df.Reconnects != 0 {
		t.Errorf("%d reconnects", ds.Reconnects+df.Reconnects)
	}
}

func TestDynamicBitrateNeedsBitrate(t *testing.T) {
	video, _ := testSources(64, 64, 1, 30, 44100, 1)
	_, err := New(Config{URL: "rtmp://h/live/k", Video: video, DynamicBitrate: true})
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("DynamicBitrate with CRF: %v, want ErrConfig", err)
	}
}
