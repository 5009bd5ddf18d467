package rtmptest

import (
	"crypto/tls"
	"io"
	"net"
	"sync"

	rtmp "github.com/yutopp/go-rtmp"
)

// listener counts and remembers the connections go-rtmp accepts, which
// go-rtmp itself does not: its Server.Close closes only the listener, and
// each connection's goroutine lives until its socket fails.
//
// Accept runs only on the Serve goroutine, which Close waits for before
// waiting on conns, so every Add happens before that Wait.
type listener struct {
	net.Listener
	tls   *tls.Config // nil: plain RTMP
	conns *sync.WaitGroup

	mu     sync.Mutex
	nextID int
	live   map[int]*trackedConn
	closed bool
}

func (l *listener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		_ = nc.Close()
		return nil, net.ErrClosed
	}
	l.nextID++
	tc := &trackedConn{Conn: nc, raw: nc, id: l.nextID, l: l}
	if l.tls != nil {
		// The handshake runs on go-rtmp's first read, on the
		// connection's own goroutine.
		tc.Conn = tls.Server(nc, l.tls)
	}
	tc.r = newExtTimestampFilter(tc.Conn)
	l.live[tc.id] = tc
	l.conns.Add(1)
	return tc, nil
}

func (l *listener) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	return l.Listener.Close()
}

// closeAll closes the socket of every live connection; go-rtmp then tears
// each one down on its own goroutine, ending in trackedConn.Close.
func (l *listener) closeAll() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, tc := range l.live {
		// The socket itself, as a failing network would: no TLS
		// close_notify, which could wait on a stalled peer.
		_ = tc.raw.Close()
	}
	return len(l.live)
}

// trackedConn is the connection handed to go-rtmp. go-rtmp calls its Close
// once, as the last step of tearing the connection down; that is where the
// connection counts as gone.
type trackedConn struct {
	net.Conn          // what go-rtmp talks to: the socket, or TLS over it
	raw      net.Conn // the socket
	id       int
	l        *listener
	r        io.Reader // what go-rtmp reads: the socket through extTimestampFilter

	// streamer is set by the handler once the handshake is done (OnServe),
	// on the connection's own goroutine, which is also the one calling
	// Close.
	streamer *rtmp.ChunkStreamer

	once sync.Once
}

func (c *trackedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		// go-rtmp stops its chunk writer goroutine just before this Close
		// but does not wait for it; wait here, so that once Server.Close
		// returns no goroutine of this connection is left. (A connection
		// that failed its handshake never exposes its streamer; that
		// goroutine ends on its own right after.)
		if c.streamer != nil {
			<-c.streamer.Done()
		}
		c.l.mu.Lock()
		delete(c.l.live, c.id)
		c.l.mu.Unlock()
		c.l.conns.Done()
	})
	return err
}
