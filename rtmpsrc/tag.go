package rtmpsrc

import (
	"sync"
	"sync/atomic"
	"time"
)

// tag is one FLV tag on its way from the muxer to the sinks: the same
// thing an RTMP audio, video or data message carries.
type tag struct {
	typ byte // flvTagAudio, flvTagVideo or flvTagScript
	// header marks metadata and sequence headers: never dropped, and sent
	// again on every new connection.
	header     bool
	dts        time.Duration
	key        bool
	disposable bool
	body       *buffer
}

// ts is the tag's timestamp on the wire: milliseconds, wrapping at 2^32.
func (t tag) ts() uint32 { return millis(t.dts) }

// buffer is a tag body shared by every sink that holds the tag, and
// returned to its pool when the last one lets go: a steady stream
// allocates nothing per packet.
type buffer struct {
	b    []byte
	refs atomic.Int32
	pool *bufferPool
}

// retain adds a holder.
func (b *buffer) retain() *buffer {
	b.refs.Add(1)
	return b
}

// release drops a holder; the last one recycles the buffer.
func (b *buffer) release() {
	switch n := b.refs.Add(-1); {
	case n == 0:
		b.pool.put(b)
	case n < 0:
		panic("rtmpsrc: tag body released twice")
	}
}

// bufferPool keeps free buffers of one size class. It is bounded, and a
// plain list rather than a sync.Pool, which the garbage collector
// empties: a pool refilled by allocation after every collection would
// not make a stream allocation-free.
type bufferPool struct {
	mu    sync.Mutex
	free  []*buffer
	limit int
}

// Size classes: audio, metadata and headers are small; video frames are
// kept apart so that their large buffers are not spent on audio.
var (
	smallBuffers = &bufferPool{limit: 256}
	largeBuffers = &bufferPool{limit: 128}
)

const smallBuffer = 4 << 10

// newBuffer returns a buffer of n bytes with one holder.
func newBuffer(n int) *buffer {
	p := largeBuffers
	if n <= smallBuffer {
		p = smallBuffers
	}
	return p.get(n)
}

func (p *bufferPool) get(n int) *buffer {
	p.mu.Lock()
	var b *buffer
	if k := len(p.free); k > 0 {
		b = p.free[k-1]
		p.free[k-1] = nil
		p.free = p.free[:k-1]
	}
	p.mu.Unlock()
	if b == nil {
		b = &buffer{pool: p}
	}
	if cap(b.b) < n {
		c := n
		if p == smallBuffers {
			c = smallBuffer
		}
		b.b = make([]byte, n, c)
	}
	b.b = b.b[:n]
	b.refs.Store(1)
	return b
}

func (p *bufferPool) put(b *buffer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < p.limit {
		p.free = append(p.free, b)
	}
}
