// Package rtmptest is an RTMP ingest server that runs inside a Go test,
// the way net/http/httptest runs an HTTP server: start it on a loopback
// port, publish to its URL, then read back what arrived or record it.
//
//	srv, err := rtmptest.Start(rtmptest.Config{})
//	…
//	defer srv.Close()
//	pub, _ := rtmpsrc.New(rtmpsrc.Config{URL: srv.URL("live", "key"), …})
//	… pub.Run(ctx) …
//	for _, e := range srv.Events() { … e.Kind, e.Timestamp, e.Metadata, e.Video … }
//
// It keeps a log of every command, metadata and media message a publisher
// sends, with timestamps and decoded FLV headers (Events, WaitFor); it can
// record each publish into an FLV file (Config.Record), accept only some
// applications (Config.Apps), refuse a key (Config.Authorize), and drop
// every connection on demand, as a failing network would (Disconnect).
// StartTLS serves RTMPS, with a certificate of its own that
// ClientTLSConfig trusts, as httptest.NewTLSServer does.
//
// It is built on go-rtmp's server. One publish per connection is
// supported: go-rtmp hands audio and video to the handler without their
// message stream id, so a second simultaneous publish on the same
// connection is refused.
//
// Shortcomings of go-rtmp v0.0.7 handled here, each in one place: its
// Server.Close leaves connections running (listener.go); it misreads the
// extended timestamps a conforming client repeats in type-3 chunks
// (exttime.go); it logs through logrus, and only logs why it dropped a
// connection or ignored a message (logrus.go).
package rtmptest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"

	rtmp "github.com/yutopp/go-rtmp"
)

// Config configures Start. The zero value works.
type Config struct {
	// Addr is the TCP address to listen on. It defaults to "127.0.0.1:0",
	// a free loopback port.
	Addr string

	// Record, when set, is called for each accepted publish; the returned
	// writer receives an FLV file (header, onMetaData, audio and video tags
	// with their RTMP timestamps) and is closed when the publish ends
	// (deleteStream or disconnect). An error refuses the publish. It
	// defaults to nil: nothing is recorded.
	Record func(app, key string) (io.WriteCloser, error)

	// Apps, when set, are the only applications a client may connect
	// to; a connect to another is refused (go-rtmp answers _error and
	// closes the connection). It defaults to nil: any application.
	Apps []string

	// Authorize, when set, is called for each publish; an error refuses
	// it. go-rtmp then answers onStatus NetStream.Publish.Failed (level
	// "error", description "Publish failed.") and closes the connection.
	// It defaults to nil: every publish is accepted.
	Authorize func(app, key string) error

	// Logger receives the server's log, and go-rtmp's own at debug level.
	// Stream keys are redacted. It defaults to nil: logs are discarded.
	Logger *slog.Logger

	// TLSConfig is the server's TLS configuration for StartTLS; Start
	// ignores it. It defaults to a certificate made at start for
	// 127.0.0.1, ::1 and localhost (see Certificate).
	TLSConfig *tls.Config

	// DropPayloads keeps audio and video events without their bytes, for
	// long runs (the demo) where only the recording matters. It defaults
	// to false: Event.Body and Event.Payload are kept.
	DropPayloads bool
}

// Server is a running RTMP ingest server.
type Server struct {
	cfg    Config
	logger *slog.Logger
	ln     *listener
	tls    *tls.Config // nil: plain RTMP
	rtmp   *rtmp.Server
	served chan struct{} // closed when rtmp.Server.Serve has returned
	conns  sync.WaitGroup

	closeOnce sync.Once
	closeErr  error

	events eventLog
}

// Start listens on cfg.Addr and serves RTMP until Close.
func Start(cfg Config) (*Server, error) {
	return start(cfg, nil)
}

func start(cfg Config, tlsCfg *tls.Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("rtmptest: %w", err)
	}
	s := &Server{
		cfg:    cfg,
		logger: logger,
		tls:    tlsCfg,
		served: make(chan struct{}),
		events: newEventLog(),
	}
	s.ln = &listener{Listener: l, tls: tlsCfg, conns: &s.conns, live: make(map[int]*trackedConn)}
	s.rtmp = rtmp.NewServer(&rtmp.ServerConfig{OnConnect: s.onConnect})
	go func() {
		// Owned by s: Close closes the listener and waits for served.
		defer close(s.served)
		_ = s.rtmp.Serve(s.ln)
	}()
	logger.Info("rtmptest: listening", "addr", s.Addr())
	return s, nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL returns rtmp://host:port/app/key for this server, or rtmps://…
// for a server started with StartTLS.
func (s *Server) URL(app, key string) string {
	scheme := "rtmp"
	if s.tls != nil {
		scheme = "rtmps"
	}
	return scheme + "://" + s.Addr() + "/" + app + "/" + key
}

// Disconnect closes every live connection at once, as a failing network
// or a crashing server would, and returns how many there were. The server
// goes on accepting new ones.
func (s *Server) Disconnect() int {
	return s.ln.closeAll()
}

// Close stops accepting, closes every live connection (their recordings are
// closed too) and waits until every connection has been torn down. It is
// idempotent and safe from any goroutine.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		err := s.rtmp.Close()
		// rtmp.Server.Close closes the listener only if Serve has already
		// registered it; closing it here as well covers a Close that races
		// with Start, which would leave Serve blocked in Accept.
		if lerr := s.ln.Close(); lerr != nil && !errors.Is(lerr, net.ErrClosed) && err == nil {
			err = lerr
		}
		<-s.served
		// go-rtmp keeps no list of its connections and has no way to stop
		// them: close their sockets so each read loop ends, then wait for
		// each connection's teardown (see listener.go).
		s.ln.closeAll()
		s.conns.Wait()
		s.events.close()
		if err != nil {
			s.closeErr = fmt.Errorf("rtmptest: close: %w", err)
		}
		s.logger.Info("rtmptest: closed")
	})
	return s.closeErr
}

// onConnect is go-rtmp's hook for each accepted connection; it runs on that
// connection's goroutine.
func (s *Server) onConnect(nc net.Conn) (io.ReadWriteCloser, *rtmp.ConnConfig) {
	tc := nc.(*trackedConn)
	h := &handler{
		srv:    s,
		conn:   tc,
		id:     tc.id,
		logger: s.logger.With("conn", tc.id),
	}
	return tc, &rtmp.ConnConfig{
		Handler: h,
		// go-rtmp logs through logrus; this logger forwards to slog and
		// remembers why the connection ended (see logrus.go).
		Logger: newLogrusBridge(h),
	}
}
