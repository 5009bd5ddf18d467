package rawrtmp_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/golivecast/golivecast/internal/rawrtmp"
	"github.com/golivecast/golivecast/rtmptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestAgainstGoRTMPServer(t *testing.T) {
	s, err := rtmptest.Start(rtmptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	c, err := rawrtmp.Dial(ctx, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	seen, err := c.Connect(ctx, "live", s.URL("live", ""))
	if err != nil {
		t.Fatal(err)
	}
	level, code, _, ok := seen[len(seen)-1].Status()
	if !ok || level != "status" || code != "NetConnection.Connect.Success" {
		t.Errorf("connect answer %s", seen[len(seen)-1])
	}
	if len(c.Received()) == 0 {
		t.Error("Received is empty")
	}
	id, _, err := c.CreateStream(ctx, 2)
	if err != nil || id == 0 {
		t.Fatalf("CreateStream = %d, %v", id, err)
	}
	if _, err := c.Publish(ctx, id, "k"); err != nil {
		t.Fatal(err)
	}
	if err := c.Video(id, 0, []byte{0x17, 0x00, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	// Nothing more comes: a short read times out and is not "closed".
	rctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = c.Read(rctx)
	if !errors.Is(err, os.ErrDeadlineExceeded) || rawrtmp.IsClosed(err) {
		t.Errorf("idle read = %v, want a timeout", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestPeerCloses(t *testing.T) {
	// A server that reads the handshake, answers it, then hangs up.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		buf := make([]byte, 1537)
		if _, err := readFull(nc, buf); err != nil {
			return
		}
		// S0, S1, then S2 echoing C1.
		_, _ = nc.Write(append(append([]byte{3}, make([]byte, 1536)...), buf[1:]...))
		_, _ = readFull(nc, make([]byte, 1536))
	}()
	ctx := context.Background()
	c, err := rawrtmp.Dial(ctx, l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-done
	_, err = c.Connect(ctx, "live", "rtmp://x/live")
	if !rawrtmp.IsClosed(err) {
		t.Errorf("Connect after the peer closed = %v, want closed", err)
	}
}

func readFull(nc net.Conn, b []byte) (int, error) {
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	n := 0
	for n < len(b) {
		k, err := nc.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestChunks(t *testing.T) {
	body := bytes.Repeat([]byte{0xaa}, 5)
	for _, c := range []struct {
		name string
		got  []byte
		want string
	}{
		{"one chunk", rawrtmp.Chunks(6, 9, 1, 40, body, 128, true),
			"06" + "000028" + "000005" + "09" + "01000000" + "aaaaaaaaaa"},
		{"split", rawrtmp.Chunks(6, 9, 1, 40, body, 3, true),
			"06" + "000028" + "000005" + "09" + "01000000" + "aaaaaa" + "c6" + "aaaa"},
		{"extended, repeated", rawrtmp.Chunks(6, 9, 1, 0x01000000, body, 3, true),
			"06" + "ffffff" + "000005" + "09" + "01000000" + "01000000" + "aaaaaa" + "c6" + "01000000" + "aaaa"},
		{"extended, not repeated", rawrtmp.Chunks(6, 9, 1, 0x01000000, body, 3, false),
			"06" + "ffffff" + "000005" + "09" + "01000000" + "01000000" + "aaaaaa" + "c6" + "aaaa"},
		{"set chunk size", rawrtmp.SetChunkSize(4096),
			"02" + "000000" + "000004" + "01" + "00000000" + "00001000"},
	} {
		if got := hex.EncodeToString(c.got); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestStatus(t *testing.T) {
	m := rawrtmp.Message{TypeID: 20, Name: "onStatus", Args: []any{nil, map[string]any{
		"level": "error", "code": "NetStream.Publish.BadName", "description": "Already publishing",
	}}}
	level, code, desc, ok := m.Status()
	if !ok || level != "error" || code != "NetStream.Publish.BadName" || desc != "Already publishing" {
		t.Errorf("Status = %q %q %q %v", level, code, desc, ok)
	}
	if _, _, _, ok := (rawrtmp.Message{TypeID: 20, Name: "_result", Args: []any{nil, 1.0}}).Status(); ok {
		t.Error("Status of a createStream result: ok")
	}
}
