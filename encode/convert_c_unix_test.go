//go:build unix

package encode

import (
	"bytes"
	"math/rand/v2"
	"syscall"
	"testing"
)

// TestRGBAToI420GuardPages puts the input and the planes right before
// inaccessible pages: a C path reading or writing past the bounds the Go
// code uses faults.
func TestRGBAToI420GuardPages(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range [][3]int{{2, 2, 8}, {30, 4, 121}, {64, 4, 256}, {66, 6, 265}, {1280, 8, 5120}, {1918, 4, 7675}} {
		w, h, stride := s[0], s[1], s[2]
		for _, straight := range []bool{false, true} {
			src := randomPix(r, w, h, stride, randomPx(r, straight))
			pix := guarded(t, len(src))
			copy(pix, src)
			y, cb, cr := guarded(t, w*h), guarded(t, w*h/4), guarded(t, w*h/4)
			wy, wcb, wcr := make([]byte, w*h), make([]byte, w*h/4), make([]byte, w*h/4)
			rgbaToI420Go(wy, wcb, wcr, pix, stride, w, h, straight)
			for _, p := range i420AvailablePaths() {
				rgbaToI420Path(p, y, cb, cr, pix, stride, w, h, straight)
				if !bytes.Equal(y, wy) || !bytes.Equal(cb, wcb) || !bytes.Equal(cr, wcr) {
					t.Fatalf("%dx%d path %s differs", w, h, i420PathNames[p])
				}
			}
		}
	}
}

// guarded returns n bytes of fresh memory that end right before an
// inaccessible page, unmapped when the test ends.
func guarded(t testing.TB, n int) []byte {
	ps := syscall.Getpagesize()
	np := (n+ps-1)/ps + 1
	m, err := syscall.Mmap(-1, 0, np*ps, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(m) })
	end := (np - 1) * ps
	if err := syscall.Mprotect(m[end:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	return m[end-n : end : end]
}
