package rtmpsrc

import (
	"context"
	"image"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/testkit"
	"github.com/golivecast/golivecast/rtmptest"
)

// throttle is a TCP proxy on loopback that forwards client bytes to the
// server at a fixed rate, like an uplink slower than the stream.
type throttle struct {
	ln     net.Listener
	target string
	rate   int // bytes per second
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

func startThrottle(t *testing.T, target string, rate int) *throttle {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	th := &throttle{ln: ln, target: target, rate: rate}
	th.wg.Add(1)
	go th.serve()
	t.Cleanup(th.close)
	return th
}

func (th *throttle) serve() {
	defer th.wg.Done()
	for {
		c, err := th.ln.Accept()
		if err != nil {
			return
		}
		// A small receive buffer, so that the link and not the kernel
		// holds the backlog.
		c.(*net.TCPConn).SetReadBuffer(8 << 10)
		s, err := net.Dial("tcp", th.target)
		if err != nil {
			c.Close()
			continue
		}
		th.mu.Lock()
		th.conns = append(th.conns, c, s)
		th.mu.Unlock()
		th.wg.Add(2)
		go func() { defer th.wg.Done(); io.Copy(c, s); c.Close() }()
		go func() {
			defer th.wg.Done()
			defer s.Close()
			// A token bucket: never more than rate bytes per second
			// since the start.
			start := time.Now()
			sent := 0
			buf := make([]byte, 4096)
			for {
				allowed := int(time.Since(start).Seconds()*float64(th.rate)) - sent
				if allowed <= 0 {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				n, err := c.Read(buf[:min(allowed, len(buf))])
				if n > 0 {
					sent += n
					if _, err := s.Write(buf[:n]); err != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

func (th *throttle) close() {
	th.ln.Close()
	th.mu.Lock()
	for _, c := range th.conns {
		c.Close()
	}
	th.mu.Unlock()
	th.wg.Wait()
}

// TestCongestion streams about 1 Mbit/s through a 64 kB/s uplink, enough
// for the audio and the keyframes but not for every frame: the publisher
// must keep its queue near the latency bound by dropping video, never
// audio, and what arrives must still be a stream whose audio is
// continuous and whose video restarts at keyframes.
func TestCongestion(t *testing.T) {
	testkit.RequireFFmpeg(t)
	rec := filepath.Join(t.TempDir(), "congested.flv")
	srv, err := rtmptest.Start(rtmptest.Config{Record: func(app, key string) (io.WriteCloser, error) { return os.Create(rec) }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	th := startThrottle(t, srv.Addr(), 64_000)

	const fps, seconds = 30, 6
	_, audio := testSources(320, 240, fps*seconds, fps, 44100, 2)
	// Noise: nothing an encoder can predict, so it spends its bitrate.
	rng := rand.New(rand.NewPCG(1, 2))
	video := capture.Images(func(i int) image.Image {
		if i >= fps*seconds {
			return nil
		}
		img := image.NewRGBA(image.Rect(0, 0, 320, 240))
		for j := range img.Pix {
			img.Pix[j] = byte(rng.Uint32())
		}
		return img
	})
	p, err := New(Config{
		URL:   "rtmp://" + th.ln.Addr().String() + "/live/congested",
		Video: video,
		Audio: audio,
		// The VBV buffer caps a keyframe at about 30 kB.
		VideoEncoder: encode.H264Options{Width: 320, Height: 240, Bitrate: 1000 * encode.Kbps, BufferSize: 250 * encode.Kbps, Preset: "ultrafast", KeyframeInterval: time.Second},
		AudioEncoder: encode.AACOptions{Bitrate: 64 * encode.Kbps},
		MaxLatency:   500 * time.Millisecond,
		// What waits in the kernel escapes the bound: keep it small
		// against this slow link.
		SendBuffer:   16 << 10,
		WriteTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	var maxQueued time.Duration
	var maxHeap uint64
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var ms runtime.MemStats
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		case <-tick.C:
			maxQueued = max(maxQueued, p.Stats().Destinations[0].Queued)
			runtime.ReadMemStats(&ms)
			maxHeap = max(maxHeap, ms.HeapAlloc)
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not end")
		}
	}
	st := p.Stats()
	t.Logf("stats %+v, max queued %v, max heap %d kB", st, maxQueued, maxHeap>>10)
	if d := st.Destinations[0].VideoDropped; d[DropCongestion]+d[DropCongestionGOP] == 0 {
		t.Fatal("nothing dropped through a link slower than the stream")
	}
	// Audio and keyframes are never dropped, so the queue can pass the
	// threshold while the link carries a keyframe; it must not grow
	// beyond that.
	if maxQueued > 2*500*time.Millisecond {
		t.Errorf("queue held %v of media, threshold 500 ms", maxQueued)
	}
	if maxHeap > 200<<20 {
		t.Errorf("heap reached %d MB", maxHeap>>20)
	}

	// Let what is in flight arrive, then check what the server saw.
	wctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.WaitFor(wctx, func(ev []rtmptest.Event) bool {
		return len(ev) > 0 && ev[len(ev)-1].Kind == rtmptest.KindClose
	}); err != nil {
		t.Fatal(err)
	}
	var (
		audioTS   []uint32
		needKey   = true
		lastVideo = int64(-1)
	)
	for _, e := range srv.Events() {
		switch {
		case e.AudioFrame():
			audioTS = append(audioTS, e.Timestamp)
		case e.VideoFrame():
			if int64(e.Timestamp) < lastVideo {
				t.Fatalf("video timestamps go back")
			}
			// With zerolatency every frame is referenced, so any gap is a
			// dropped rest of a GOP: the next frame must be a keyframe.
			if lastVideo >= 0 && int64(e.Timestamp)-lastVideo > 40 {
				needKey = true
			}
			lastVideo = int64(e.Timestamp)
			if needKey && e.Video.FrameType != 1 {
				t.Fatalf("video at %d ms resumes without a keyframe", e.Timestamp)
			}
			needKey = false
		}
	}
	// What arrived decodes cleanly: drops only ever cut a GOP's tail.
	if errs := testkit.DecodeErrors(t, rec); errs != "" {
		t.Errorf("the congested stream does not decode cleanly: %s", errs)
	}
	// Audio is never dropped: every AAC frame arrives, 1024 samples apart.
	if want := int(st.Audio.Muxed); len(audioTS) != want {
		t.Fatalf("%d audio frames arrived, %d sent", len(audioTS), want)
	}
	for i := 1; i < len(audioTS); i++ {
		if d := audioTS[i] - audioTS[i-1]; d > 24 {
			t.Fatalf("audio gap of %d ms at %d", d, audioTS[i])
		}
	}
}
