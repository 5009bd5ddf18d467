package microphone

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"sync"
	"testing"
)

func TestPCMRing(t *testing.T) {
	q := newPCMRing(4, 4) // 16 bytes
	seq := func(from, n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(from + i)
		}
		return b
	}
	steps := []struct {
		op       string
		n        int // bytes offered to write, or room given to read
		want     int // bytes moved
		wantData []byte
	}{
		{"write", 12, 12, nil},
		{"read", 8, 8, seq(0, 8)},
		{"write", 12, 12, nil}, // wraps
		{"write", 4, 0, nil},   // full: 16 queued
		{"read", 7, 4, seq(8, 4)},
		{"write", 6, 4, nil}, // only the whole frame that fits
		{"read", 100, 16, append(seq(12, 12), seq(24, 4)...)},
		{"read", 100, 0, []byte{}},
	}
	written := 0
	for i, s := range steps {
		switch s.op {
		case "write":
			got := q.write(seq(written, s.n))
			written += got
			if got != s.want {
				t.Fatalf("step %d: write(%d) = %d, want %d", i, s.n, got, s.want)
			}
		case "read":
			buf := make([]byte, s.n)
			got := q.read(buf)
			if got != s.want || !bytes.Equal(buf[:got], s.wantData) {
				t.Fatalf("step %d: read(%d) = %d % x, want %d % x", i, s.n, got, buf[:got], s.want, s.wantData)
			}
		}
	}
}

// TestPCMRingConcurrent runs one producer and one consumer flat out: the
// consumer must see every frame the producer says it wrote, in order.
func TestPCMRingConcurrent(t *testing.T) {
	q := newPCMRing(37, 4)
	const frames = 200000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 4*13)
		for next := uint32(0); next < frames; {
			n := min(13, frames-int(next))
			for i := range n {
				binary.LittleEndian.PutUint32(buf[4*i:], next+uint32(i))
			}
			w := q.write(buf[:4*n])
			if w == 0 {
				runtime.Gosched() // full: let the consumer run, even on one P
			}
			next += uint32(w / 4)
		}
	}()
	buf := make([]byte, 4*11)
	for want := uint32(0); want < frames; {
		n := q.read(buf)
		if n == 0 {
			runtime.Gosched()
		}
		for i := 0; i < n; i += 4 {
			if got := binary.LittleEndian.Uint32(buf[i:]); got != want {
				t.Fatalf("read frame %d, want %d", got, want)
			}
			want++
		}
	}
	wg.Wait()
}
