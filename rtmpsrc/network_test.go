package rtmpsrc

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/faultproxy"
	"github.com/golivecast/golivecast/internal/testkit"
	"github.com/golivecast/golivecast/rtmptest"
)

// A stream through a bad network: the fault proxy between the publisher
// and a server, judged by what the server received and when.

// noiseVideo is a picture source of noise that x264 cannot predict, so
// that the stream runs at its bitrate target whatever the content.
func noiseVideo(w, h, frames int) capture.VideoSource {
	rng := rand.New(rand.NewPCG(3, 4))
	pics := make([]*image.RGBA, 8)
	for i := range pics {
		pics[i] = image.NewRGBA(image.Rect(0, 0, w, h))
		for j := range pics[i].Pix {
			pics[i].Pix[j] = byte(rng.Uint32())
		}
	}
	return capture.Images(func(i int) image.Image {
		if i >= frames {
			return nil
		}
		return pics[i%len(pics)]
	})
}

// netConfig is a stream of noise at an explicit bitrate to the server at
// addr: 320x240 at 30 fps, AAC at 64 kbit/s.
func netConfig(addr string, frames, bitrate int) Config {
	tone := capture.Tone(capture.AudioFormat{SampleRate: 44100, Channels: 2}, 440, 0.3)
	tone.Duration = time.Duration(frames) * time.Second / 30
	return Config{
		URL:   "rtmp://" + addr + "/live/net",
		Video: noiseVideo(320, 240, frames),
		Audio: tone,
		VideoEncoder: encode.H264Options{Width: 320, Height: 240, Preset: "ultrafast",
			Bitrate: bitrate, KeyframeInterval: time.Second},
		AudioEncoder: encode.AACOptions{Bitrate: 64 * encode.Kbps},
	}
}

func startProxy(t *testing.T, target string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(target, faultproxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// runAsync runs p and returns a channel with Run's error.
func runAsync(t *testing.T, p *Publisher) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- p.Run(context.Background()) }()
	t.Cleanup(func() { p.Close() })
	return errc
}

// mediaAt waits until p's media time reaches d.
func mediaAt(t *testing.T, p *Publisher, d time.Duration) {
	t.Helper()
	testkit.Eventually(t, d+10*time.Second, fmt.Sprintf("media time %v", d), func() bool { return p.Stats().MediaTime >= d })
}

// arrivalDelay is how late each media message reached the server: its
// arrival after media time zero, less its timestamp.
func arrivalDelay(e rtmptest.Event, zero time.Time) time.Duration {
	return e.Arrived.Sub(zero) - time.Duration(e.Timestamp)*time.Millisecond
}

// TestDelayBoundedUnderThrottle streams 1.4 Mbit/s through an uplink
// throttled for 6 s to 900 kbit/s, and to a third of the stream's rate:
// what the server receives is never more than MaxLatency + 300 ms behind
// (or, where one keyframe takes the link longer than MaxLatency to carry,
// that time + 300 ms),
// no audio and no keyframe is dropped, the slow link is never taken for a
// dead one, and Stats shows the send delay building up. At a third with
// dynamic bitrate, the keyframes shrink with the rate, and from 3 s into
// the throttle the bound holds with no allowance for them.
func TestDelayBoundedUnderThrottle(t *testing.T) {
	for _, c := range []struct {
		name    string
		rate    int
		dynamic bool
	}{
		{"900 kbit/s", 900 * encode.Kbps, false},
		{"a third", 1400 * encode.Kbps / 3, false},
		{"a third, dynamic bitrate", 1400 * encode.Kbps / 3, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv, err := rtmptest.Start(rtmptest.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			px := startProxy(t, srv.Addr())
			const maxLatency = 700 * time.Millisecond
			cfg := netConfig(px.Addr(), 30*10, 1400*encode.Kbps)
			cfg.MaxLatency = maxLatency
			cfg.DynamicBitrate = c.dynamic
			p, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			errc := runAsync(t, p)
			mediaAt(t, p, 2*time.Second)
			px.SetRate(faultproxy.Up, c.rate)
			var maxSendDelay time.Duration
			lowest := int64(1400 * encode.Kbps)
			var mu sync.Mutex
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				tick := time.NewTicker(50 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
					}
					if ds := p.Stats().Destinations; len(ds) == 1 {
						mu.Lock()
						maxSendDelay = max(maxSendDelay, ds[0].SendDelay)
						lowest = min(lowest, p.Stats().Video.TargetBitrate)
						mu.Unlock()
					}
				}
			})
			mediaAt(t, p, 8*time.Second)
			px.Restore()
			err = <-errc
			close(stop)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			ev, err := srv.WaitClosed(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			st := p.Stats()
			zero := p.StartedAt()
			var worst, settled time.Duration
			var worstAt uint32
			audio, keys, biggestKey := 0, 0, 0
			var before time.Duration
			for _, e := range ev {
				if !e.VideoFrame() && !e.AudioFrame() {
					continue
				}
				// Before the throttle: the machine's own delay, for the log.
				if e.Timestamp < 2000 {
					before = max(before, arrivalDelay(e, zero))
				} else {
					d := arrivalDelay(e, zero)
					if d > worst {
						worst, worstAt = d, e.Timestamp
					}
					// From 3 s into the throttle: what a controller that
					// adapts has had time to settle on.
					if e.Timestamp >= 5000 {
						settled = max(settled, d)
					}
				}
				if e.AudioFrame() {
					audio++
				} else if e.Video.FrameType == 1 {
					keys++
					biggestKey = max(biggestKey, len(e.Body))
				}
			}
			// A keyframe is never dropped, so the link's time to carry the
			// largest one is a floor no sender can go under.
			keyTime := time.Duration(float64(biggestKey*8) / float64(c.rate) * float64(time.Second))
			bound := max(maxLatency, keyTime) + 300*time.Millisecond
			d := st.Destinations[0]
			dropped := d.VideoDropped[DropCongestion] + d.VideoDropped[DropCongestionGOP]
			t.Logf("%s, link %d kbit/s: worst arrival delay %v (at %d ms; %v before the throttle; %v from 3 s into it), max SendDelay %v, %d frames dropped (%.1f s of video), %d reconnects, lowest bitrate %d kbit/s",
				c.name, c.rate/1000, worst.Round(time.Millisecond), worstAt, before.Round(time.Millisecond), settled.Round(time.Millisecond), maxSendDelay.Round(time.Millisecond), dropped, float64(dropped)/30, d.Reconnects, lowest/1000)
			t.Logf("largest keyframe %d bytes: %v on this link; bound %v", biggestKey, keyTime.Round(time.Millisecond), bound)
			if worst > bound {
				t.Errorf("media reached the server %v late, bound %v", worst, bound)
			}
			if dropped == 0 && !c.dynamic {
				t.Error("nothing dropped through a link slower than the stream")
			}
			// With dynamic bitrate, once the keyframes made at the old
			// rate have crossed, the bound holds with no allowance.
			if c.dynamic && settled > maxLatency+300*time.Millisecond {
				t.Errorf("from 3 s into the throttle, with dynamic bitrate, media reached the server %v late, bound %v", settled, maxLatency+300*time.Millisecond)
			}
			if audio != int(st.Audio.Muxed) || keys != int(st.Video.Keyframes) {
				t.Errorf("the server got %d of %d audio frames and %d of %d keyframes", audio, st.Audio.Muxed, keys, st.Video.Keyframes)
			}
			if d.Reconnects != 0 {
				t.Errorf("a slow link was taken for a dead one: %d reconnects", d.Reconnects)
			}
			if maxSendDelay < maxLatency/4 {
				t.Errorf("Stats showed at most %v of send delay while the link was congested", maxSendDelay)
			}
		})
	}
}

// TestDeadPathNoticed blackholes the path (no FIN, no RST): with the
// default StallTimeout the publisher notices within 5 s and, with
// reconnection off, Run ends with ErrTimeout.
func TestDeadPathNoticed(t *testing.T) {
	srv := startServer(t)
	px := startProxy(t, srv.Addr())
	cfg := netConfig(px.Addr(), 1<<20, 800*encode.Kbps)
	cfg.Reconnect.Disabled = true
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	errc := runAsync(t, p)
	mediaAt(t, p, time.Second)
	start := time.Now()
	px.SetBlackhole(faultproxy.Stall)
	select {
	case err = <-errc:
	case <-time.After(10 * time.Second):
		t.Fatal("a dead path went unnoticed for 10 s")
	}
	el := time.Since(start)
	t.Logf("noticed after %v: %v", el.Round(time.Millisecond), err)
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("got %v, want ErrTimeout", err)
	}
	if el > 5*time.Second {
		t.Errorf("a dead path took %v to notice, want 5 s at most", el)
	}
}

// TestResumeAfterBlackhole: the path is blackholed for 6 s and comes
// back. The publisher resumes within 2 s of the path's return, and the
// connection it gave up on was reset: none of its stale media reaches the
// server beside the new one, beyond what the proxy itself held.
func TestResumeAfterBlackhole(t *testing.T) {
	srv := startServer(t)
	px := startProxy(t, srv.Addr())
	cfg := netConfig(px.Addr(), 1<<20, 1200*encode.Kbps)
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runAsync(t, p)
	mediaAt(t, p, time.Second)
	px.SetBlackhole(faultproxy.Stall)
	testkit.Eventually(t, 10*time.Second, "the publisher to notice", func() bool {
		return p.Stats().Destinations[0].State == StateReconnecting
	})
	outage := p.Stats().MediaTime
	mediaAt(t, p, outage+3*time.Second)
	back := time.Now()
	px.Restore()
	testkit.Eventually(t, 10*time.Second, "media on a new connection", func() bool {
		for _, e := range srv.Events() {
			if e.Conn > 1 && e.VideoFrame() {
				return true
			}
		}
		return false
	})
	var resumed time.Time
	staleBytes := 0
	var staleMedia []uint32
	for _, e := range srv.Events() {
		if e.Conn > 1 && e.VideoFrame() && resumed.IsZero() {
			resumed = e.Arrived
		}
		if e.Conn == 1 && (e.VideoFrame() || e.AudioFrame()) && e.Arrived.After(back) {
			staleBytes += len(e.Body)
			staleMedia = append(staleMedia, e.Timestamp)
		}
	}
	t.Logf("resumed %v after the path came back; %d bytes of stale media arrived after it (%v)",
		resumed.Sub(back).Round(time.Millisecond), staleBytes, staleMedia)
	if d := resumed.Sub(back); d > 2*time.Second+300*time.Millisecond {
		t.Errorf("resumed %v after the path came back, want about 2 s at most", d)
	}
	// What the proxy holds is its socket buffer (8 KiB, doubled) and one
	// read: whatever is more came from the publisher's kernel.
	if staleBytes > 24<<10 {
		t.Errorf("%d bytes of the abandoned connection's media reached the server after the path came back", staleBytes)
	}
}

// TestResumeAfterServerRestart stops the server for 3 s and starts it on
// the same port: the publisher is back within 2 s of the server.
func TestResumeAfterServerRestart(t *testing.T) {
	srv := startServer(t)
	addr := srv.Addr()
	cfg := netConfig(addr, 1<<20, 600*encode.Kbps)
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runAsync(t, p)
	mediaAt(t, p, time.Second)
	srv.Close()
	down := p.Stats().MediaTime
	mediaAt(t, p, down+3*time.Second)
	srv2, err := rtmptest.Start(rtmptest.Config{Addr: addr, DropPayloads: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	back := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv2.WaitFor(ctx, func(ev []rtmptest.Event) bool {
		for _, e := range ev {
			if e.VideoFrame() {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	var resumed time.Time
	for _, e := range srv2.Events() {
		if e.VideoFrame() {
			resumed = e.Arrived
			break
		}
	}
	t.Logf("resumed %v after the server came back", resumed.Sub(back).Round(time.Millisecond))
	if d := resumed.Sub(back); d > 2*time.Second+300*time.Millisecond {
		t.Errorf("resumed %v after the server came back, want about 2 s at most", d)
	}
}

// TestEndWhileDown ends the picture while the only destination's path is
// down: pending attempts are cancelled at once, Run returns within 1 s of
// the end with an error naming the destination and the media it missed,
// and no connection is opened after the end, even once the path is back.
func TestEndWhileDown(t *testing.T) {
	srv := startServer(t)
	px := startProxy(t, srv.Addr())
	const frames = 30 * 5
	cfg := netConfig(px.Addr(), frames, 600*encode.Kbps)
	cfg.StallTimeout = time.Second
	ended := make(chan time.Time, 1)
	inner := cfg.Video
	cfg.Video = capture.VideoSourceFunc(func(ctx context.Context) (capture.Frame, error) {
		f, err := inner.ReadFrame(ctx)
		if err != nil {
			ended <- time.Now()
		}
		return f, err
	})
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	errc := runAsync(t, p)
	mediaAt(t, p, 2*time.Second)
	px.SetBlackhole(faultproxy.Stall)
	err = <-errc
	returned := time.Now()
	end := <-ended
	t.Logf("Run returned %v after the picture ended: %v", returned.Sub(end).Round(time.Millisecond), err)
	if returned.Sub(end) > time.Second {
		t.Errorf("Run returned %v after the end", returned.Sub(end))
	}
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "lacks the stream from") {
		t.Fatalf("got %v, want ErrIncomplete naming the media time missed", err)
	}
	accepted := px.Accepted()
	px.Restore()
	// Whatever attempt was on its way when the path came back must not
	// publish: the server sees no second publish.
	time.Sleep(500 * time.Millisecond) // as long as the path stays open in this test
	for _, e := range srv.Events() {
		if e.Kind == rtmptest.KindPublish && e.Conn > 1 {
			t.Errorf("a connection published after the end: %v", e)
		}
	}
	if px.Accepted() != accepted {
		t.Errorf("%d connections opened after Run returned", px.Accepted()-accepted)
	}
	if st := p.Stats().Destinations[0]; st.State != StateFailed {
		t.Errorf("destination state %v after missing the end", st.State)
	}
}
