package rtmpsrc

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
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// session is one publishing RTMP session on a socket it owns. go-rtmp's
// ClientConn could not be used: it cannot be bounded by a context or cut
// from outside (Connect and CreateStream wait forever when the server
// closes; blocked writes survive Close), it panics on an AMF null in
// _result, drops onStatus, and writes no extended timestamp in type-3
// chunks. Its handshake verifies S2 strictly, which servers in the field
// fail (see handshake.go).
type session struct {
	nc  net.Conn
	u   *URL
	log *slog.Logger

	wmu      sync.Mutex // one writer at a time: media, pongs, acks
	bw       *bufio.Writer
	cw       chunkWriter
	streamID uint32
	wtimeout time.Duration
	limit    atomic.Int64 // unix nanos no write may go past; 0: none

	cr      *chunkReader
	counter *countingReader
	ackWin  uint32
	acked   uint64

	// established is set once the publish started: from then on every
	// write takes its own deadline (during the setup one deadline bounds
	// everything).
	established atomic.Bool
	started     time.Time // when NetStream.Publish.Start arrived

	done    chan struct{} // closed when the reader stops
	errMu   sync.Mutex
	err     error
	lostAt  time.Time // when err was recorded
	closing sync.Once
}

type countingReader struct {
	r io.Reader
	n uint64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += uint64(n)
	return n, err
}

// dialOptions are the connection settings taken from Config.
type dialOptions struct {
	tls          *tls.Config
	dialContext  func(ctx context.Context, network, addr string) (net.Conn, error)
	dialTimeout  time.Duration
	setupTimeout time.Duration
	writeTimeout time.Duration
	chunkSize    int
	sendBuffer   int
	log          *slog.Logger
}

// dialSession connects, shakes hands, connects to the application,
// creates a stream and publishes to it, returning once the server said
// NetStream.Publish.Start. Every step is bounded by ctx and the timeouts.
func dialSession(ctx context.Context, u *URL, o dialOptions) (*session, error) {
	dctx, cancel := context.WithTimeout(ctx, o.dialTimeout)
	nc, err := o.dialContext(dctx, "tcp", u.Addr())
	cancel()
	if err != nil {
		return nil, classifyNetErr(ctx, fmt.Sprintf("connect to %s", u.Addr()), err)
	}
	if tc, ok := nc.(*net.TCPConn); ok && o.sendBuffer > 0 {
		_ = tc.SetWriteBuffer(o.sendBuffer)
	}
	if u.Scheme == "rtmps" {
		cfg := o.tls.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Host
		}
		tc := tls.Client(nc, cfg)
		hctx, cancel := context.WithTimeout(ctx, o.setupTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			nc.Close()
			return nil, classifyTLSErr(ctx, u, err)
		}
		nc = tc
	}
	c := &session{
		nc:  nc,
		u:   u,
		log: o.log,
		// Small: bytes waiting here are latency the send queue cannot see.
		bw:       bufio.NewWriterSize(nc, 4<<10),
		wtimeout: o.writeTimeout,
		done:     make(chan struct{}),
	}
	c.cw = chunkWriter{w: c.bw, size: 128}
	c.counter = &countingReader{r: bufio.NewReaderSize(nc, 16<<10)}
	c.cr = newChunkReader(c.counter)

	// The setup reads and writes in this goroutine; the deadline bounds
	// them and the context can cut them short.
	_ = nc.SetDeadline(time.Now().Add(o.setupTimeout))
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	err = c.setup(o.chunkSize)
	if !stop() || ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		nc.Close()
		close(c.done)
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	c.started = time.Now()
	c.established.Store(true)
	go c.readLoop()
	return c, nil
}

// publishSettle is how soon after NetStream.Publish.Start a close counts
// as a refusal: nginx-rtmp answers a publish its access rules deny with
// NetStream.Publish.Start and closes the socket at once.
const publishSettle = 250 * time.Millisecond

// refusal says whether the connection's end was a refusal: a *StatusError
// from the server, or a close within publishSettle of the publish start.
// It returns nil for a connection that is alive or was lost later.
func (c *session) refusal() error {
	c.errMu.Lock()
	err, lostAt := c.err, c.lostAt
	c.errMu.Unlock()
	var se *StatusError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return se
	case lostAt.Sub(c.started) < publishSettle:
		return fmt.Errorf("%w: %s closed the connection right after NetStream.Publish.Start: publishing is probably denied", ErrRefused, c.u.Addr())
	}
	return nil
}

// settle waits, for a session younger than publishSettle, until it is
// that old or the server closes it, and returns its refusal if any. A
// stream shorter than publishSettle calls it before it unpublishes, so
// that a denied publish is not taken for a stream sent.
func (c *session) settle() error {
	if d := publishSettle - time.Since(c.started); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-c.done:
		case <-t.C:
		}
	}
	return c.refusal()
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

func classifyTLSErr(ctx context.Context, u *URL, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ce) || errors.As(err, &ve) {
		return fmt.Errorf("rtmpsrc: TLS certificate of %s not trusted: %w", u.Host, err)
	}
	return classifyNetErr(ctx, "TLS handshake with "+u.Addr(), err)
}

// step wraps an error of the setup with what was being done.
func (c *session) step(what string, err error) error {
	if err == nil {
		return nil
	}
	var se *StatusError
	if errors.As(err, &se) || errors.Is(err, ErrProtocol) {
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %s with %s: no answer", ErrTimeout, what, c.u.Addr())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("%w: %s: server %s closed the connection", ErrConnectionLost, what, c.u.Addr())
	}
	return fmt.Errorf("rtmpsrc: %s with %s: %w", what, c.u.Addr(), err)
}

func (c *session) setup(chunkSize int) error {
	if err := clientHandshake(c.counter, c.nc); err != nil {
		return c.step("handshake", err)
	}
	if chunkSize > 0 {
		var p [4]byte
		binary.BigEndian.PutUint32(p[:], uint32(chunkSize))
		if err := c.cw.writeMessage(csidControl, msgSetChunkSize, 0, 0, p[:]); err != nil {
			return c.step("set chunk size", err)
		}
		c.cw.size = chunkSize
	}
	connect := amfAppend(nil, "connect", 1, amfObj{
		{"app", c.u.App},
		{"type", "nonprivate"},
		{"flashVer", "FMLE/3.0 (compatible; golivecast)"},
		{"tcUrl", c.u.TCURL()},
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
	if err := c.command(0, amfAppend(nil, "releaseStream", 2, nil, c.u.Key)); err != nil {
		return c.step("releaseStream", err)
	}
	if err := c.command(0, amfAppend(nil, "FCPublish", 3, nil, c.u.Key)); err != nil {
		return c.step("FCPublish", err)
	}
	if err := c.command(0, amfAppend(nil, "createStream", 4, nil)); err != nil {
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
	if err := c.command(c.streamID, amfAppend(nil, "publish", 5, nil, c.u.Key, "live")); err != nil {
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
func (c *session) command(streamID uint32, body []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.cw.writeMessage(csidCommand, msgCommandAMF0, streamID, 0, body); err != nil {
		return err
	}
	return c.bw.Flush()
}

// await reads until the answer to transaction tx. Anything else that
// arrives is handled on the way.
func (c *session) await(cmd string, tx float64) ([]any, error) {
	for {
		m, err := c.cr.readMessage()
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
func (c *session) awaitPublish() error {
	for {
		m, err := c.cr.readMessage()
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

// statusInfo finds level, code and description in the info object of an
// onStatus or _error. Servers put a properties object (or null) before
// it; the info object is the one that holds a code or a level.
func statusInfo(args []any) (level, code, desc string) {
	var info amfObj
	for _, a := range args {
		if o, ok := a.(amfObj); ok {
			info = o
			if o.get("code") != nil || o.get("level") != nil {
				break
			}
		}
	}
	return info.str("level"), info.str("code"), info.str("description")
}

func first(vals []any) any {
	if len(vals) == 0 {
		return nil
	}
	return vals[0]
}

func (c *session) statusError(cmd string, args []any) *StatusError {
	level, code, desc := statusInfo(args)
	if level == "" {
		level = "error"
	}
	if code == "" {
		code = "(no code)"
	}
	return &StatusError{Command: cmd, Level: level, Code: code, Description: c.redact(desc)}
}

// redact removes the stream key from text the server wrote.
func (c *session) redact(s string) string {
	if c.u.Key == "" {
		return s
	}
	s = strings.ReplaceAll(s, c.u.Key, redacted)
	if name, _, ok := strings.Cut(c.u.Key, "?"); ok && name != "" {
		s = strings.ReplaceAll(s, name, redacted)
	}
	return s
}

// handle applies protocol control messages and decodes commands,
// returning the command name, transaction id and arguments.
func (c *session) handle(m message) (string, float64, []any, error) {
	if err := c.maybeAck(); err != nil {
		return "", 0, nil, err
	}
	switch m.typ {
	case msgSetChunkSize:
		return "", 0, nil, c.cr.setChunkSize(m.payload)
	case msgWindowAckSize:
		if len(m.payload) >= 4 {
			c.ackWin = binary.BigEndian.Uint32(m.payload)
		}
	case msgUserControl:
		// Ping request (event 6): answer with a ping response (event 7).
		if len(m.payload) >= 6 && binary.BigEndian.Uint16(m.payload) == 6 {
			p := make([]byte, 6)
			binary.BigEndian.PutUint16(p, 7)
			copy(p[2:], m.payload[2:6])
			if err := c.control(msgUserControl, p); err != nil {
				return "", 0, nil, err
			}
		}
	case msgCommandAMF0, msgCommandAMF3:
		p := m.payload
		if m.typ == msgCommandAMF3 && len(p) > 0 {
			p = p[1:] // AMF3 command messages start with a 0 byte, then AMF0
		}
		// Servers send commands we have no use for, some of them
		// malformed: ffmpeg's listen mode sends a bare "onFCPublish"
		// with no transaction id. Whatever decodes is used; the rest is
		// logged and ignored.
		vals, err := amfDecodeAll(p)
		name, _ := first(vals).(string)
		if name == "" {
			c.log.Debug("rtmpsrc: ignoring an unreadable server command", "values", len(vals), "err", err)
			return "", 0, nil, nil
		}
		var tx float64
		if len(vals) > 1 {
			tx, _ = vals[1].(float64)
		}
		if err != nil {
			c.log.Debug("rtmpsrc: server command partly decoded", "name", name, "err", err)
		}
		c.log.Debug("rtmpsrc: server command", "name", name, "tx", tx)
		return name, tx, vals[min(2, len(vals)):], nil
	case msgAbort:
		if len(m.payload) >= 4 {
			c.cr.abort(binary.BigEndian.Uint32(m.payload))
		}
	}
	return "", 0, nil, nil
}

// maybeAck acknowledges received bytes once a window is full (5.4.3).
func (c *session) maybeAck() error {
	if c.ackWin == 0 || c.counter.n-c.acked < uint64(c.ackWin) {
		return nil
	}
	c.acked = c.counter.n
	p := binary.BigEndian.AppendUint32(nil, uint32(c.counter.n))
	return c.control(msgAck, p)
}

func (c *session) control(typ byte, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.established.Load() {
		// Not the deadline of the last media write, long past on a quiet
		// stream: a ping answer must not fail for that.
		_ = c.nc.SetWriteDeadline(c.writeDeadline())
	}
	if err := c.cw.writeMessage(csidControl, typ, 0, 0, p); err != nil {
		return err
	}
	return c.bw.Flush()
}

// readLoop keeps reading after publishing started: pings, acks, and a
// late refusal or the connection's end, which it records for the writer.
func (c *session) readLoop() {
	defer close(c.done)
	for {
		m, err := c.cr.readMessage()
		if err != nil {
			c.fail(fmt.Errorf("%w: %s: %w", ErrConnectionLost, c.u.Addr(), err))
			return
		}
		name, _, args, err := c.handle(m)
		if err != nil {
			c.fail(err)
			return
		}
		if name == "onStatus" {
			if level, _, _ := statusInfo(args); level == "error" {
				c.fail(c.statusError("publish", args))
				return
			}
		}
	}
}

// fail records the first error and cuts the socket, which releases a
// writer blocked on a stalled server.
func (c *session) fail(err error) {
	c.errMu.Lock()
	if c.err == nil {
		c.err, c.lostAt = err, time.Now()
	}
	c.errMu.Unlock()
	_ = c.nc.Close()
}

func (c *session) Err() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.err
}

// writeTag writes a tag as an audio, video or data message on the
// published stream. Flush says whether to push buffered bytes to the
// socket now.
func (c *session) writeTag(t tag, flush bool) error {
	csid, typ := csidVideo, t.typ
	switch t.typ {
	case flvTagAudio:
		csid = csidAudio
	case flvTagScript:
		csid, typ = csidData, msgDataAMF0
	}
	return c.writeMessage(csid, typ, t.ts(), t.body.b, flush)
}

func (c *session) writeMessage(csid int, typ byte, ts uint32, payload []byte, flush bool) error {
	if err := c.Err(); err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.nc.SetWriteDeadline(c.writeDeadline())
	err := c.cw.writeMessage(csid, typ, c.streamID, ts, payload)
	if err == nil && flush {
		err = c.bw.Flush()
	}
	if err != nil {
		if e := c.Err(); e != nil {
			return e
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			err = fmt.Errorf("%w: write to %s stalled for %v", ErrTimeout, c.u.Addr(), c.wtimeout)
		} else {
			err = fmt.Errorf("%w: write to %s: %w", ErrConnectionLost, c.u.Addr(), err)
		}
		c.fail(err)
		return c.Err()
	}
	return nil
}

// writeDeadline is the deadline of a write starting now: the write timeout,
// or the limit set by limitWrites if that comes first.
func (c *session) writeDeadline() time.Time {
	d := time.Now().Add(c.wtimeout)
	if l := c.limit.Load(); l != 0 && l < d.UnixNano() {
		d = time.Unix(0, l)
	}
	return d
}

// limitWrites bounds every later write, so that a closing publisher
// stops in time whatever the network does.
func (c *session) limitWrites(t time.Time) {
	c.limit.Store(t.UnixNano())
	// A write in progress is bound too: deadlines apply to pending calls.
	_ = c.nc.SetWriteDeadline(t)
}

// close unpublishes when it can do so quickly, then cuts the socket and
// waits for the reader.
func (c *session) close(unpublish bool) {
	c.closing.Do(func() {
		if unpublish && c.Err() == nil {
			c.wmu.Lock()
			_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
			_ = c.cw.writeMessage(csidCommand, msgCommandAMF0, 0, 0, amfAppend(nil, "FCUnpublish", 6, nil, c.u.Key))
			_ = c.cw.writeMessage(csidCommand, msgCommandAMF0, 0, 0, amfAppend(nil, "deleteStream", 7, nil, int(c.streamID)))
			_ = c.bw.Flush()
			c.wmu.Unlock()
		}
		_ = c.nc.Close()
	})
	<-c.done
}
