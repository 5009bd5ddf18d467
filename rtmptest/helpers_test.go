package rtmptest

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

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
