package rtmp

import (
	"golang.org/x/sys/unix"
)

// tune applies k to the socket (tcp(7): TCP_NOTSENT_LOWAT,
// TCP_USER_TIMEOUT). Failures leave the defaults, which still work.
func (s *tcpSocket) tune(k kernelTuning) {
	if s == nil {
		return
	}
	_ = s.raw.Control(func(fd uintptr) {
		if k.notSentLowat > 0 {
			_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT, k.notSentLowat)
		}
		if k.userTimeout > 0 {
			_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(k.userTimeout.Milliseconds()))
		}
	})
}

// unacked is the number of bytes written to the socket that the server
// has not acknowledged yet, sent or not (SIOCOUTQ, tcp(7)).
func (s *tcpSocket) unacked() (int, bool) {
	if s == nil {
		return 0, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outq == nil {
		s.outq = s.readOutq
	}
	s.n, s.nOK = 0, false
	_ = s.raw.Control(s.outq)
	return s.n, s.nOK
}

// readOutq reads SIOCOUTQ; it runs inside raw.Control, with s.mu held.
func (s *tcpSocket) readOutq(fd uintptr) {
	v, err := unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
	s.n, s.nOK = v, err == nil
}
