package rtmpsrc

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golivecast/golivecast/rtmptest"
)

// startTLSServer starts an RTMPS server for one test.
func startTLSServer(t *testing.T) *rtmptest.Server {
	t.Helper()
	srv, err := rtmptest.StartTLS(rtmptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

const tlsKey = "rtmpsSecretKey42"

// TestRTMPS publishes to an RTMPS server: a trusted certificate (the
// server's own, or InsecureSkipVerify) lets the stream through; an
// untrusted one (system roots, another server's, another host name) fails
// fast with an error that says so, before a single RTMP byte reaches the
// server.
func TestRTMPS(t *testing.T) {
	other := startTLSServer(t)
	for _, c := range []struct {
		name   string
		client func(srv *rtmptest.Server) *tls.Config
		ok     bool
		// verified is the name the error must give: the one checked.
		verified string
	}{
		{"trusted", func(srv *rtmptest.Server) *tls.Config { return srv.ClientTLSConfig() }, true, ""},
		{"InsecureSkipVerify", func(*rtmptest.Server) *tls.Config { return &tls.Config{InsecureSkipVerify: true} }, true, ""},
		{"system roots", func(*rtmptest.Server) *tls.Config { return nil }, false, "127.0.0.1"},
		{"another server's certificate", func(*rtmptest.Server) *tls.Config { return other.ClientTLSConfig() }, false, "127.0.0.1"},
		// The name checked is TLSConfig.ServerName, not the URL's host.
		{"another host name", func(srv *rtmptest.Server) *tls.Config {
			c := srv.ClientTLSConfig()
			c.ServerName = "ingest.example.com"
			return c
		}, false, "ingest.example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startTLSServer(t)
			url := srv.URL("live", tlsKey)
			const frames = 15
			limit := 8 * time.Second
			if !c.ok {
				limit = 2 * time.Second
			}
			err, logs := runBounded(t, url, limit, func(cfg *Config) {
				cfg.TLSConfig = c.client(srv)
				cfg.Video, cfg.Audio = testSources(64, 64, frames, 30, 44100, 1)
			})
			if strings.Contains(logs, tlsKey) || (err != nil && strings.Contains(err.Error(), tlsKey)) {
				t.Errorf("the stream key leaked: err %v, log:\n%s", err, logs)
			}
			if c.ok {
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				clkWaitClosed(t, srv)
				ev := srv.Events()
				checkEvents(t, ev, frames)
				for _, e := range ev {
					if e.Kind == rtmptest.KindPublish && (e.Key != tlsKey || e.Err != nil) {
						t.Errorf("publish event %v", e)
					}
				}
				return
			}
			if err == nil {
				t.Fatal("Run succeeded against an untrusted certificate")
			}
			if want := "rtmpsrc: TLS certificate of " + c.verified + " not trusted"; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
			var ve *tls.CertificateVerificationError
			if !errors.As(err, &ve) {
				t.Errorf("error %v does not unwrap to *tls.CertificateVerificationError", err)
			}
			// The server logs the connection's end; nothing else may
			// have reached it.
			for _, e := range srv.Events() {
				if e.Kind != rtmptest.KindClose {
					t.Errorf("the RTMP server saw %v through an untrusted TLS session", e)
				}
			}
		})
	}
}

// TestRTMPSMismatch covers the two ways a scheme can be wrong, and a TLS
// server that never answers: each ends quickly with a clear error.
func TestRTMPSMismatch(t *testing.T) {
	t.Run("rtmps to a plain RTMP server", func(t *testing.T) {
		srv := startServer(t)
		start := time.Now()
		err, _ := runBounded(t, "rtmps://"+srv.Addr()+"/live/"+tlsKey, 3*time.Second, func(cfg *Config) {
			cfg.TLSConfig = &tls.Config{InsecureSkipVerify: true}
		})
		t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
		if err == nil || !strings.Contains(err.Error(), "TLS handshake with "+srv.Addr()) {
			t.Fatalf("got %v, want an error naming the TLS handshake", err)
		}
	})

	t.Run("rtmp to a TLS port", func(t *testing.T) {
		srv := startTLSServer(t)
		start := time.Now()
		err, _ := runBounded(t, "rtmp://"+srv.Addr()+"/live/"+tlsKey, 3*time.Second, nil)
		t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
		if !errors.Is(err, ErrConnectionLost) && !errors.Is(err, ErrProtocol) {
			t.Fatalf("got %v, want ErrConnectionLost or ErrProtocol", err)
		}
		if !strings.Contains(err.Error(), "handshake") {
			t.Errorf("error %q does not name the handshake", err)
		}
	})

	t.Run("TLS server silent", func(t *testing.T) {
		url := fakeServer(t, drain)
		url = "rtmps" + strings.TrimPrefix(url, "rtmp")
		start := time.Now()
		err, _ := runBounded(t, url, 3*time.Second, func(cfg *Config) {
			cfg.SetupTimeout = time.Second
		})
		t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
		if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "TLS handshake") {
			t.Fatalf("got %v, want ErrTimeout naming the TLS handshake", err)
		}
	})
}
