package rtmp

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// What a Session knows of delivery: which tags the server's TCP has
// acknowledged, how much media is still in the kernel or on the way, and
// whether the connection still makes progress at all.

// watchTick is how often a Session looks at its socket.
const watchTick = 100 * time.Millisecond

// countingWriter counts the bytes handed to the socket, so that the
// socket's unacknowledged bytes (SIOCOUTQ) tell how far the server got.
// A write in progress is noted for systems where the kernel tells
// nothing.
type countingWriter struct {
	w       io.Writer
	n       atomic.Uint64
	writing atomic.Int64 // unix nanos when the write in progress began; 0: none
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writing.Store(time.Now().UnixNano())
	n, err := c.w.Write(p)
	c.writing.Store(0)
	c.n.Add(uint64(n))
	return n, err
}

// sentLog remembers where each tag written ends in the byte stream, until
// the server has acknowledged it.
type sentLog struct {
	mu   sync.Mutex
	tags []sentTag
	head int
}

type sentTag struct {
	end uint64 // offset just past the tag's last byte
	dts time.Duration
}

func (l *sentLog) add(end uint64, dts time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.head > 0 && len(l.tags) == cap(l.tags) {
		n := copy(l.tags, l.tags[l.head:])
		l.tags, l.head = l.tags[:n], 0
	}
	l.tags = append(l.tags, sentTag{end, dts})
}

// span forgets the tags the server acknowledged (every byte up to acked)
// and returns the media time from the oldest tag it has not fully
// acknowledged to the newest written: what is in the kernel or on the
// way. It is 0 when everything arrived.
func (l *sentLog) span(acked uint64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.head < len(l.tags) && l.tags[l.head].end <= acked {
		l.head++
	}
	if l.head == len(l.tags) {
		l.tags, l.head = l.tags[:0], 0
		return 0
	}
	return max(0, l.tags[len(l.tags)-1].dts-l.tags[l.head].dts)
}

// oldestUnacked is the DTS of the oldest tag written and not known to be
// acknowledged.
func (l *sentLog) oldestUnacked() (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.head == len(l.tags) {
		return 0, false
	}
	return l.tags[l.head].dts, true
}

// OldestUnacked is the DTS of the oldest tag the server may lack.
func (c *Session) OldestUnacked() (time.Duration, bool) {
	c.InKernel() // forgets what was acknowledged, where that is known
	return c.sent.oldestUnacked()
}

// InKernel reads the socket: the media time written but not yet
// acknowledged by the server, and the bytes acknowledged so far. ok is
// false where the kernel does not tell.
func (c *Session) InKernel() (span time.Duration, acked uint64, ok bool) {
	unacked, ok := c.sock.unacked()
	if !ok {
		return 0, 0, false
	}
	// The bytes counted are those handed to the socket (before TLS), the
	// bytes unacknowledged those on the wire (after it): TLS makes the
	// span a little longer than it is, never shorter.
	written := c.out.n.Load()
	if uint64(unacked) < written {
		acked = written - uint64(unacked)
	}
	return c.sent.span(acked), acked, true
}

// watch reports the kernel's share of the send delay and takes the
// connection for dead once the server has acknowledged nothing for the
// stall timeout while data waited: a path that went down without a FIN
// or RST, or a server that stopped reading. A slow link is never taken
// for dead, since every byte it carries is acknowledged. Where the
// kernel does not tell, a write blocked that long counts instead.
func (c *Session) watch() {
	defer close(c.watchDone)
	t := time.NewTicker(watchTick)
	defer t.Stop()
	var lastAcked uint64
	progress := time.Now()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		now := time.Now()
		span, acked, ok := c.InKernel()
		if ok {
			if c.kernelStat != nil {
				c.kernelStat.Store(int64(span))
			}
			if unacked := c.out.n.Load() - acked; unacked == 0 || acked != lastAcked {
				lastAcked, progress = acked, now
				continue
			}
		} else {
			w := c.out.writing.Load()
			if w == 0 {
				progress = now
				continue
			}
			progress = time.Unix(0, w)
		}
		if c.stall > 0 && now.Sub(progress) >= c.stall {
			c.fail(fmt.Errorf("%w: %s stalled: nothing acknowledged for %v (path down or server not reading)",
				ErrTimeout, c.u.Addr, c.stall))
			return
		}
	}
}
