package encode

/*
#cgo CFLAGS: -O3
#cgo noescape glc_scale_plane
#cgo nocallback glc_scale_plane
#include "scale_plane.h"
*/
import "C"

import "unsafe"

// Paths of scale_plane.c.
const (
	scaleScalar = C.GLC_SCALE_SCALAR
	scaleSSE2   = C.GLC_SCALE_SSE2
)

var (
	// scalePaths has bit 1<<path set for each path this build runs.
	scalePaths = int(C.glc_scale_paths())
	// scaleBest is the fastest of them.
	scaleBest = func() int {
		if scalePaths&(1<<scaleSSE2) != 0 {
			return scaleSSE2
		}
		return scaleScalar
	}()
)

// scalePlane is scalePlaneGo in C, with SSE2 on x86-64, and the same
// output bit for bit. It allocates nothing.
func scalePlane(dst []byte, dstStride, dw, dh int, src []byte, srcStride int, fy, fx *scaleFilter, row []byte) {
	scalePlanePath(scaleBest, dst, dstStride, dw, dh, src, srcStride, fy, fx, row)
}

func scalePlanePath(path int, dst []byte, dstStride, dw, dh int, src []byte, srcStride int, fy, fx *scaleFilter, row []byte) {
	if scalePaths&(1<<path) == 0 {
		path = scaleScalar
	}
	// The C code runs only when every access the Go code makes is in
	// bounds; anything else goes to the Go code, which panics as Go
	// does. Filter starts never decrease, so the last is the largest.
	sw := len(row)
	if dw <= 0 || dh <= 0 || sw <= 0 || dstStride < dw || srcStride < sw ||
		len(fy.start) < dh || len(fx.start) < dw || fy.taps <= 0 || fx.taps <= 0 ||
		len(fy.w) < dh*fy.taps || len(fx.w) < dw*fx.taps ||
		fy.start[0] < 0 || fx.start[0] < 0 || int(fx.start[dw-1])+fx.taps > sw ||
		len(dst) < (dh-1)*dstStride+dw || len(src) < (int(fy.start[dh-1])+fy.taps-1)*srcStride+sw {
		scalePlaneGo(dst, dstStride, dw, dh, src, srcStride, fy, fx, row)
		return
	}
	C.glc_scale_plane((*C.uint8_t)(unsafe.Pointer(&dst[0])), C.ptrdiff_t(dstStride), C.ptrdiff_t(dw), C.ptrdiff_t(dh),
		(*C.uint8_t)(unsafe.Pointer(&src[0])), C.ptrdiff_t(srcStride), C.ptrdiff_t(sw),
		(*C.int32_t)(unsafe.Pointer(&fy.start[0])), (*C.int16_t)(unsafe.Pointer(&fy.w[0])), C.ptrdiff_t(fy.taps),
		(*C.int32_t)(unsafe.Pointer(&fx.start[0])), (*C.int16_t)(unsafe.Pointer(&fx.w[0])), C.ptrdiff_t(fx.taps),
		(*C.uint8_t)(unsafe.Pointer(&row[0])), C.int(path))
}
