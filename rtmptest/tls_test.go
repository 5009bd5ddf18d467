package rtmptest

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golivecast/golivecast/internal/rawrtmp"
)

// TestStartTLS: a server started with StartTLS takes a publish over TLS
// from a client that trusts ClientTLSConfig, refuses one that trusts
// nothing else, drops its connections on Disconnect, and closes with
// nothing left behind.
func TestStartTLS(t *testing.T) {
	s, err := StartTLS(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.URL("live", "k"), "rtmps://"+s.Addr()+"/") {
		t.Errorf("URL %q, want rtmps://", s.URL("live", "k"))
	}
	cert := s.Certificate()
	if cert == nil || cert.VerifyHostname("127.0.0.1") != nil || cert.VerifyHostname("localhost") != nil {
		t.Fatalf("certificate %v does not name 127.0.0.1 and localhost", cert)
	}

	dial := func(cfg *tls.Config) (*rawrtmp.Conn, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		nc, err := (&tls.Dialer{Config: cfg}).DialContext(ctx, "tcp", s.Addr())
		if err != nil {
			return nil, err
		}
		return rawrtmp.Open(ctx, nc)
	}
	c, err := dial(s.ClientTLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	publishOn(t, s, c, "live", "tlskey")
	if p := find(s.Events(), KindPublish); p.Key != "tlskey" || p.Err != nil {
		t.Errorf("publish event %+v", p)
	}
	if n := count(s.Events(), KindVideo); n != 4 {
		t.Errorf("%d video events over TLS, want 4", n)
	}

	// Another server's certificate is not this one's.
	other, err := StartTLS(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var ve *tls.CertificateVerificationError
	if _, err := dial(other.ClientTLSConfig()); !errors.As(err, &ve) {
		t.Errorf("dial trusting another server's certificate: %v, want a verification error", err)
	}

	// Disconnect drops a TLS connection as it drops a plain one, once
	// the publish and the refused connection have both ended.
	waitFor(t, s, func(evs []Event) bool { return count(evs, KindClose) == 2 })
	c, err = dial(s.ClientTLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n := s.Disconnect(); n != 1 {
		t.Errorf("Disconnect dropped %d connections, want 1", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Read(ctx); err == nil || ctx.Err() != nil {
		t.Errorf("read after Disconnect: %v (context %v), want the connection's end", err, ctx.Err())
	}
}

// TestStartTLSConfig: a configuration of the test's own is served, and
// one without a certificate is refused.
func TestStartTLSConfig(t *testing.T) {
	if _, err := StartTLS(Config{TLSConfig: &tls.Config{}}); err == nil || !strings.Contains(err.Error(), "no certificate") {
		t.Fatalf("StartTLS without a certificate: %v", err)
	}
	cert, err := selfSigned()
	if err != nil {
		t.Fatal(err)
	}
	s, err := StartTLS(Config{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Certificate().Equal(cert.Leaf) {
		t.Error("Certificate is not the configured one")
	}
	plain, err := Start(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if plain.Certificate() != nil || plain.ClientTLSConfig() != nil || !strings.HasPrefix(plain.URL("a", "b"), "rtmp://") {
		t.Error("a plain server has TLS settings")
	}
}
