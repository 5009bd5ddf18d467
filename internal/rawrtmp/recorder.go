package rawrtmp

import (
	"errors"
	"io"
	"sync"
	"syscall"
)

// recorder keeps a copy of every byte read, so a test can show exactly what
// a server sent before it closed.
type recorder struct {
	r  io.Reader
	mu sync.Mutex
	b  []byte
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.mu.Lock()
	r.b = append(r.b, p[:n]...)
	r.mu.Unlock()
	return n, err
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.b = nil
	r.mu.Unlock()
}

func (r *recorder) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.b...)
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
