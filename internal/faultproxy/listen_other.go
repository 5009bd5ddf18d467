//go:build !unix

package faultproxy

// setReadBuffer does nothing here: each accepted connection's buffer is
// set after the accept instead.
func setReadBuffer(fd uintptr, n int) {}
