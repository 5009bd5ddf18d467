package rtmpsrc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/amf0"
	"github.com/golivecast/golivecast/internal/rtmp"
	"github.com/golivecast/golivecast/rtmptest"
	"github.com/yutopp/go-rtmp/handshake"
)

// runBounded runs a publisher to url and returns its error, failing the
// test when Run takes longer than limit.
func runBounded(t *testing.T, url string, limit time.Duration, mod func(*Config)) (error, string) {
	t.Helper()
	var logs bytes.Buffer
	var mu sync.Mutex
	video, audio := testSources(64, 64, 300, 30, 44100, 1)
	cfg := Config{URL: url, Video: video, Audio: audio,
		VideoEncoder: encode.H264Options{Width: 64, Height: 64},
		SetupTimeout: 2 * time.Second, DialTimeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if mod != nil {
		mod(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		return err, ""
	}
	defer p.Close()
	start := time.Now()
	err = p.Run(context.Background())
	if el := time.Since(start); el > limit {
		t.Errorf("Run took %v (limit %v)", el, limit)
	}
	mu.Lock()
	defer mu.Unlock()
	return err, logs.String()
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// fakeServer accepts connections and hands each to serve, for servers
// that misbehave on purpose.
func fakeServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				serve(c)
			}()
		}
	}()
	return "rtmp://" + ln.Addr().String() + "/live/topsecretkey"
}

func TestPublishRefused(t *testing.T) {
	srv, err := rtmptest.Start(rtmptest.Config{Authorize: func(app, key string) error { return errors.New("no") }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	err, logs := runBounded(t, srv.URL("live", "topsecretkey"), 5*time.Second, nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Level != "error" || !strings.HasPrefix(se.Code, "NetStream.Publish.") || !se.Permanent() {
		t.Fatalf("got %v, want a *StatusError", err)
	}
	if strings.Contains(err.Error(), "topsecretkey") || strings.Contains(logs, "topsecretkey") {
		t.Fatal("the stream key leaked into the error or the log")
	}
}

func TestServerMisbehaves(t *testing.T) {
	for _, c := range []struct {
		name  string
		serve func(net.Conn)
		want  error
	}{
		{"silent after accept", func(c net.Conn) { drain(c) }, ErrTimeout},
		{"garbage handshake", func(c net.Conn) { c.Write(bytes.Repeat([]byte{0xff}, 4000)) }, nil},
		{"closes after handshake", func(c net.Conn) { handshake.HandshakeWithClient(c, c, &handshake.Config{}) }, ErrConnectionLost},
		{"null _result", func(c net.Conn) {
			handshake.HandshakeWithClient(c, c, &handshake.Config{})
			var bw bytes.Buffer
			w := rtmp.ChunkWriter{W: bufioWriter(&bw), Size: 128}
			w.WriteMessage(3, rtmp.MsgCommandAMF0, 0, 0, amf0.Append(nil, "_result", 1, nil, nil))
			w.W.Flush()
			c.Write(bw.Bytes())
			drain(c)
		}, ErrTimeout},
		{"absurd chunk size", func(c net.Conn) {
			handshake.HandshakeWithClient(c, c, &handshake.Config{})
			var bw bytes.Buffer
			w := rtmp.ChunkWriter{W: bufioWriter(&bw), Size: 128}
			w.WriteMessage(2, rtmp.MsgSetChunkSize, 0, 0, []byte{0x7f, 0xff, 0xff, 0xff})
			w.W.Flush()
			c.Write(bw.Bytes())
			drain(c)
		}, ErrProtocol},
		{"huge message", func(c net.Conn) {
			handshake.HandshakeWithClient(c, c, &handshake.Config{})
			c.Write([]byte{0x03, 0, 0, 0, 0xff, 0xff, 0xff, 20, 0, 0, 0, 0})
			drain(c)
		}, ErrProtocol},
		{"truncated mid-message", func(c net.Conn) {
			handshake.HandshakeWithClient(c, c, &handshake.Config{})
			var bw bytes.Buffer
			w := rtmp.ChunkWriter{W: bufioWriter(&bw), Size: 128}
			w.WriteMessage(3, rtmp.MsgCommandAMF0, 0, 0, amf0.Append(nil, "_result", 1, amf0.Object{{Key: "fmsVer", Value: "FMS/3,0,1,123"}},
				amf0.Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetConnection.Connect.Success"}}))
			w.W.Flush()
			c.Write(bw.Bytes()[:bw.Len()/2])
		}, ErrConnectionLost},
		{"flood", func(c net.Conn) {
			handshake.HandshakeWithClient(c, c, &handshake.Config{})
			// Endless onBWDone commands, never an answer: the setup
			// timeout ends it and memory stays flat, since each message
			// is handled and forgotten.
			var bw bytes.Buffer
			w := rtmp.ChunkWriter{W: bufioWriter(&bw), Size: 128}
			for i := 0; i < 100; i++ {
				w.WriteMessage(3, rtmp.MsgCommandAMF0, 0, 0, amf0.Append(nil, "onBWDone", 0, nil))
			}
			w.W.Flush()
			go drain(c)
			for {
				if _, err := c.Write(bw.Bytes()); err != nil {
					return
				}
			}
		}, ErrTimeout},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := fakeServer(t, c.serve)
			err, _ := runBounded(t, url, 4*time.Second, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if strings.Contains(err.Error(), "topsecretkey") {
				t.Fatal("the stream key leaked into the error")
			}
		})
	}
}

func drain(c net.Conn) { _, _ = bytes.NewBuffer(nil).ReadFrom(c) }

func TestNothingListening(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	err, _ = runBounded(t, "rtmp://"+addr+"/live/topsecretkey", 3*time.Second, nil)
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("got %v", err)
	}
}

// TestWrongImageSize: a picture of the wrong size, refused, ends Run
// with an error naming it (New cannot see pictures).
func TestWrongImageSize(t *testing.T) {
	video, _ := testSources(64, 64, 1, 30, 44100, 1)
	var out bytes.Buffer
	p, err := New(Config{Output: &out, Video: video, Fit: encode.FitReject, VideoEncoder: encode.H264Options{Width: 320, Height: 240}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background()); !errors.Is(err, encode.ErrImageSize) {
		t.Fatalf("wrong image size: %v", err)
	}
}

// TestCloseWhileStreaming checks that Close ends a live stream quickly
// and cleanly from another goroutine.
func TestCloseWhileStreaming(t *testing.T) {
	srv := startServer(t)
	video, audio := testSources(64, 64, 1<<30, 30, 44100, 2)
	p, err := New(Config{URL: srv.URL("live", "k"), Video: video, Audio: audio, VideoEncoder: encode.H264Options{Width: 64, Height: 64}})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- p.Run(context.Background()) }()
	waitFrames(t, p, 5)
	start := time.Now()
	p.Close()
	p.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("Close took %v", el)
	}
	if p.Stats().Video.Muxed < 5 {
		t.Fatalf("stats %+v", p.Stats())
	}
}

func bufioWriter(b *bytes.Buffer) *bufio.Writer { return bufio.NewWriter(b) }

// TestServerCommandsIgnored: commands a publisher has no use for, some of
// them malformed (ffmpeg's listen mode sends a bare "onFCPublish"), are
// logged and ignored during the setup and mid-stream; the stream ends
// normally.
func TestServerCommandsIgnored(t *testing.T) {
	var odd [][]byte
	for _, vals := range [][]any{
		{"onFCPublish"},
		{"onBWDone", 0, nil, 8192},
		{"onStatus"},
		{"|RtmpSampleAccess", false, false},
		{"someUnknownCommand", 9, nil, "x"},
		{"_result", 99, nil, nil},
		{"_error", 42, amf0.Object{{Key: "fmsVer", Value: "x"}}, amf0.Object{{Key: "level", Value: "error"}, {Key: "code", Value: "NetConnection.Call.Failed"}}},
		{12.0, "not a name first"},
	} {
		odd = append(odd, amf0.Append(nil, vals...))
	}
	odd = append(odd, nil, []byte{0x02, 0x00}) // empty, and a truncated string
	url := fakeServer(t, func(c net.Conn) {
		var bw bytes.Buffer
		w := rtmp.ChunkWriter{W: bufioWriter(&bw), Size: 128}
		for _, body := range odd {
			w.WriteMessage(3, rtmp.MsgCommandAMF0, 0, 0, body)
		}
		w.W.Flush()
		_, r, send := scriptedServer(t, c)
		if send == nil {
			return
		}
		c.Write(bw.Bytes()) // during the setup
		send(1, "onStatus", 0, nil, amf0.Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetStream.Publish.Start"}})
		c.Write(bw.Bytes()) // and mid-stream
		for {
			m, err := r.ReadMessage()
			if err != nil {
				t.Errorf("server: %v", err)
				return
			}
			if m.Type == rtmp.MsgSetChunkSize {
				r.SetChunkSize(m.Payload)
			}
			if vals, _ := amf0.DecodeAll(m.Payload); m.Type == rtmp.MsgCommandAMF0 && len(vals) > 0 && vals[0] == "deleteStream" {
				return
			}
		}
	})
	err, logs := runBounded(t, url, 5*time.Second, func(c *Config) {
		c.Reconnect.Disabled = true
		c.Video, c.Audio = testSources(64, 64, 10, 30, 44100, 1)
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, want := range []string{"name=onFCPublish", "unreadable server command"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the debug log does not mention %q", want)
		}
	}
}
