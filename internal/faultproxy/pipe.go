package faultproxy

import (
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// packetSize is what a throttled direction waits to have credit for
// before it reads: about one Ethernet packet's payload.
const packetSize = 1460

// pipe moves one direction of a link: it reads from src as the
// direction's state allows and hands the bytes to a delay line, from
// which deliver writes them to dst.
func (l *link) pipe(dir Direction, src net.Conn, dst func() (net.Conn, error)) {
	p := l.p
	line := &delayLine{max: p.opts.MaxHeld, notEmpty: make(chan struct{}, 1), notFull: make(chan struct{}, 1), quit: p.quit}
	var wg sync.WaitGroup
	wg.Go(func() { l.deliver(dir, line, dst) })
	defer wg.Wait()
	defer line.close()

	burst := float64(p.opts.Burst)
	tokens, last := burst, time.Now()
	buf := make([]byte, p.opts.Burst)
	for {
		st, changed, closed := p.current(dir)
		if closed {
			return
		}
		if st.blackhole == Stall {
			select {
			case <-changed:
			case <-p.quit:
				return
			}
			continue
		}
		n := len(buf)
		if st.rate > 0 {
			now := time.Now()
			tokens = min(burst, tokens+now.Sub(last).Seconds()*float64(st.rate))
			last = now
			if need := min(burst, packetSize); tokens < need {
				wait := time.Duration((need - tokens) / float64(st.rate) * float64(time.Second))
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-changed:
				case <-p.quit:
					t.Stop()
					return
				}
				t.Stop()
				continue
			}
			n = int(tokens)
		}
		k, err := src.Read(buf[:n])
		if k > 0 {
			if st.rate > 0 {
				// The bucket was full or short of n before the read; what
				// accrued while the read waited cannot pass its size.
				now := time.Now()
				tokens = min(burst, tokens+now.Sub(last).Seconds()*float64(st.rate)) - float64(k)
				last = now
			}
			st, _, _ = p.current(dir)
			if st.blackhole == Drop {
				p.dropped[dir].Add(int64(k))
			} else if !line.push(chunk{b: append([]byte(nil), buf[:k]...), due: time.Now().Add(st.delay)}) {
				return
			}
		}
		if err != nil {
			if errors.Is(err, syscall.ECONNRESET) {
				// A reset crosses the path at once and what was on the
				// way is lost, as on a real network.
				l.reset()
			}
			return
		}
	}
}

// deliver writes what the delay line holds to dst once it is due. A
// blackhole applies to bytes still in the line: Drop discards them, Stall
// holds them.
func (l *link) deliver(dir Direction, line *delayLine, dst func() (net.Conn, error)) {
	p := l.p
	for {
		c, ok := line.pop()
		if !ok {
			return
		}
		if d := time.Until(c.due); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-p.quit:
				t.Stop()
				return
			case <-l.dead:
				t.Stop()
				return
			}
		}
		for {
			st, changed, closed := p.current(dir)
			if closed {
				return
			}
			if st.blackhole != Stall {
				break
			}
			select {
			case <-changed:
			case <-p.quit:
				return
			case <-l.dead:
				return
			}
		}
		if st, _, _ := p.current(dir); st.blackhole == Drop {
			p.dropped[dir].Add(int64(len(c.b)))
			continue
		}
		w, err := dst()
		if err != nil {
			// The target is unreachable: the client sees a reset, as
			// from a server that refuses.
			l.reset()
			return
		}
		if _, err := w.Write(c.b); err != nil {
			l.close()
			return
		}
		p.passed[dir].Add(int64(len(c.b)))
	}
}

type chunk struct {
	b   []byte
	due time.Time
}

// delayLine is a bounded queue of chunks between a pipe's reader and its
// writer. Each signal channel holds at most one wake-up; a woken side
// looks at the queue again.
type delayLine struct {
	max               int
	notEmpty, notFull chan struct{}
	quit              <-chan struct{}

	mu     sync.Mutex
	q      []chunk
	held   int
	closed bool
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// push waits for room and queues c. It returns false once the line or
// the proxy is closed.
func (d *delayLine) push(c chunk) bool {
	for {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return false
		}
		if d.held == 0 || d.held+len(c.b) <= d.max {
			d.q = append(d.q, c)
			d.held += len(c.b)
			d.mu.Unlock()
			signal(d.notEmpty)
			return true
		}
		d.mu.Unlock()
		select {
		case <-d.notFull:
		case <-d.quit:
			return false
		}
	}
}

// pop waits for a chunk. It returns false once the line is closed and
// empty, or the proxy is closed.
func (d *delayLine) pop() (chunk, bool) {
	for {
		d.mu.Lock()
		if len(d.q) > 0 {
			c := d.q[0]
			d.q[0] = chunk{}
			d.q = d.q[1:]
			d.held -= len(c.b)
			d.mu.Unlock()
			signal(d.notFull)
			return c, true
		}
		closed := d.closed
		d.mu.Unlock()
		if closed {
			return chunk{}, false
		}
		select {
		case <-d.notEmpty:
		case <-d.quit:
			return chunk{}, false
		}
	}
}

func (d *delayLine) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	signal(d.notEmpty)
	signal(d.notFull)
}
