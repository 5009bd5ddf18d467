// RGBA/NRGBA -> I420 with NEON (AArch64, where NEON is always present),
// bit-exact with the Go reference rgbaToI420Go (convert.go), like the
// x86 paths of convert_i420.c. It converts whole blocks of 16 pixels of
// two rows; convert_i420.c does the rest of each row.
//
// Every intermediate fits in 16 bits, so the arithmetic is done in
// unsigned 16-bit lanes:
//   luma:   66 R + 129 G + 25 B + 4224 <= 60324
//   chroma: 32896 + 112 B - 38 R - 74 G lies in [4336, 61456] (and the
//           same for Cr), so computing it modulo 2^16 gives the exact
//           value, with no sign to handle;
//   means:  the 2x2 sums are at most 1020, and (s + 2) >> 2 is a rounding
//           shift;
//   alpha:  (x + 127) / 255 == (t + (t >> 8)) >> 8 with t = x + 128, for
//           x = c * a (checked over every c and a by TestI420Identities).
#include "convert_i420.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define NEON_FN static inline __attribute__((always_inline))

NEON_FN uint8x8_t div255_neon(uint16x8_t x) {
	uint16x8_t t = vaddq_u16(x, vdupq_n_u16(128));
	return vshrn_n_u16(vsraq_n_u16(t, t, 8), 8);
}

NEON_FN uint8x16_t premul_neon(uint8x16_t c, uint8x16_t a) {
	return vcombine_u8(div255_neon(vmull_u8(vget_low_u8(c), vget_low_u8(a))),
	                   div255_neon(vmull_high_u8(c, a)));
}

NEON_FN uint8x16_t luma_neon(uint8x16_t r, uint8x16_t g, uint8x16_t b) {
	uint16x8_t lo = vdupq_n_u16(4224), hi = vdupq_n_u16(4224);
	lo = vmlal_u8(lo, vget_low_u8(r), vdup_n_u8(66));
	lo = vmlal_u8(lo, vget_low_u8(g), vdup_n_u8(129));
	lo = vmlal_u8(lo, vget_low_u8(b), vdup_n_u8(25));
	hi = vmlal_high_u8(hi, r, vdupq_n_u8(66));
	hi = vmlal_high_u8(hi, g, vdupq_n_u8(129));
	hi = vmlal_high_u8(hi, b, vdupq_n_u8(25));
	return vcombine_u8(vshrn_n_u16(lo, 8), vshrn_n_u16(hi, 8));
}

// mean_neon gives the rounded means of the 8 2x2 blocks of 16 samples of
// two rows.
NEON_FN uint16x8_t mean_neon(uint8x16_t a, uint8x16_t b) {
	return vrshrq_n_u16(vpadalq_u8(vpaddlq_u8(a), b), 2);
}

// 16 pixels of two rows -> 16+16 Y, 8 Cb, 8 Cr.
NEON_FN void blk16_neon(uint8_t *y0, uint8_t *y1, uint8_t *cb, uint8_t *cr,
                        const uint8_t *p0, const uint8_t *p1, int straight) {
	uint8x16x4_t a = vld4q_u8(p0), b = vld4q_u8(p1);
	uint8x16_t r0 = a.val[0], g0 = a.val[1], b0 = a.val[2];
	uint8x16_t r1 = b.val[0], g1 = b.val[1], b1 = b.val[2];
	// Opaque blocks are the common case of straight alpha, and
	// premultiplying by 255 changes nothing.
	if (straight && vminvq_u8(vandq_u8(a.val[3], b.val[3])) != 255) {
		r0 = premul_neon(r0, a.val[3]), g0 = premul_neon(g0, a.val[3]), b0 = premul_neon(b0, a.val[3]);
		r1 = premul_neon(r1, b.val[3]), g1 = premul_neon(g1, b.val[3]), b1 = premul_neon(b1, b.val[3]);
	}
	vst1q_u8(y0, luma_neon(r0, g0, b0));
	vst1q_u8(y1, luma_neon(r1, g1, b1));
	uint16x8_t mr = mean_neon(r0, r1), mg = mean_neon(g0, g1), mb = mean_neon(b0, b1);
	uint16x8_t u = vmlaq_n_u16(vdupq_n_u16(32896), mb, 112);
	u = vmlsq_n_u16(vmlsq_n_u16(u, mr, 38), mg, 74);
	uint16x8_t v = vmlaq_n_u16(vdupq_n_u16(32896), mr, 112);
	v = vmlsq_n_u16(vmlsq_n_u16(v, mg, 94), mb, 18);
	vst1_u8(cb, vshrn_n_u16(u, 8));
	vst1_u8(cr, vshrn_n_u16(v, 8));
}

ptrdiff_t glc_i420_neon_blocks(uint8_t *y, uint8_t *cb, uint8_t *cr, const uint8_t *pix,
                               ptrdiff_t stride, ptrdiff_t w, ptrdiff_t pairs, int straight) {
	ptrdiff_t cw = w / 2;
	ptrdiff_t nb = cw & ~(ptrdiff_t)7; // blocks done 8 at a time
	for (ptrdiff_t i = 0; i < pairs; i++) {
		const uint8_t *p0 = pix + 2 * i * stride, *p1 = p0 + stride;
		uint8_t *y0 = y + 2 * i * w, *y1 = y0 + w, *cbr = cb + i * cw, *crr = cr + i * cw;
		for (ptrdiff_t x = 0; x < nb; x += 8)
			blk16_neon(y0 + 2 * x, y1 + 2 * x, cbr + x, crr + x, p0 + 8 * x, p1 + 8 * x, straight);
	}
	return nb;
}
#else
// Nothing to build on other architectures; ISO C wants a declaration.
typedef int glc_i420_neon_unused;
#endif
