package rtmptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// StartTLS is Start for RTMPS: the server speaks TLS on its port, as an
// ingest server behind a TLS offloader does, and URL returns rtmps://
// URLs. It uses cfg.TLSConfig, or by default a certificate made at start
// for 127.0.0.1, ::1 and localhost, signed by itself, which
// ClientTLSConfig trusts.
func StartTLS(cfg Config) (*Server, error) {
	tlsCfg := cfg.TLSConfig
	if tlsCfg == nil {
		cert, err := selfSigned()
		if err != nil {
			return nil, fmt.Errorf("rtmptest: certificate: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}}
	} else {
		tlsCfg = tlsCfg.Clone()
	}
	if len(tlsCfg.Certificates) == 0 && tlsCfg.GetCertificate == nil {
		return nil, errors.New("rtmptest: TLSConfig has no certificate")
	}
	return start(cfg, tlsCfg)
}

// Certificate returns the certificate a server started with StartTLS
// presents first, or nil for a plain RTMP server.
func (s *Server) Certificate() *x509.Certificate {
	if s.tls == nil || len(s.tls.Certificates) == 0 {
		return nil
	}
	c := s.tls.Certificates[0]
	if c.Leaf != nil {
		return c.Leaf
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return nil
	}
	return leaf
}

// ClientTLSConfig returns a client configuration that trusts the server's
// Certificate and nothing else, for rtmpsrc.Config.TLSConfig, or nil for
// a plain RTMP server.
func (s *Server) ClientTLSConfig() *tls.Config {
	cert := s.Certificate()
	if cert == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{RootCAs: pool}
}

// selfSigned makes a certificate for the loopback addresses, valid for a
// day around now.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "rtmptest"},
		NotBefore:             time.Now().Add(-12 * time.Hour),
		NotAfter:              time.Now().Add(12 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
