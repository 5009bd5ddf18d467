package rtmpsrc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"image"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/amf0"
	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/internal/rtmp"
	"github.com/golivecast/golivecast/internal/testkit"
	"github.com/golivecast/golivecast/rtmptest"
)

// leakKey is distinctive enough that finding it anywhere is a leak. Its
// query is part of the key, and a server may echo either half.
const (
	leakKeyName = "sk_live_Q7ZX9leakcanary"
	leakKey     = leakKeyName + "?auth=S3cr3tT0ken"
)

// assertRedacted fails when any part of leakKey appears in the error or
// the log.
func assertRedacted(t *testing.T, err error, logs string) {
	t.Helper()
	for _, part := range []string{leakKeyName, "S3cr3tT0ken"} {
		if err != nil && strings.Contains(err.Error(), part) {
			t.Errorf("%q is in the error: %v", part, err)
		}
		if strings.Contains(logs, part) {
			t.Errorf("%q is in the log:\n%s", part, logs)
		}
	}
}

// TestDNSFailure: a host that cannot resolve fails at once, naming the
// host and not the key.
func TestDNSFailure(t *testing.T) {
	start := time.Now()
	err, logs := runBounded(t, "rtmp://no-such-host.invalid/live/"+leakKey, 10*time.Second, defaultTimeouts)
	t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if err == nil || !strings.Contains(err.Error(), "no-such-host.invalid") {
		t.Fatalf("got %v, want an error naming the host", err)
	}
	var de *net.DNSError
	if !errors.As(err, &de) {
		t.Errorf("error %v does not unwrap to *net.DNSError", err)
	}
	assertRedacted(t, err, logs)
}

// scriptedServer plays a server up to the publish command, for servers
// that then misbehave on purpose. It returns the publishing name it got,
// a reader of what follows, and a command writer.
func scriptedServer(t *testing.T, c net.Conn) (key string, r *rtmp.ChunkReader, send func(stream uint32, vals ...any)) {
	if err := serverHandshake(c); err != nil {
		t.Errorf("scripted server: handshake: %v", err)
		return "", nil, nil
	}
	bw := bufio.NewWriter(c)
	cw := rtmp.ChunkWriter{W: bw, Size: 128}
	send = func(stream uint32, vals ...any) {
		_ = cw.WriteMessage(rtmp.CSIDCommand, rtmp.MsgCommandAMF0, stream, 0, amf0.Append(nil, vals...))
		_ = bw.Flush()
	}
	r = rtmp.NewChunkReader(c)
	for {
		m, err := r.ReadMessage()
		if err != nil {
			t.Errorf("scripted server: %v", err)
			return "", nil, nil
		}
		switch m.Type {
		case rtmp.MsgSetChunkSize:
			if err := r.SetChunkSize(m.Payload); err != nil {
				t.Errorf("scripted server: %v", err)
				return "", nil, nil
			}
		case rtmp.MsgCommandAMF0:
			vals, err := amf0.DecodeAll(m.Payload)
			if err != nil || len(vals) < 2 {
				t.Errorf("scripted server: command %v: %v", vals, err)
				return "", nil, nil
			}
			name, _ := vals[0].(string)
			tx, _ := vals[1].(float64)
			switch name {
			case "connect":
				send(0, "_result", tx, amf0.Object{{Key: "fmsVer", Value: "FMS/3,0,1,123"}},
					amf0.Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetConnection.Connect.Success"}})
			case "createStream":
				send(0, "_result", tx, nil, 1)
			case "publish":
				if len(vals) > 3 {
					key, _ = vals[3].(string)
				}
				return key, r, send
			}
		}
	}
}

// TestKeyNeverLeaks runs publishers with a distinctive key into servers
// that refuse it or drop the stream, and looks for the key in the error
// and in the publisher's debug log. The redacted form may appear.
func TestKeyNeverLeaks(t *testing.T) {
	t.Run("go-rtmp refuses", func(t *testing.T) {
		srv, err := rtmptest.Start(rtmptest.Config{Authorize: func(app, key string) error { return errors.New("no") }})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		err, logs := runBounded(t, srv.URL("live", leakKey), 3*time.Second, nil)
		var se *StatusError
		if !errors.As(err, &se) {
			t.Fatalf("got %v, want a *StatusError", err)
		}
		assertRedacted(t, err, logs)
	})

	t.Run("refusal echoes the key", func(t *testing.T) {
		url := fakeServer(t, func(c net.Conn) {
			key, _, send := scriptedServer(t, c)
			if send == nil {
				return
			}
			name, _, _ := strings.Cut(key, "?")
			send(1, "onStatus", 0, nil, amf0.Object{{Key: "level", Value: "error"}, {Key: "code", Value: "NetStream.Publish.Denied"},
				{Key: "description", Value: "stream " + key + " refused (name " + name + ")"}})
			drain(c)
		})
		url = strings.TrimSuffix(url, "topsecretkey") + leakKey
		err, logs := runBounded(t, url, 3*time.Second, nil)
		var se *StatusError
		if !errors.As(err, &se) || se.Code != "NetStream.Publish.Denied" {
			t.Fatalf("got %v, want a *StatusError NetStream.Publish.Denied", err)
		}
		if want := "stream **** refused (name ****)"; se.Description != want {
			t.Errorf("description %q, want %q", se.Description, want)
		}
		assertRedacted(t, err, logs)
	})

	t.Run("go-rtmp drops mid-stream", func(t *testing.T) {
		srv, err := rtmptest.Start(rtmptest.Config{DropPayloads: true})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		err, logs := dropMidStream(t, srv.URL("live", leakKey), func() { srv.Close() }, noReconnect)
		if !errors.Is(err, ErrConnectionLost) {
			t.Fatalf("got %v, want ErrConnectionLost", err)
		}
		assertRedacted(t, err, logs)
		if !strings.Contains(logs, "/live/****") {
			t.Errorf("the log does not name the stream in redacted form:\n%s", logs)
		}
	})

	t.Run("nginx dies mid-stream", func(t *testing.T) {
		// Reconnecting logs every attempt: none may show the key.
		ng := testkit.StartNginx(t, nginx.Options{})
		err, logs := dropMidStream(t, ng.URL("live", leakKey), ng.Stop, func(cfg *Config) {
			cfg.Reconnect = ReconnectPolicy{InitialDelay: 100 * time.Millisecond, MaxAttempts: 2}
		})
		if !errors.Is(err, ErrConnectionLost) || !strings.Contains(err.Error(), "reconnect") {
			t.Fatalf("got %v, want ErrConnectionLost after 2 reconnect attempts", err)
		}
		if !strings.Contains(logs, "reconnect") {
			t.Errorf("no reconnect in the log:\n%s", logs)
		}
		assertRedacted(t, err, logs)
	})

	t.Run("server resets mid-stream", func(t *testing.T) {
		url := fakeServer(t, func(c net.Conn) {
			_, r, send := scriptedServer(t, c)
			if send == nil {
				return
			}
			send(1, "onStatus", 0, nil, amf0.Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetStream.Publish.Start"}})
			// Mid-stream: well past the time in which a close counts as
			// a refusal of the publish.
			for start := time.Now(); time.Since(start) < 2*rtmp.PublishSettle; {
				if _, err := r.ReadMessage(); err != nil {
					return
				}
			}
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // RST instead of FIN
			}
		})
		url = strings.TrimSuffix(url, "topsecretkey") + leakKey
		start := time.Now()
		err, logs := runBounded(t, url, 3*time.Second, noReconnect)
		t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
		if !errors.Is(err, ErrConnectionLost) {
			t.Fatalf("got %v, want ErrConnectionLost", err)
		}
		assertRedacted(t, err, logs)
	})
}

func noReconnect(cfg *Config) { cfg.Reconnect.Disabled = true }

// dropMidStream publishes an endless stream to url, calls drop once 10
// frames are out, and returns Run's error, which must come within 5 s,
// and the publisher's debug log.
func dropMidStream(t *testing.T, url string, drop func(), mod func(*Config)) (error, string) {
	t.Helper()
	var logs bytes.Buffer
	var mu sync.Mutex
	video, audio := testSources(64, 64, 1<<30, 30, 44100, 1)
	cfg := Config{URL: url, Video: video, Audio: audio,
		VideoEncoder: encode.H264Options{Width: 64, Height: 64},
		Logger:       slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	mod(&cfg)
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(context.Background()) }()
	waitFrames(t, p, 10)
	start := time.Now()
	drop()
	select {
	case err = <-errc:
		t.Logf("Run ended %v after the drop: %v", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(5 * time.Second):
		t.Fatalf("Run still going 5 s after the server dropped the stream: %+v", p.Stats())
	}
	mu.Lock()
	defer mu.Unlock()
	return err, logs.String()
}

// stallingServer accepts a publish, then stops reading. Its goroutine is
// released when the test ends.
func stallingServer(t *testing.T) string {
	stop := make(chan struct{})
	url := fakeServer(t, func(c net.Conn) {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4096)
		}
		_, _, send := scriptedServer(t, c)
		if send == nil {
			return
		}
		send(1, "onStatus", 0, nil, amf0.Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetStream.Publish.Start"}})
		<-stop
	})
	// Cleanups run last first: this one releases the server before
	// fakeServer's waits for it.
	t.Cleanup(func() { close(stop) })
	return url
}

// noisy makes cfg send noise at a high quality, megabytes a second, which
// fills socket buffers quickly.
func noisy(cfg *Config) {
	const w, h = 320, 180
	rng := rand.New(rand.NewPCG(1, 2))
	pics := make([]*image.RGBA, 8)
	for i := range pics {
		pics[i] = image.NewRGBA(image.Rect(0, 0, w, h))
		for j := range pics[i].Pix {
			pics[i].Pix[j] = byte(rng.Uint32())
		}
	}
	cfg.Video = capture.Images(func(i int) image.Image { return pics[i%len(pics)] })
	cfg.Audio = nil
	cfg.VideoEncoder = encode.H264Options{Width: w, Height: h, Preset: "ultrafast", CRF: 1}
}

// TestServerStopsReading: a server that accepts the publish and then
// stops reading must not hang the publisher; the write timeout ends Run.
func TestServerStopsReading(t *testing.T) {
	url := stallingServer(t)
	start := time.Now()
	err, logs := runBounded(t, url, 15*time.Second, func(cfg *Config) {
		noisy(cfg)
		noReconnect(cfg)
		cfg.WriteTimeout = time.Second
	})
	t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "stalled") {
		t.Fatalf("got %v, want ErrTimeout for a stalled write", err)
	}
	assertRedacted(t, err, logs)
}

// errSourceBroke is what the failing source of TestStopUnblocks returns.
var errSourceBroke = errors.New("test source broke")

// TestStopUnblocks: Close, a cancelled context or a failing source end
// Run within a second whatever the connection is stuck in, with the
// default 10 s timeouts.
func TestStopUnblocks(t *testing.T) {
	// A server that reads what comes and never answers: the publisher is
	// stuck in its setup once the server has read its first bytes.
	var heard chan struct{}
	silent := func(t *testing.T) string {
		heard = make(chan struct{})
		var once sync.Once
		return fakeServer(t, func(c net.Conn) {
			var b [1]byte
			if _, err := c.Read(b[:]); err == nil {
				once.Do(func() { close(heard) })
			}
			drain(c)
		})
	}
	silentTLS := func(t *testing.T) string { return "rtmps" + strings.TrimPrefix(silent(t), "rtmp") }
	inSetup := func(*Publisher) bool {
		select {
		case <-heard:
			return true
		case <-time.After(10 * time.Second):
			return false
		}
	}
	for _, c := range []struct {
		name  string
		url   func(*testing.T) string
		mod   func(*Config)
		stuck func(*Publisher) bool // waits until the publisher is stuck
		how   string                // "close", "cancel" or "source"
	}{
		{"Close in RTMP setup", silent, nil, inSetup, "close"},
		{"cancel in RTMP setup", silent, nil, inSetup, "cancel"},
		{"Close in TLS handshake", silentTLS, nil, inSetup, "close"},
		{"cancel in TLS handshake", silentTLS, nil, inSetup, "cancel"},
		{"Close in a stalled write", stallingServer, noisy, writerStalled(), "close"},
		{"cancel in a stalled write", stallingServer, noisy, writerStalled(), "cancel"},
		{"source fails in a stalled write", stallingServer, noisy, writerStalled(), "source"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{URL: strings.TrimSuffix(c.url(t), "topsecretkey") + leakKey}
			cfg.Video, cfg.Audio = testSources(64, 64, 1<<30, 30, 44100, 1)
			cfg.VideoEncoder = encode.H264Options{Width: 64, Height: 64}
			if c.mod != nil {
				c.mod(&cfg)
			}
			var broken atomic.Bool
			inner := cfg.Video
			cfg.Video = capture.VideoSourceFunc(func(ctx context.Context) (capture.Frame, error) {
				if broken.Load() {
					return capture.Frame{}, errSourceBroke
				}
				return inner.ReadFrame(ctx)
			})
			p, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errc := make(chan error, 1)
			go func() { errc <- p.Run(ctx) }()
			if !c.stuck(p) {
				t.Fatalf("the writer never stalled: %+v", p.Stats())
			}
			start := time.Now()
			var want error
			switch c.how {
			case "close":
				want = ErrClosed
				go p.Close()
			case "cancel":
				want = context.Canceled
				cancel()
			case "source":
				want = errSourceBroke
				broken.Store(true)
			}
			select {
			case err = <-errc:
				t.Logf("Run ended %v after the stop: %v", time.Since(start).Round(time.Millisecond), err)
				if !errors.Is(err, want) {
					t.Errorf("Run: %v, want %v", err, want)
				}
				if el := time.Since(start); el > time.Second {
					t.Errorf("Run took %v to end after the stop", el)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("Run did not end 15 s after the stop")
			}
		})
	}
}

// writerStalled returns a wait for the send queue to back up (or video
// to be dropped for congestion), which means the writer is blocked.
func writerStalled() func(*Publisher) bool {
	return func(p *Publisher) bool {
		return testkit.Poll(10*time.Second, func() bool {
			d := p.Stats().Destinations[0]
			return d.Queued > 300*time.Millisecond || d.VideoDropped[DropCongestion]+d.VideoDropped[DropCongestionGOP] > 0
		})
	}
}
