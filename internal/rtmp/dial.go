package rtmp

// Establishing a publishing session: TCP (or a caller's dialer), TLS for
// rtmps, the handshake, then connect, releaseStream, FCPublish,
// createStream and publish, each step bounded by the context and the
// setup timeout, each failure named after its step.

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/golivecast/golivecast/internal/amf0"
)

// Target is where a session publishes, from a parsed URL.
type Target struct {
	Scheme string // "rtmp" or "rtmps"
	Host   string // the server's name, which TLS verifies by default
	Addr   string // host:port to dial
	App    string // the application
	Key    string // the stream key: a secret, redacted in what the server says
	TCURL  string // the connect command's tcUrl
}

// Options are the connection settings, every one set by the caller.
type Options struct {
	TLS          *tls.Config // for rtmps; nil verifies against the system roots
	DialContext  func(ctx context.Context, network, addr string) (net.Conn, error)
	DialTimeout  time.Duration // the TCP connection
	SetupTimeout time.Duration // TLS, handshake, connect, createStream, publish
	WriteTimeout time.Duration // each write
	StallTimeout time.Duration // nothing acknowledged while data waits: the path is dead
	ChunkSize    int           // the chunk size to send with
	SendBuffer   int           // the socket's send buffer in bytes; 0: the system's
	Logger       *slog.Logger
	// KernelDelay receives the media time in the kernel or on the way,
	// unacknowledged, as the session measures it; nil for none.
	KernelDelay *atomic.Int64
	// StatusError makes the error of a refusal the server reported in an
	// onStatus or _error, with its description redacted.
	StatusError func(command, level, code, description string) error
}

// Dial connects, shakes hands, connects to the application, creates a
// stream and publishes to it, returning once the server said
// NetStream.Publish.Start. Every step is bounded by ctx and the timeouts.
func Dial(ctx context.Context, u Target, o Options) (*Session, error) {
	dctx, cancel := context.WithTimeout(ctx, o.DialTimeout)
	nc, err := o.DialContext(dctx, "tcp", u.Addr)
	cancel()
	if err != nil {
		return nil, classifyNetErr(ctx, fmt.Sprintf("connect to %s", u.Addr), err)
	}
	if tc, ok := nc.(*net.TCPConn); ok && o.SendBuffer > 0 {
		_ = tc.SetWriteBuffer(o.SendBuffer)
	}
	sock := newTCPSocket(nc)
	sock.tune(kernelTuning{notSentLowat: notSentLowat, userTimeout: o.StallTimeout})
	if u.Scheme == "rtmps" {
		cfg := o.TLS.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Host
		}
		tc := tls.Client(nc, cfg)
		hctx, cancel := context.WithTimeout(ctx, o.SetupTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			nc.Close()
			return nil, classifyTLSErr(ctx, u, cfg.ServerName, err)
		}
		nc = tc
	}
	c := &Session{
		nc:         nc,
		u:          u,
		log:        o.Logger,
		status:     o.StatusError,
		sock:       sock,
		out:        &countingWriter{w: nc},
		stall:      o.StallTimeout,
		kernelStat: o.KernelDelay,
		wtimeout:   o.WriteTimeout,
		done:       make(chan struct{}),
	}
	// Small: bytes waiting here are latency the send queue cannot see.
	c.bw = bufio.NewWriterSize(c.out, 4<<10)
	c.cw = ChunkWriter{W: c.bw, Size: 128}
	c.counter = &countingReader{r: bufio.NewReaderSize(nc, 16<<10)}
	c.cr = NewChunkReader(c.counter)

	// The setup reads and writes in this goroutine; the deadline bounds
	// them and the context can cut them short.
	_ = nc.SetDeadline(time.Now().Add(o.SetupTimeout))
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	err = c.setup(o.ChunkSize)
	if !stop() || ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		sock.abandon()
		nc.Close()
		close(c.done)
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	c.started = time.Now()
	c.established.Store(true)
	c.watchDone = make(chan struct{})
	go c.readLoop()
	go c.watch()
	return c, nil
}

func classifyNetErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %s: %w", ErrTimeout, what, err)
	}
	return fmt.Errorf("rtmpsrc: %s: %w", what, err)
}

// classifyTLSErr names the server by the name its certificate was
// checked against, which TLSConfig.ServerName may set apart from the URL.
func classifyTLSErr(ctx context.Context, u Target, verified string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ce) || errors.As(err, &ve) {
		return fmt.Errorf("rtmpsrc: TLS certificate of %s not trusted: %w", verified, err)
	}
	return classifyNetErr(ctx, "TLS handshake with "+u.Addr, err)
}

// step wraps an error of the setup with what was being done.
func (c *Session) step(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, errStatus) || errors.Is(err, ErrProtocol) {
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %s with %s: no answer", ErrTimeout, what, c.u.Addr)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("%w: %s: server %s closed the connection", ErrConnectionLost, what, c.u.Addr)
	}
	return fmt.Errorf("rtmpsrc: %s with %s: %w", what, c.u.Addr, err)
}

func (c *Session) setup(chunkSize int) error {
	if err := clientHandshake(c.counter, c.nc); err != nil {
		return c.step("handshake", err)
	}
	if chunkSize > 0 {
		var p [4]byte
		binary.BigEndian.PutUint32(p[:], uint32(chunkSize))
		if err := c.cw.WriteMessage(CSIDControl, MsgSetChunkSize, 0, 0, p[:]); err != nil {
			return c.step("set chunk size", err)
		}
		c.cw.Size = chunkSize
	}
	connect := amf0.Append(nil, "connect", 1, amf0.Object{
		{Key: "app", Value: c.u.App},
		{Key: "type", Value: "nonprivate"},
		{Key: "flashVer", Value: "FMLE/3.0 (compatible; golivecast)"},
		{Key: "tcUrl", Value: c.u.TCURL},
	})
	if err := c.command(0, connect); err != nil {
		return c.step("connect", err)
	}
	if _, err := c.await("connect", 1); err != nil {
		err = c.step("connect", err)
		if errors.Is(err, ErrConnectionLost) {
			// nginx-rtmp closes without a word on an unknown application.
			err = fmt.Errorf("%w (is %q an application of this server?)", err, c.u.App)
		}
		return err
	}
	// releaseStream and FCPublish are what the platforms' own encoders
	// send before createStream; servers that do not know them ignore
	// them or answer _error, which is harmless.
	if err := c.command(0, amf0.Append(nil, "releaseStream", 2, nil, c.u.Key)); err != nil {
		return c.step("releaseStream", err)
	}
	if err := c.command(0, amf0.Append(nil, "FCPublish", 3, nil, c.u.Key)); err != nil {
		return c.step("FCPublish", err)
	}
	if err := c.command(0, amf0.Append(nil, "createStream", 4, nil)); err != nil {
		return c.step("createStream", err)
	}
	res, err := c.await("createStream", 4)
	if err != nil {
		return c.step("createStream", err)
	}
	id, ok := firstNumber(res)
	if !ok || id < 1 || id > 1<<24 {
		return fmt.Errorf("%w: createStream answered without a usable stream id (%s)", ErrProtocol, c.redact(fmt.Sprint(res)))
	}
	c.streamID = uint32(id)
	if err := c.command(c.streamID, amf0.Append(nil, "publish", 5, nil, c.u.Key, "live")); err != nil {
		return c.step("publish", err)
	}
	return c.step("publish", c.awaitPublish())
}

func firstNumber(vals []any) (float64, bool) {
	for _, v := range vals {
		if f, ok := v.(float64); ok {
			return f, true
		}
	}
	return 0, false
}

// command writes an AMF0 command and flushes it.
func (c *Session) command(streamID uint32, body []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.cw.WriteMessage(CSIDCommand, MsgCommandAMF0, streamID, 0, body); err != nil {
		return err
	}
	return c.bw.Flush()
}

// await reads until the answer to transaction tx. Anything else that
// arrives is handled on the way.
func (c *Session) await(cmd string, tx float64) ([]any, error) {
	for {
		m, err := c.cr.ReadMessage()
		if err != nil {
			return nil, err
		}
		name, mtx, args, err := c.handle(m)
		if err != nil {
			return nil, err
		}
		if mtx != tx || (name != "_result" && name != "_error") {
			continue
		}
		if name == "_error" {
			return nil, c.statusError(cmd, args)
		}
		return args, nil
	}
}

// awaitPublish reads until the server accepts or refuses the publish.
func (c *Session) awaitPublish() error {
	for {
		m, err := c.cr.ReadMessage()
		if err != nil {
			return err
		}
		name, tx, args, err := c.handle(m)
		if err != nil {
			return err
		}
		switch {
		case name == "onStatus":
			level, code, _ := statusInfo(args)
			if code == "NetStream.Publish.Start" {
				return nil
			}
			if level == "error" {
				return c.statusError("publish", args)
			}
		case name == "_error" && tx == 5:
			return c.statusError("publish", args)
		}
	}
}
