package rtmpsrc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/golivecast/golivecast/internal/amf0"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
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

	// Delivery (delivery.go): the bytes handed to the socket, where each
	// tag ends, the socket under TLS, and the stall timeout.
	sock       *tcpSocket
	out        *countingWriter
	sent       sentLog
	stall      time.Duration
	kernelStat *atomic.Int64 // the destination's, set before watch starts; may be nil
	watchDone  chan struct{} // closed when watch has returned

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

// statusInfo finds level, code and description in the info object of an
// onStatus or _error. Servers put a properties object (or null) before
// it; the info object is the one that holds a code or a level.
func statusInfo(args []any) (level, code, desc string) {
	var info amf0.Object
	for _, a := range args {
		if o, ok := a.(amf0.Object); ok {
			info = o
			if o.Get("code") != nil || o.Get("level") != nil {
				break
			}
		}
	}
	return info.Str("level"), info.Str("code"), info.Str("description")
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
		vals, err := amf0.DecodeAll(p)
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
// writer blocked on a stalled server. The connection is reset: what the
// kernel still holds must not reach the server later.
func (c *session) fail(err error) {
	c.errMu.Lock()
	if c.err == nil {
		c.err, c.lostAt = err, time.Now()
	}
	c.errMu.Unlock()
	c.sock.abandon()
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
	if err := c.writeMessage(csid, typ, t.ts(), t.body.b, flush); err != nil {
		return err
	}
	c.wmu.Lock()
	end := c.out.n.Load() + uint64(c.bw.Buffered())
	c.wmu.Unlock()
	c.sent.add(end, t.dts)
	return nil
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
		return c.writeFailed(err)
	}
	return nil
}

// writeFailed ends the session after a failed write and returns why.
func (c *session) writeFailed(err error) error {
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

// flush pushes buffered bytes to the socket, so that a writer that holds
// back does not hold them.
func (c *session) flush() error {
	if err := c.Err(); err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.bw.Buffered() == 0 {
		return nil
	}
	_ = c.nc.SetWriteDeadline(c.writeDeadline())
	if err := c.bw.Flush(); err != nil {
		return c.writeFailed(err)
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

// close unpublishes when it can do so quickly, then closes the socket and
// waits for the reader and the watch. Without an unpublish the
// connection is reset (abandon).
func (c *session) close(unpublish bool) {
	c.closing.Do(func() {
		if unpublish && c.Err() == nil {
			c.wmu.Lock()
			_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
			_ = c.cw.writeMessage(csidCommand, msgCommandAMF0, 0, 0, amf0.Append(nil, "FCUnpublish", 6, nil, c.u.Key))
			_ = c.cw.writeMessage(csidCommand, msgCommandAMF0, 0, 0, amf0.Append(nil, "deleteStream", 7, nil, int(c.streamID)))
			_ = c.bw.Flush()
			c.wmu.Unlock()
		} else {
			c.sock.abandon()
		}
		_ = c.nc.Close()
	})
	<-c.done
	if c.watchDone != nil {
		<-c.watchDone
	}
}
