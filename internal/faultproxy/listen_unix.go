//go:build unix

package faultproxy

import "syscall"

// setReadBuffer sets SO_RCVBUF on a listening socket, before any
// connection is accepted: the window a connection advertises at its
// start follows it, so the proxy's kernel never holds more than that.
func setReadBuffer(fd uintptr, n int) {
	_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
}
