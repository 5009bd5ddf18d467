// Scaling of one 8-bit plane in C, with an SSE2 path on x86-64,
// bit-exact with the Go reference scalePlaneGo (scale_filter.go).

#ifndef GLC_SCALE_H
#define GLC_SCALE_H

#include <stddef.h>
#include <stdint.h>

// Paths for glc_scale_plane.
enum { GLC_SCALE_SCALAR = 0, GLC_SCALE_SSE2 = 1 };

// glc_scale_paths has bit 1 << path set for each path this build runs.
int glc_scale_paths(void);

// glc_scale_plane writes dw x dh samples at dst from the plane src, sw
// samples wide: output row r filters source rows ystart[r] ... +ytaps-1
// with the weights yw[r*ytaps ...] into row, and output sample c filters
// row[xstart[c] ... +xtaps-1] with xw[c*xtaps ...]. Weights are 14-bit
// fixed point. The caller has checked every bound.
void glc_scale_plane(uint8_t *dst, ptrdiff_t dst_stride, ptrdiff_t dw, ptrdiff_t dh,
                     const uint8_t *src, ptrdiff_t src_stride, ptrdiff_t sw,
                     const int32_t *ystart, const int16_t *yw, ptrdiff_t ytaps,
                     const int32_t *xstart, const int16_t *xw, ptrdiff_t xtaps,
                     uint8_t *row, int path);

#endif
