// Package faultproxy is a TCP proxy on loopback that puts a bad network
// between a client and a server, for tests: each direction can be
// throttled to a rate, delayed, blackholed (bytes read and dropped, or no
// longer read, with no FIN or RST either way) and restored at run time,
// and every connection can be reset. It counts the bytes it passes.
//
// What waits "in the network" is bounded and known: each accepted socket
// has a small receive buffer, the proxy reads at most Burst bytes at a
// time, and the delay line holds at most MaxHeld bytes per direction.
// Past that the proxy stops reading, and the sender's own socket fills,
// as behind a real bottleneck.
package faultproxy

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Direction is one way through the proxy.
type Direction int

const (
	// Up is from the client to the server.
	Up Direction = iota
	// Down is from the server to the client.
	Down
)

// Blackhole is how a blackholed path behaves. Neither closes anything.
type Blackhole int

const (
	// Open forwards bytes: no blackhole.
	Open Blackhole = iota
	// Drop reads bytes and discards them. On loopback the sender's kernel
	// still sees them acknowledged, as a path that swallows data behind a
	// middlebox would; nothing reaches the other end.
	Drop
	// Stall stops reading. The sender's bytes wait unacknowledged, its
	// socket fills and its writes block, as on a path that lost every
	// packet. Restoring the path delivers what waited.
	Stall
)

// Options tune a proxy. The zero value works.
type Options struct {
	// ReadBuffer is the receive buffer of each socket the proxy reads
	// from. It defaults to 8 KiB (Linux doubles it).
	ReadBuffer int
	// Burst is the most a throttled direction sends at once, and the most
	// the proxy reads in one call. It defaults to 4 KiB: a few packets.
	Burst int
	// MaxHeld bounds the bytes in each direction's delay line. It
	// defaults to 256 KiB.
	MaxHeld int
}

// Proxy forwards connections from its own loopback address to a target.
type Proxy struct {
	ln     net.Listener
	target string
	opts   Options

	mu      sync.Mutex
	state   [2]pathState
	changed chan struct{} // closed and replaced on every change
	quit    chan struct{} // closed by Close
	conns   map[*link]struct{}
	closed  bool

	passed  [2]atomic.Int64
	dropped [2]atomic.Int64
	accepts atomic.Int64

	wg sync.WaitGroup
}

// pathState is the behaviour of one direction.
type pathState struct {
	rate      int // bytes per second; 0: unlimited
	delay     time.Duration
	blackhole Blackhole
}

// Start listens on a free loopback port and forwards every connection to
// target.
func Start(target string, opts Options) (*Proxy, error) {
	if opts.ReadBuffer <= 0 {
		opts.ReadBuffer = 8 << 10
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { setReadBuffer(fd, opts.ReadBuffer) })
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if opts.Burst <= 0 {
		opts.Burst = 4 << 10
	}
	if opts.MaxHeld <= 0 {
		opts.MaxHeld = 256 << 10
	}
	p := &Proxy{ln: ln, target: target, opts: opts, changed: make(chan struct{}), quit: make(chan struct{}), conns: make(map[*link]struct{})}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the proxy's address, host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetRate throttles a direction to bitsPerSecond; 0 removes the limit.
func (p *Proxy) SetRate(dir Direction, bitsPerSecond int) {
	p.update(func() { p.state[dir].rate = bitsPerSecond / 8 })
}

// SetDelay holds every byte of a direction for d before forwarding it.
func (p *Proxy) SetDelay(dir Direction, d time.Duration) {
	p.update(func() { p.state[dir].delay = d })
}

// SetBlackhole blackholes both directions (or opens them with Open).
// Connections accepted meanwhile are blackholed too: the proxy connects
// to the target only once it has a byte to forward.
func (p *Proxy) SetBlackhole(b Blackhole) {
	p.update(func() { p.state[Up].blackhole, p.state[Down].blackhole = b, b })
}

// Restore removes every rate limit, delay and blackhole.
func (p *Proxy) Restore() {
	p.update(func() { p.state = [2]pathState{} })
}

// Reset ends every connection with an RST to both ends, and returns how
// many it reset.
func (p *Proxy) Reset() int {
	p.mu.Lock()
	links := make([]*link, 0, len(p.conns))
	for l := range p.conns {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.reset()
	}
	return len(links)
}

// Passed counts the bytes forwarded in a direction.
func (p *Proxy) Passed(dir Direction) int64 { return p.passed[dir].Load() }

// Dropped counts the bytes a Drop blackhole discarded in a direction.
func (p *Proxy) Dropped(dir Direction) int64 { return p.dropped[dir].Load() }

// Accepted counts the connections accepted.
func (p *Proxy) Accepted() int64 { return p.accepts.Load() }

// Close stops listening, closes every connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.changed)
	close(p.quit)
	links := make([]*link, 0, len(p.conns))
	for l := range p.conns {
		links = append(links, l)
	}
	p.mu.Unlock()
	err := p.ln.Close()
	for _, l := range links {
		l.close()
	}
	p.wg.Wait()
	return err
}

func (p *Proxy) update(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	f()
	close(p.changed)
	p.changed = make(chan struct{})
}

// current is a direction's state and a channel closed at its next change.
func (p *Proxy) current(dir Direction) (pathState, <-chan struct{}, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state[dir], p.changed, p.closed
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepts.Add(1)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(p.opts.ReadBuffer)
		}
		l := &link{p: p, client: c, dialed: make(chan struct{}), dead: make(chan struct{})}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			return
		}
		p.conns[l] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			l.run()
			p.mu.Lock()
			delete(p.conns, l)
			p.mu.Unlock()
		}()
	}
}

// link is one proxied connection.
type link struct {
	p      *Proxy
	client net.Conn

	mu     sync.Mutex
	server net.Conn // nil until the first byte goes up
	dialed chan struct{}
	dead   chan struct{} // closed by close: held bytes are forgotten
	done   bool
}

var errClosed = errors.New("faultproxy: closed")

// dial connects to the target once, for the first byte to go up.
func (l *link) dial() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return nil, errClosed
	}
	if l.server != nil {
		return l.server, nil
	}
	s, err := net.Dial("tcp", l.p.target)
	if err != nil {
		return nil, err
	}
	if tc, ok := s.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(l.p.opts.ReadBuffer)
	}
	l.server = s
	close(l.dialed)
	return s, nil
}

func (l *link) run() {
	var wg sync.WaitGroup
	wg.Go(func() {
		l.pipe(Up, l.client, func() (net.Conn, error) { return l.dial() })
		l.close()
	})
	wg.Go(func() {
		select {
		case <-l.dialed:
		case <-l.p.quit:
			return
		}
		l.mu.Lock()
		s := l.server
		l.mu.Unlock()
		if s == nil {
			return
		}
		l.pipe(Down, s, func() (net.Conn, error) { return l.client, nil })
		l.close()
	})
	wg.Wait()
}

// close ends both sides with a FIN (the proxy's own end, not a fault).
func (l *link) close() {
	l.mu.Lock()
	if !l.done {
		close(l.dead)
	}
	l.done = true
	s := l.server
	select {
	case <-l.dialed:
	default:
		close(l.dialed)
	}
	l.mu.Unlock()
	l.client.Close()
	if s != nil {
		s.Close()
	}
}

// reset ends both sides with an RST.
func (l *link) reset() {
	l.mu.Lock()
	s := l.server
	l.mu.Unlock()
	for _, c := range []net.Conn{l.client, s} {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
	}
	l.close()
}
