package encode

/*
#cgo CFLAGS: -O3
#cgo noescape glc_i420_convert
#cgo nocallback glc_i420_convert
#include "convert_i420.h"
*/
import "C"

import (
	"math"
	"unsafe"
)

// Conversion paths of convert_i420.c.
const (
	i420Scalar = C.GLC_I420_SCALAR
	i420SSE2   = C.GLC_I420_SSE2
	i420AVX2   = C.GLC_I420_AVX2
	i420NEON   = C.GLC_I420_NEON
)

var (
	// i420Paths has bit 1<<path set for each path this CPU can run.
	i420Paths = int(C.glc_i420_paths())
	// i420Best is the fastest of them.
	i420Best = func() int {
		for _, p := range []int{i420AVX2, i420SSE2, i420NEON} {
			if i420Paths&(1<<p) != 0 {
				return p
			}
		}
		return i420Scalar
	}()
)

// rgbaToI420 is rgbaToI420Go in C, with SIMD where the CPU has it (5 to
// 10 times as fast at 720p with SSE2 or AVX2; NEON on arm64), and the
// same output bit for bit. It
// allocates nothing. y, cb and cr must not overlap pix.
func rgbaToI420(y, cb, cr, pix []byte, stride, w, h int, straight bool) {
	rgbaToI420Path(i420Best, y, cb, cr, pix, stride, w, h, straight)
}

func rgbaToI420Path(path int, y, cb, cr, pix []byte, stride, w, h int, straight bool) {
	if i420Paths&(1<<path) == 0 {
		path = i420Scalar
	}
	// The C code runs only when every access the Go code makes is in
	// bounds, checked here once without overflow. Anything else (empty,
	// negative, too short) goes to the Go code, which does what it
	// always did, panics included.
	cw := w / 2
	pairs := (h + 1) / 2 // the Go loop also runs for an odd h
	if cw <= 0 || h <= 0 || stride < 0 || h > len(y) || w > len(y) || w > math.MaxInt/4 ||
		len(y)/w < 2*pairs || len(cb)/cw < pairs || len(cr)/cw < pairs ||
		len(pix) < 4*w || stride > 0 && (len(pix)-4*w)/stride < 2*pairs-1 {
		rgbaToI420Go(y, cb, cr, pix, stride, w, h, straight)
		return
	}
	s := C.int(0)
	if straight {
		s = 1
	}
	C.glc_i420_convert((*C.uint8_t)(unsafe.Pointer(&y[0])), (*C.uint8_t)(unsafe.Pointer(&cb[0])),
		(*C.uint8_t)(unsafe.Pointer(&cr[0])), (*C.uint8_t)(unsafe.Pointer(&pix[0])),
		C.ptrdiff_t(stride), C.ptrdiff_t(w), C.ptrdiff_t(pairs), s, C.int(path))
}
