package microphone

import "sync/atomic"

// pcmRing is a single-producer single-consumer byte ring. The producer is
// the audio thread, which must never wait: it writes what fits and the
// caller counts the rest as dropped. Positions are running byte totals,
// so full and empty need no extra flag.
type pcmRing struct {
	buf   []byte
	frame uint64        // bytes per sample frame; writes keep frames whole
	w     atomic.Uint64 // bytes ever written, advanced by the producer
	r     atomic.Uint64 // bytes ever read, advanced by the consumer
}

func newPCMRing(frames, bytesPerFrame int) *pcmRing {
	return &pcmRing{buf: make([]byte, frames*bytesPerFrame), frame: uint64(bytesPerFrame)}
}

// write copies as many whole frames of p as fit and returns the bytes
// copied. Only the producer calls it.
func (q *pcmRing) write(p []byte) int {
	w, r := q.w.Load(), q.r.Load()
	free := uint64(len(q.buf)) - (w - r)
	n := min(uint64(len(p)), free)
	n -= n % q.frame
	q.copyAt(w, p[:n], true)
	q.w.Store(w + n)
	return int(n)
}

// read copies up to len(dst) bytes, in whole frames, and returns the
// bytes copied. Only the consumer calls it.
func (q *pcmRing) read(dst []byte) int {
	r, w := q.r.Load(), q.w.Load()
	n := min(uint64(len(dst)), w-r)
	n -= n % q.frame
	q.copyAt(r, dst[:n], false)
	q.r.Store(r + n)
	return int(n)
}

// len returns the bytes waiting to be read.
func (q *pcmRing) len() int { return int(q.w.Load() - q.r.Load()) }

// copyAt copies between p and the ring starting at running position pos,
// wrapping at the end of the buffer.
func (q *pcmRing) copyAt(pos uint64, p []byte, into bool) {
	size := uint64(len(q.buf))
	if size == 0 {
		return
	}
	off := int(pos % size)
	first := min(len(p), len(q.buf)-off)
	if into {
		copy(q.buf[off:], p[:first])
		copy(q.buf, p[first:])
	} else {
		copy(p[:first], q.buf[off:])
		copy(p[first:], q.buf)
	}
}
