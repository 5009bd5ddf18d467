package rtmpsrc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golivecast/golivecast/internal/rtmp"
)

// TestResumeAfterLongOutage reconnects through outages of seconds to ten
// minutes, in a bubble whose clock only moves when every goroutine waits:
// each attempt fails while the server is down, and the destination is
// back within 2 s of the server's return, however long it was away.
func TestResumeAfterLongOutage(t *testing.T) {
	for _, outage := range []time.Duration{3 * time.Second, time.Minute, 10 * time.Minute} {
		t.Run(fmt.Sprint(outage), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				back := start.Add(outage)
				attempts := 0
				d := &destination{
					name:     "test",
					policy:   ReconnectPolicy{}.withDefaults(),
					keyframe: func() {},
					log:      slog.New(slog.DiscardHandler),
					wake:     make(chan struct{}, 1),
					closeCh:  make(chan struct{}),
					dialFunc: func(ctx context.Context) (*rtmp.Session, error) {
						attempts++
						// An attempt takes a round trip, and fails while
						// the server is away.
						select {
						case <-time.After(50 * time.Millisecond):
						case <-ctx.Done():
							return nil, ctx.Err()
						}
						if time.Now().Before(back) {
							return nil, errors.New("connection refused")
						}
						return &rtmp.Session{}, nil
					},
					missedFrom: -1,
				}
				d.q = sendQueue{maxLatency: time.Second, stats: &d.stats}
				if err := d.reconnect(context.Background(), ErrConnectionLost); err != nil {
					t.Fatal(err)
				}
				late := time.Since(back)
				t.Logf("back %v after the server, %d attempts", late, attempts)
				if late > 2*time.Second {
					t.Errorf("resumed %v after the server came back, want 2 s at most", late)
				}
				if d.session == nil || d.stats.reconnects.Load() != 1 {
					t.Error("the destination did not take the new session")
				}
			})
		})
	}
}

// TestReconnectCancelledAtEnd: an attempt that hangs (a path that
// swallows packets) is cancelled the moment the stream ends, and the
// destination reports the media it missed.
func TestReconnectCancelledAtEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &destination{
			name:     "test",
			policy:   ReconnectPolicy{}.withDefaults(),
			keyframe: func() {},
			log:      slog.New(slog.DiscardHandler),
			closeCh:  make(chan struct{}),
			dialFunc: func(ctx context.Context) (*rtmp.Session, error) {
				<-ctx.Done() // hangs until cancelled
				return nil, ctx.Err()
			},
			missedFrom: 1500 * time.Millisecond,
		}
		d.q = sendQueue{maxLatency: time.Second, stats: &d.stats}
		go func() {
			time.Sleep(30 * time.Second)
			d.mu.Lock()
			d.closing = true
			d.mu.Unlock()
			close(d.closeCh)
		}()
		start := time.Now()
		err := d.reconnect(context.Background(), ErrConnectionLost)
		if el := time.Since(start); el != 30*time.Second {
			t.Errorf("reconnect returned %v after the start, the end came at 30 s", el)
		}
		if !errors.Is(err, ErrIncomplete) || !errors.Is(err, ErrConnectionLost) {
			t.Fatalf("got %v, want ErrIncomplete wrapping the cause", err)
		}
		if want := "lacks the stream from 1.5s"; !contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
