package rtmpsrc

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/internal/testkit"
)

// refusalLimit is how long a refused publish may take to end Run with
// the default timeouts. nginx refuses at once; the limit is well below
// the 10 s setup timeout, so a refusal that only ends by timing out fails.
const refusalLimit = 5 * time.Second

// defaultTimeouts undoes runBounded's short timeouts: a refusal must be
// recognised as such, not ended by a timeout.
func defaultTimeouts(cfg *Config) { cfg.DialTimeout, cfg.SetupTimeout = 0, 0 }

// assertNoKey fails when key appears in the error or the log.
func assertNoKey(t *testing.T, key string, err error, logs string) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), key) {
		t.Errorf("the stream key is in the error: %v", err)
	}
	if strings.Contains(logs, key) {
		t.Errorf("the stream key is in the log:\n%s", logs)
	}
}

// TestNginxRefusals publishes to a real nginx-rtmp in each of the ways it
// refuses (see internal/nginx TestRefusals for its exact behaviour)
// and checks that Run ends quickly with an error that names the step and
// never the key.
func TestNginxRefusals(t *testing.T) {
	const key = "nginxRefusalKey7"

	t.Run("unknown application", func(t *testing.T) {
		ng := testkit.StartNginx(t, nginx.Options{})
		start := time.Now()
		err, logs := runBounded(t, ng.URL("nosuchapp", key), refusalLimit, defaultTimeouts)
		t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
		assertNoKey(t, key, err, logs)
		// nginx closes the socket without a word after connect.
		if !errors.Is(err, ErrConnectionLost) && !errors.Is(err, ErrTimeout) {
			t.Fatalf("got %v, want ErrConnectionLost or ErrTimeout", err)
		}
		if !strings.Contains(err.Error(), "connect") {
			t.Errorf("error %q does not name the connect step", err)
		}
	})

	t.Run("publish denied", func(t *testing.T) {
		ng := testkit.StartNginx(t, nginx.Options{DenyPublish: true})
		start := time.Now()
		err, logs := runBounded(t, ng.URL("live", key), refusalLimit, defaultTimeouts)
		t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
		assertNoKey(t, key, err, logs)
		// nginx says NetStream.Publish.Start, then closes the socket at
		// once: the publisher must take that for a refusal, not a lost
		// connection to retry.
		if !errors.Is(err, ErrRefused) {
			t.Fatalf("got %v, want ErrRefused", err)
		}
		if !strings.Contains(err.Error(), "denied") {
			t.Errorf("error %q does not say publishing is denied", err)
		}
	})

	t.Run("key already published", func(t *testing.T) {
		ng := testkit.StartNginx(t, nginx.Options{})
		var logs bytes.Buffer
		var mu sync.Mutex
		logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))

		// The first publisher streams forever; the second, refused, is
		// a second publisher with audio in the same process.
		video, audio := testSources(64, 64, 1<<30, 30, 44100, 1)
		first, err := New(Config{URL: ng.URL("live", key), Video: video, Audio: audio,
			VideoEncoder: encode.H264Options{Width: 64, Height: 64}, Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		firstErr := make(chan error, 1)
		go func() { firstErr <- first.Run(context.Background()) }()
		defer first.Close()
		started := testkit.Poll(5*time.Second, func() bool {
			select {
			case err := <-firstErr:
				t.Fatalf("the first publisher ended: %v", err)
			default:
			}
			return first.Stats().Video.Muxed >= 10
		})
		if !started {
			t.Fatalf("the first publisher did not start: %+v\nnginx log:\n%s", first.Stats(), ng.Log())
		}

		start := time.Now()
		err, logs2 := runBounded(t, ng.URL("live", key), refusalLimit, defaultTimeouts)
		t.Logf("second publisher after %v: %v", time.Since(start).Round(time.Millisecond), err)
		assertNoKey(t, key, err, logs2)
		var se *StatusError
		if !errors.As(err, &se) {
			t.Fatalf("got %v, want a *StatusError", err)
		}
		if se.Command != "publish" || se.Level != "error" || se.Code != "NetStream.Publish.BadName" || !se.Permanent() {
			t.Errorf("status %+v, want publish error NetStream.Publish.BadName", se)
		}
		if !errors.Is(err, ErrRefused) {
			t.Errorf("%v does not match ErrRefused", err)
		}

		// The first goes on undisturbed.
		before := first.Stats().Video.Muxed
		select {
		case err := <-firstErr:
			t.Fatalf("the first publisher ended with the refusal of the second: %v", err)
		case <-time.After(time.Second):
		}
		if after := first.Stats().Video.Muxed; after < before+20 {
			t.Errorf("the first publisher sent %d frames in the second after the refusal, want about 30", after-before)
		}

		start = time.Now()
		first.Close()
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("Close took %v", el)
		}
		if err := <-firstErr; !errors.Is(err, ErrClosed) {
			t.Errorf("the first publisher's Run after Close: %v, want ErrClosed", err)
		}
		mu.Lock()
		assertNoKey(t, key, nil, logs.String())
		mu.Unlock()
	})
}
