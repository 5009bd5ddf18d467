// RGBA/NRGBA to I420 conversion in C, with SSE2 and AVX2 paths on
// x86-64 and a NEON path on arm64, bit-exact with the Go reference
// rgbaToI420Go (convert.go).

#ifndef GLC_I420_H
#define GLC_I420_H

#include <stddef.h>
#include <stdint.h>

// Paths for glc_i420_convert.
enum { GLC_I420_SCALAR = 0, GLC_I420_SSE2 = 1, GLC_I420_AVX2 = 2, GLC_I420_NEON = 3 };

// glc_i420_paths has bit 1 << path set for each path this CPU and build
// can run.
int glc_i420_paths(void);

// glc_i420_convert converts pairs row pairs (ceil(h/2)) of w pixels: w/2
// chroma samples and 2*(w/2) luma samples are written per row. straight
// is 1 for non-premultiplied alpha (image.NRGBA). The caller has checked
// every bound.
void glc_i420_convert(uint8_t *y, uint8_t *cb, uint8_t *cr, const uint8_t *pix, ptrdiff_t stride, ptrdiff_t w,
                      ptrdiff_t pairs, int straight, int path);

#if defined(__aarch64__)
// glc_i420_neon_blocks converts the first (w/2) & ~7 chroma columns of
// every row pair (convert_i420_neon.c) and returns that count; the caller
// converts the rest of each row.
ptrdiff_t glc_i420_neon_blocks(uint8_t *y, uint8_t *cb, uint8_t *cr, const uint8_t *pix,
                               ptrdiff_t stride, ptrdiff_t w, ptrdiff_t pairs, int straight);
#endif

#endif
