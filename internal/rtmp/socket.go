package rtmp

import (
	"net"
	"sync"
	"syscall"
	"time"
)

// tcpSocket reaches the TCP socket under a Session, through TLS and
// whatever DialContext returned, for what the net package does not
// offer: how much the server has acknowledged, and how the kernel holds
// unsent bytes (socket_linux.go; elsewhere these are unknown and the
// send buffer alone bounds what waits in the kernel).
type tcpSocket struct {
	raw syscall.RawConn
	tc  *net.TCPConn

	// What unacked reads through raw.Control, with the function it
	// passes made once: a closure made per call would allocate per tag.
	mu   sync.Mutex
	outq func(fd uintptr)
	n    int
	nOK  bool
}

// newTCPSocket returns the socket of nc, or nil when nc is not a TCP
// connection (a caller's DialContext may return anything).
func newTCPSocket(nc net.Conn) *tcpSocket {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return &tcpSocket{raw: raw, tc: tc}
}

// abandon makes the next Close reset the connection (linger 0) instead
// of sending what the kernel still holds: media from a connection given
// up on must not reach the server late, beside the new one.
func (s *tcpSocket) abandon() {
	if s != nil {
		_ = s.tc.SetLinger(0)
	}
}

// kernelTuning is how the kernel's share of a session's send delay is
// bounded.
type kernelTuning struct {
	// notSentLowat bounds the bytes the kernel holds unsent: past it the
	// socket is not writable, so the backlog stays in the send queue,
	// where its drop policy can act on it.
	notSentLowat int
	// userTimeout aborts a connection whose sent data stays
	// unacknowledged that long (retransmissions or window probes).
	userTimeout time.Duration
}

// notSentLowat is two writes of the session's 4 KiB buffer: when the
// link slows down, what the kernel already took drains at the new rate,
// and 8 KiB take 140 ms at 466 kbit/s (a third of a 1.4 Mbit/s stream).
const notSentLowat = 8 << 10
