package rtmptest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/golivecast/golivecast/internal/rawrtmp"
)

// TestApps: with Config.Apps, a connect to another application is
// refused and logged, and one to a listed application succeeds.
func TestApps(t *testing.T) {
	s, err := Start(Config{Apps: []string{"live"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	c, err := rawrtmp.Dial(ctx, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	seen, err := c.Connect(ctx, "other", s.URL("other", ""))
	logMessages(t, "connect to other", seen)
	if err == nil {
		if _, code, _, _ := seen[len(seen)-1].Status(); code == "NetConnection.Connect.Success" {
			t.Fatal("a connect to an unlisted application succeeded")
		}
	}
	waitFor(t, s, func(evs []Event) bool { return count(evs, KindConnect) == 1 })
	if e := find(s.Events(), KindConnect); !errors.Is(e.Err, errUnknownApp) || e.App != "other" {
		t.Errorf("connect event %v", e)
	}

	c2, err := rawrtmp.Dial(ctx, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if seen, err := c2.Connect(ctx, "live", s.URL("live", "")); err != nil {
		t.Fatalf("connect to live: %v %v", err, seen)
	}
}

// TestDisconnect: Disconnect drops every live connection, and the server
// goes on accepting.
func TestDisconnect(t *testing.T) {
	s, err := Start(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := rawrtmp.Dial(ctx, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Connect(ctx, "live", s.URL("live", "")); err != nil {
		t.Fatal(err)
	}
	if n := s.Disconnect(); n != 1 {
		t.Errorf("Disconnect dropped %d connections, want 1", n)
	}
	if _, err := c.Read(ctx); !rawrtmp.IsClosed(err) {
		t.Errorf("after Disconnect the client reads %v, want the connection closed", err)
	}
	waitFor(t, s, func(evs []Event) bool { return count(evs, KindClose) == 1 })

	c2, err := rawrtmp.Dial(ctx, s.Addr())
	if err != nil {
		t.Fatalf("after Disconnect: %v", err)
	}
	defer c2.Close()
	if _, err := c2.Connect(ctx, "live", s.URL("live", "")); err != nil {
		t.Fatalf("connect after Disconnect: %v", err)
	}
}
