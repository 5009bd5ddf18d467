package rtmptest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	amf0 "github.com/yutopp/go-amf0"
	flv "github.com/yutopp/go-flv"
	"github.com/yutopp/go-flv/tag"

	"github.com/golivecast/golivecast/internal/rawrtmp"
)

func waitFor(t *testing.T, s *Server, cond func([]Event) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitFor(ctx, cond); err != nil {
		for _, e := range s.Events() {
			t.Log(e)
		}
		t.Fatalf("WaitFor: %v", err)
	}
}

func count(evs []Event, k Kind) int {
	n := 0
	for _, e := range evs {
		if e.Kind == k {
			n++
		}
	}
	return n
}

func find(evs []Event, k Kind) Event {
	for _, e := range evs {
		if e.Kind == k {
			return e
		}
	}
	return Event{}
}

func logMessages(t *testing.T, step string, ms []rawrtmp.Message) {
	t.Helper()
	for _, m := range ms {
		t.Logf("%s: %s", step, m)
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// flvTag is one tag of a recording, its body re-encoded to bytes.
type flvTag struct {
	typ       tag.TagType
	timestamp uint32
	body      []byte
	script    map[string]amf0.ECMAArray
}

func readFLV(t *testing.T, path string) []flvTag {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := flv.NewDecoder(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []flvTag
	for {
		var tg tag.FlvTag
		if err := dec.Decode(&tg); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("%s: tag %d: %v", path, len(out), err)
		}
		ft := flvTag{typ: tg.TagType, timestamp: tg.Timestamp}
		var body bytes.Buffer
		switch d := tg.Data.(type) {
		case *tag.AudioData:
			err = tag.EncodeAudioData(&body, d)
		case *tag.VideoData:
			err = tag.EncodeVideoData(&body, d)
		case *tag.ScriptData:
			ft.script = d.Objects
		}
		if err != nil {
			t.Fatal(err)
		}
		ft.body = body.Bytes()
		out = append(out, ft)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// netDialer opens a bare TCP connection that never handshakes.
type netDialer struct{}

func (netDialer) dial(addr string) (net.Conn, error) {
	return net.DialTimeout("tcp", addr, 5*time.Second)
}
