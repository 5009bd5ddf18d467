package rtmpsrc

import (
	"cmp"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golivecast/golivecast/rtmptest"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

// pool holds only this CA.
func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// serverConfig returns a TLS server configuration whose certificate,
// signed by ca, names the given IP addresses and DNS names.
func (ca *testCA) serverConfig(t *testing.T, ips []net.IP, names []string) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "rtmps test server"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  ips,
		DNSNames:     names,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

var loopbackIP = []net.IP{net.ParseIP("127.0.0.1")}

// startTLSProxy terminates TLS on a loopback port and forwards each
// connection to backend, as a TLS offloader in front of an ingest server
// does. The test owns it: t.Cleanup closes the listener and every
// connection and waits for every goroutine. It returns the address and a
// function listing the server-side handshake errors so far.
func startTLSProxy(t *testing.T, cfg *tls.Config, backend string) (string, func() []error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		conns   = map[net.Conn]bool{}
		hsErrs  []error
		stopped bool
	)
	track := func(c net.Conn) bool {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			c.Close()
			return false
		}
		conns[c] = true
		return true
	}
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		stopped = true
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	serve := func(raw net.Conn) {
		defer wg.Done()
		tc := tls.Server(raw, cfg)
		defer tc.Close()
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			mu.Lock()
			hsErrs = append(hsErrs, err)
			mu.Unlock()
			return
		}
		_ = tc.SetDeadline(time.Time{})
		up, err := net.DialTimeout("tcp", backend, 2*time.Second)
		if err != nil {
			return
		}
		if !track(up) {
			return
		}
		defer up.Close()
		var cp sync.WaitGroup
		cp.Add(2)
		go func() {
			defer cp.Done()
			_, _ = io.Copy(up, tc)
			up.Close()
		}()
		go func() {
			defer cp.Done()
			_, _ = io.Copy(tc, up)
			tc.Close()
		}()
		cp.Wait()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !track(c) {
				return
			}
			wg.Add(1)
			go serve(c)
		}
	}()
	errs := func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), hsErrs...)
	}
	return ln.Addr().String(), errs
}

const tlsKey = "rtmpsSecretKey42"

// TestRTMPS publishes through a TLS-terminating proxy in front of an
// in-process RTMP server: a trusted certificate (our own CA, or
// InsecureSkipVerify) lets the stream through; an untrusted one (system
// roots, another CA, another host name) fails fast with an error that
// says so, before a single RTMP byte reaches the server.
func TestRTMPS(t *testing.T) {
	ca := newTestCA(t, "golivecast test CA")
	other := newTestCA(t, "some other CA")

	for _, c := range []struct {
		name   string
		server *tls.Config
		client *tls.Config
		ok     bool
		// verified is the name the error must give: the one checked.
		verified string
	}{
		{"trusted CA", ca.serverConfig(t, loopbackIP, nil), &tls.Config{RootCAs: ca.pool()}, true, ""},
		{"InsecureSkipVerify", ca.serverConfig(t, loopbackIP, nil), &tls.Config{InsecureSkipVerify: true}, true, ""},
		{"system roots", ca.serverConfig(t, loopbackIP, nil), nil, false, ""},
		{"wrong CA", ca.serverConfig(t, loopbackIP, nil), &tls.Config{RootCAs: other.pool()}, false, ""},
		{"wrong host", ca.serverConfig(t, nil, []string{"ingest.example.com"}), &tls.Config{RootCAs: ca.pool()}, false, ""},
		// The name checked is TLSConfig.ServerName, not the URL's host.
		{"wrong ServerName", ca.serverConfig(t, loopbackIP, []string{"ingest.example.com"}), &tls.Config{RootCAs: ca.pool(), ServerName: "backup.example.com"}, false, "backup.example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startServer(t)
			addr, hsErrs := startTLSProxy(t, c.server, srv.Addr())
			url := "rtmps://" + addr + "/live/" + tlsKey
			const frames = 15
			limit := 8 * time.Second
			if !c.ok {
				limit = 2 * time.Second
			}
			err, logs := runBounded(t, url, limit, func(cfg *Config) {
				cfg.TLSConfig = c.client
				cfg.Video, cfg.Audio = testSources(64, 64, frames, 30, 44100, 1)
			})
			if strings.Contains(logs, tlsKey) || (err != nil && strings.Contains(err.Error(), tlsKey)) {
				t.Errorf("the stream key leaked: err %v, log:\n%s", err, logs)
			}
			if c.ok {
				if err != nil {
					t.Fatalf("Run: %v (proxy handshake errors %v)", err, hsErrs())
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
			want := "rtmpsrc: TLS certificate of " + cmp.Or(c.verified, "127.0.0.1") + " not trusted"
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
			var ve *tls.CertificateVerificationError
			if !errors.As(err, &ve) {
				t.Errorf("error %v does not unwrap to *tls.CertificateVerificationError", err)
			}
			if ev := srv.Events(); len(ev) != 0 {
				t.Errorf("the RTMP server saw %d events through an untrusted TLS session: %v", len(ev), ev)
			}
		})
	}
}

// TestRTMPSMismatch covers the two ways a scheme can be wrong, and a TLS
// server that never answers: each ends quickly with a clear error.
func TestRTMPSMismatch(t *testing.T) {
	ca := newTestCA(t, "golivecast test CA")

	t.Run("rtmps to a plain RTMP server", func(t *testing.T) {
		srv := startServer(t)
		start := time.Now()
		err, _ := runBounded(t, "rtmps://"+srv.Addr()+"/live/"+tlsKey, 3*time.Second, func(cfg *Config) {
			cfg.TLSConfig = &tls.Config{RootCAs: ca.pool()}
		})
		t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
		if err == nil || !strings.Contains(err.Error(), "TLS handshake with "+srv.Addr()) {
			t.Fatalf("got %v, want an error naming the TLS handshake", err)
		}
	})

	t.Run("rtmp to a TLS port", func(t *testing.T) {
		srv := startServer(t)
		addr, _ := startTLSProxy(t, ca.serverConfig(t, loopbackIP, nil), srv.Addr())
		start := time.Now()
		err, _ := runBounded(t, "rtmp://"+addr+"/live/"+tlsKey, 3*time.Second, nil)
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
