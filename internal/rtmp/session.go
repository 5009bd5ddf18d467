package rtmp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golivecast/golivecast/internal/amf0"
)

// Session is one publishing RTMP session on a socket it owns. go-rtmp's
// ClientConn could not be used: it cannot be bounded by a context or cut
// from outside (Connect and CreateStream wait forever when the server
// closes; blocked writes survive Close), it panics on an AMF null in
// _result, drops onStatus, and writes no extended timestamp in type-3
// chunks. Its handshake verifies S2 strictly, which servers in the field
// fail (see handshake.go).
type Session struct {
	nc  net.Conn
	u   Target
	log *slog.Logger
	// status makes the error of a refusal the server reported.
	status func(command, level, code, description string) error

	wmu      sync.Mutex // one writer at a time: media, pongs, acks
	bw       *bufio.Writer
	cw       ChunkWriter
	streamID uint32
	wtimeout time.Duration
	limit    atomic.Int64 // unix nanos no write may go past; 0: none

	cr      *ChunkReader
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

// PublishSettle is how soon after NetStream.Publish.Start a close counts
// as a refusal: nginx-rtmp answers a publish its access rules deny with
// NetStream.Publish.Start and closes the socket at once.
const PublishSettle = 250 * time.Millisecond

// Refusal says whether the connection's end was a refusal: a status the
// server reported (Options.StatusError), or a close within PublishSettle
// of the publish start. It returns nil for a connection that is alive or
// was lost later.
func (c *Session) Refusal() error {
	c.errMu.Lock()
	err, lostAt := c.err, c.lostAt
	c.errMu.Unlock()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errStatus):
		return err
	case lostAt.Sub(c.started) < PublishSettle:
		return fmt.Errorf("%w: %s closed the connection right after NetStream.Publish.Start: publishing is probably denied", ErrRefused, c.u.Addr)
	}
	return nil
}

// Settle waits, for a session younger than PublishSettle, until it is
// that old or the server closes it, and returns its refusal if any. A
// stream shorter than PublishSettle calls it before it unpublishes, so
// that a denied publish is not taken for a stream sent.
func (c *Session) Settle() error {
	if d := PublishSettle - time.Since(c.started); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-c.done:
		case <-t.C:
		}
	}
	return c.Refusal()
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

func (c *Session) statusError(cmd string, args []any) error {
	level, code, desc := statusInfo(args)
	if level == "" {
		level = "error"
	}
	if code == "" {
		code = "(no code)"
	}
	return statusErr{c.status(cmd, level, code, c.redact(desc))}
}

// errStatus is matched by the error of a status the server reported.
var errStatus = errors.New("rtmp: server status")

// statusErr marks the error Options.StatusError made, whose own type
// this package does not know.
type statusErr struct{ error }

func (e statusErr) Unwrap() []error { return []error{e.error, errStatus} }

// redact removes the stream key from text the server wrote.
func (c *Session) redact(s string) string {
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
func (c *Session) handle(m Message) (string, float64, []any, error) {
	if err := c.maybeAck(); err != nil {
		return "", 0, nil, err
	}
	switch m.Type {
	case MsgSetChunkSize:
		return "", 0, nil, c.cr.SetChunkSize(m.Payload)
	case MsgWindowAckSize:
		if len(m.Payload) >= 4 {
			c.ackWin = binary.BigEndian.Uint32(m.Payload)
		}
	case MsgUserControl:
		// Ping request (event 6): answer with a ping response (event 7).
		if len(m.Payload) >= 6 && binary.BigEndian.Uint16(m.Payload) == 6 {
			p := make([]byte, 6)
			binary.BigEndian.PutUint16(p, 7)
			copy(p[2:], m.Payload[2:6])
			if err := c.control(MsgUserControl, p); err != nil {
				return "", 0, nil, err
			}
		}
	case MsgCommandAMF0, MsgCommandAMF3:
		p := m.Payload
		if m.Type == MsgCommandAMF3 && len(p) > 0 {
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
	case MsgAbort:
		if len(m.Payload) >= 4 {
			c.cr.abort(binary.BigEndian.Uint32(m.Payload))
		}
	}
	return "", 0, nil, nil
}

// maybeAck acknowledges received bytes once a window is full (5.4.3).
func (c *Session) maybeAck() error {
	if c.ackWin == 0 || c.counter.n-c.acked < uint64(c.ackWin) {
		return nil
	}
	c.acked = c.counter.n
	p := binary.BigEndian.AppendUint32(nil, uint32(c.counter.n))
	return c.control(MsgAck, p)
}

func (c *Session) control(typ byte, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.established.Load() {
		// Not the deadline of the last media write, long past on a quiet
		// stream: a ping answer must not fail for that.
		_ = c.nc.SetWriteDeadline(c.writeDeadline())
	}
	if err := c.cw.WriteMessage(CSIDControl, typ, 0, 0, p); err != nil {
		return err
	}
	return c.bw.Flush()
}

// redacted stands for the stream key in what the server wrote.
const redacted = "****"

// readLoop keeps reading after publishing started: pings, acks, and a
// late refusal or the connection's end, which it records for the writer.
func (c *Session) readLoop() {
	defer close(c.done)
	for {
		m, err := c.cr.ReadMessage()
		if err != nil {
			c.fail(fmt.Errorf("%w: %s: %w", ErrConnectionLost, c.u.Addr, err))
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
func (c *Session) fail(err error) {
	c.errMu.Lock()
	if c.err == nil {
		c.err, c.lostAt = err, time.Now()
	}
	c.errMu.Unlock()
	c.sock.abandon()
	_ = c.nc.Close()
}

// Done is closed when the session has ended: its reader stopped.
func (c *Session) Done() <-chan struct{} { return c.done }

// Err is why the session ended, or nil while it is alive.
func (c *Session) Err() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.err
}

// WriteMedia writes an FLV tag's body as a message of the same type
// (MsgAudio, MsgVideo or MsgDataAMF0) on the published stream, with its
// RTMP timestamp ts; dts is its media time, by which delivery is
// followed (InKernel, OldestUnacked). Flush says whether to push
// buffered bytes to the socket now.
func (c *Session) WriteMedia(typ byte, ts uint32, dts time.Duration, payload []byte, flush bool) error {
	csid := CSIDVideo
	switch typ {
	case MsgAudio:
		csid = CSIDAudio
	case MsgDataAMF0:
		csid = CSIDData
	}
	if err := c.writeMessage(csid, typ, ts, payload, flush); err != nil {
		return err
	}
	c.wmu.Lock()
	end := c.out.n.Load() + uint64(c.bw.Buffered())
	c.wmu.Unlock()
	c.sent.add(end, dts)
	return nil
}

func (c *Session) writeMessage(csid int, typ byte, ts uint32, payload []byte, flush bool) error {
	if err := c.Err(); err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.nc.SetWriteDeadline(c.writeDeadline())
	err := c.cw.WriteMessage(csid, typ, c.streamID, ts, payload)
	if err == nil && flush {
		err = c.bw.Flush()
	}
	if err != nil {
		return c.writeFailed(err)
	}
	return nil
}

// writeFailed ends the Session after a failed write and returns why.
func (c *Session) writeFailed(err error) error {
	if e := c.Err(); e != nil {
		return e
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		err = fmt.Errorf("%w: write to %s stalled for %v", ErrTimeout, c.u.Addr, c.wtimeout)
	} else {
		err = fmt.Errorf("%w: write to %s: %w", ErrConnectionLost, c.u.Addr, err)
	}
	c.fail(err)
	return c.Err()
}

// Flush pushes buffered bytes to the socket, so that a writer that holds
// back does not hold them.
func (c *Session) Flush() error {
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
// or the limit set by LimitWrites if that comes first.
func (c *Session) writeDeadline() time.Time {
	d := time.Now().Add(c.wtimeout)
	if l := c.limit.Load(); l != 0 && l < d.UnixNano() {
		d = time.Unix(0, l)
	}
	return d
}

// LimitWrites bounds every later write, so that a closing publisher
// stops in time whatever the network does.
func (c *Session) LimitWrites(t time.Time) {
	c.limit.Store(t.UnixNano())
	// A write in progress is bound too: deadlines apply to pending calls.
	_ = c.nc.SetWriteDeadline(t)
}

// Close unpublishes when it can do so quickly, then closes the socket and
// waits for the reader and the watch. Without an unpublish the
// connection is reset (abandon).
func (c *Session) Close(unpublish bool) {
	c.closing.Do(func() {
		if unpublish && c.Err() == nil {
			c.wmu.Lock()
			_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
			_ = c.cw.WriteMessage(CSIDCommand, MsgCommandAMF0, 0, 0, amf0.Append(nil, "FCUnpublish", 6, nil, c.u.Key))
			_ = c.cw.WriteMessage(CSIDCommand, MsgCommandAMF0, 0, 0, amf0.Append(nil, "deleteStream", 7, nil, int(c.streamID)))
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
