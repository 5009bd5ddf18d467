// RGBA/NRGBA -> I420 (BT.601 limited range), bit-exact with the Go
// reference rgbaToI420Go (convert.go):
//
//	Y  = (66 R + 129 G + 25 B + 128) >> 8 + 16
//	Cb = (-38 R - 74 G + 112 B + 128) >> 8 + 128   (arithmetic shift)
//	Cr = (112 R - 94 G - 18 B + 128) >> 8 + 128
//
// chroma from the 2x2 means (s + 2) >> 2, and for straight alpha each
// channel first becomes (c*a + 127) / 255 (a no-op when a == 255, so it is
// applied unconditionally here).
//
// Identities used (all checked exhaustively by TestI420Identities, and
// end to end by TestRGBAToI420ExhaustivePremul and
// TestRGBAToI420ExhaustiveRGB):
//   (x + 127) / 255 == ((x + 127) * 0x8081) >> 23       for 0 <= x <= 65025
//   ((v + 128) >> 8) + 16  == (v + 4224) >> 8           for v >= 0
//   ((v + 128) >> 8) + 128 == (v + 32896) >> 8          for v >= -32896
// The last one avoids right-shifting negative numbers (implementation
// defined in C) and lets SIMD use logical shifts.
#include "convert_i420.h"

#if defined(__GNUC__) || defined(__clang__)
#define GLC_I420_INLINE static inline __attribute__((always_inline))
#else
#define GLC_I420_INLINE static inline
#endif

// SSE2 is part of x86-64; 32-bit x86 keeps to the scalar code.
#if defined(__x86_64__)
#define GLC_I420_X86 1
#include <emmintrin.h>
#include <immintrin.h>
#endif

// ---------------------------------------------------------------- scalar

GLC_I420_INLINE uint32_t premul(uint32_t c, uint32_t a) {
	return ((c * a + 127) * 0x8081u) >> 23;
}

GLC_I420_INLINE uint8_t luma(uint32_t r, uint32_t g, uint32_t b) {
	return (uint8_t)((66 * r + 129 * g + 25 * b + 4224) >> 8);
}

// One row pair, blocks [x0, x1). Written so that gcc/clang can
// auto-vectorise it (no branches, unsigned arithmetic, restrict).
GLC_I420_INLINE void row_scalar(uint8_t *restrict y0, uint8_t *restrict y1,
                             uint8_t *restrict cb, uint8_t *restrict cr,
                             const uint8_t *restrict p0,
                             const uint8_t *restrict p1, ptrdiff_t x0,
                             ptrdiff_t x1, int straight) {
	for (ptrdiff_t x = x0; x < x1; x++) {
		const uint8_t *a = p0 + 8 * x, *b = p1 + 8 * x;
		uint32_t r00 = a[0], g00 = a[1], b00 = a[2];
		uint32_t r01 = a[4], g01 = a[5], b01 = a[6];
		uint32_t r10 = b[0], g10 = b[1], b10 = b[2];
		uint32_t r11 = b[4], g11 = b[5], b11 = b[6];
		if (straight) {
			uint32_t a00 = a[3], a01 = a[7], a10 = b[3], a11 = b[7];
			r00 = premul(r00, a00), g00 = premul(g00, a00), b00 = premul(b00, a00);
			r01 = premul(r01, a01), g01 = premul(g01, a01), b01 = premul(b01, a01);
			r10 = premul(r10, a10), g10 = premul(g10, a10), b10 = premul(b10, a10);
			r11 = premul(r11, a11), g11 = premul(g11, a11), b11 = premul(b11, a11);
		}
		y0[2 * x] = luma(r00, g00, b00);
		y0[2 * x + 1] = luma(r01, g01, b01);
		y1[2 * x] = luma(r10, g10, b10);
		y1[2 * x + 1] = luma(r11, g11, b11);
		int32_t r = (int32_t)((r00 + r01 + r10 + r11 + 2) >> 2);
		int32_t g = (int32_t)((g00 + g01 + g10 + g11 + 2) >> 2);
		int32_t bb = (int32_t)((b00 + b01 + b10 + b11 + 2) >> 2);
		cb[x] = (uint8_t)((uint32_t)(-38 * r - 74 * g + 112 * bb + 32896) >> 8);
		cr[x] = (uint8_t)((uint32_t)(112 * r - 94 * g - 18 * bb + 32896) >> 8);
	}
}

static void conv_scalar(uint8_t *y, uint8_t *cb, uint8_t *cr,
                        const uint8_t *pix, ptrdiff_t stride, ptrdiff_t w,
                        ptrdiff_t pairs, int straight) {
	ptrdiff_t cw = w / 2;
	for (ptrdiff_t i = 0; i < pairs; i++) {
		const uint8_t *p0 = pix + 2 * i * stride;
		uint8_t *y0 = y + 2 * i * w;
		if (straight)
			row_scalar(y0, y0 + w, cb + i * cw, cr + i * cw, p0, p0 + stride, 0, cw, 1);
		else
			row_scalar(y0, y0 + w, cb + i * cw, cr + i * cw, p0, p0 + stride, 0, cw, 0);
	}
}

#ifdef GLC_I420_X86
// ------------------------------------------------------------------ SSE2
//
// A vector of 4 pixels seen as 16-bit lanes is [g:r, a:b] per pixel, so
// v & 0x00ff gives (r, b) and v >> 8 gives (g, a) per pixel in 16-bit
// lanes; pmaddwd with (66, 25) and (129, 0) then yields luma per pixel in
// a 32-bit lane, and with the chroma coefficients the chroma sums.

GLC_I420_INLINE __m128i div255_sse2(__m128i x) { // (x + 127) / 255, x <= 65025
	x = _mm_add_epi16(x, _mm_set1_epi16(127));
	return _mm_srli_epi16(_mm_mulhi_epu16(x, _mm_set1_epi16((short)0x8081)), 7);
}

GLC_I420_INLINE void split_sse2(__m128i v, int straight, __m128i *rb, __m128i *ga) {
	__m128i lo = _mm_and_si128(v, _mm_set1_epi16(0x00ff));
	__m128i hi = _mm_srli_epi16(v, 8);
	if (straight) {
		__m128i a = _mm_srli_epi32(v, 24);
		a = _mm_or_si128(a, _mm_slli_epi32(a, 16));
		lo = div255_sse2(_mm_mullo_epi16(lo, a));
		hi = div255_sse2(_mm_mullo_epi16(hi, a));
	}
	*rb = lo;
	*ga = hi;
}

GLC_I420_INLINE __m128i luma4_sse2(__m128i rb, __m128i ga) {
	__m128i v = _mm_add_epi32(_mm_madd_epi16(rb, _mm_set1_epi32(66 | (25 << 16))),
	                          _mm_madd_epi16(ga, _mm_set1_epi32(129)));
	return _mm_srli_epi32(_mm_add_epi32(v, _mm_set1_epi32(4224)), 8);
}

// Sums of (r,b) or (g,a) of two rows, 8 pixels in s0 (px 0-3), s1 (px 4-7),
// into the rounded 2x2 means of 4 blocks, one per 32-bit lane.
GLC_I420_INLINE __m128i mean4_sse2(__m128i s0, __m128i s1) {
	__m128 f0 = _mm_castsi128_ps(s0), f1 = _mm_castsi128_ps(s1);
	__m128i e = _mm_castps_si128(_mm_shuffle_ps(f0, f1, _MM_SHUFFLE(2, 0, 2, 0)));
	__m128i o = _mm_castps_si128(_mm_shuffle_ps(f0, f1, _MM_SHUFFLE(3, 1, 3, 1)));
	__m128i s = _mm_add_epi16(_mm_add_epi16(e, o), _mm_set1_epi16(2));
	return _mm_srli_epi16(s, 2);
}

GLC_I420_INLINE __m128i chroma4_sse2(__m128i rb, __m128i ga, int crb, int cg) {
	__m128i v = _mm_add_epi32(_mm_madd_epi16(rb, _mm_set1_epi32(crb)),
	                          _mm_madd_epi16(ga, _mm_set1_epi32(cg & 0xffff)));
	return _mm_srli_epi32(_mm_add_epi32(v, _mm_set1_epi32(32896)), 8);
}

#define CB_RB ((-38 & 0xffff) | (112 << 16))
#define CB_G (-74)
#define CR_RB (112 | ((-18 & 0xffff) << 16))
#define CR_G (-94)

// 16 pixels of two rows -> 16+16 Y, 8 Cb, 8 Cr.
GLC_I420_INLINE void blk16_sse2(uint8_t *y0, uint8_t *y1, uint8_t *cb, uint8_t *cr,
                             const uint8_t *p0, const uint8_t *p1, int straight) {
	__m128i rb0[4], ga0[4], rb1[4], ga1[4], ya[4], yb[4];
	// Loops written out: gcc -O2 does not fully unroll them and would
	// keep the arrays on the stack.
#define SSE2_LOAD(k)                                                                             \
	split_sse2(_mm_loadu_si128((const __m128i *)(p0 + 16 * k)), straight, &rb0[k], &ga0[k]); \
	split_sse2(_mm_loadu_si128((const __m128i *)(p1 + 16 * k)), straight, &rb1[k], &ga1[k]); \
	ya[k] = luma4_sse2(rb0[k], ga0[k]);                                                      \
	yb[k] = luma4_sse2(rb1[k], ga1[k]);
	SSE2_LOAD(0) SSE2_LOAD(1) SSE2_LOAD(2) SSE2_LOAD(3)
#undef SSE2_LOAD
	_mm_storeu_si128((__m128i *)y0, _mm_packus_epi16(_mm_packs_epi32(ya[0], ya[1]), _mm_packs_epi32(ya[2], ya[3])));
	_mm_storeu_si128((__m128i *)y1, _mm_packus_epi16(_mm_packs_epi32(yb[0], yb[1]), _mm_packs_epi32(yb[2], yb[3])));
	__m128i cbv[2], crv[2];
#define SSE2_CHROMA(k)                                                                                                  \
	{                                                                                                               \
		__m128i mrb = mean4_sse2(_mm_add_epi16(rb0[2 * k], rb1[2 * k]), _mm_add_epi16(rb0[2 * k + 1], rb1[2 * k + 1])); \
		__m128i mga = mean4_sse2(_mm_add_epi16(ga0[2 * k], ga1[2 * k]), _mm_add_epi16(ga0[2 * k + 1], ga1[2 * k + 1])); \
		cbv[k] = chroma4_sse2(mrb, mga, CB_RB, CB_G);                                                           \
		crv[k] = chroma4_sse2(mrb, mga, CR_RB, CR_G);                                                           \
	}
	SSE2_CHROMA(0) SSE2_CHROMA(1)
#undef SSE2_CHROMA
	__m128i c = _mm_packus_epi16(_mm_packs_epi32(cbv[0], cbv[1]), _mm_packs_epi32(crv[0], crv[1]));
	_mm_storel_epi64((__m128i *)cb, c);
	_mm_storel_epi64((__m128i *)cr, _mm_unpackhi_epi64(c, c));
}

// opaque16_sse2 reports whether the 16 pixels of both rows all have alpha
// 255: straight alpha then changes nothing ((c * 255 + 127) / 255 == c),
// and the block is converted as premultiplied, which is cheaper.
GLC_I420_INLINE int opaque16_sse2(const uint8_t *p0, const uint8_t *p1) {
	__m128i a = _mm_loadu_si128((const __m128i *)p0);
	a = _mm_and_si128(a, _mm_loadu_si128((const __m128i *)(p0 + 16)));
	a = _mm_and_si128(a, _mm_loadu_si128((const __m128i *)(p0 + 32)));
	a = _mm_and_si128(a, _mm_loadu_si128((const __m128i *)(p0 + 48)));
	a = _mm_and_si128(a, _mm_loadu_si128((const __m128i *)p1));
	a = _mm_and_si128(a, _mm_loadu_si128((const __m128i *)(p1 + 16)));
	a = _mm_and_si128(a, _mm_loadu_si128((const __m128i *)(p1 + 32)));
	a = _mm_and_si128(a, _mm_loadu_si128((const __m128i *)(p1 + 48)));
	return (_mm_movemask_epi8(_mm_cmpeq_epi8(a, _mm_set1_epi8((char)0xff))) & 0x8888) == 0x8888;
}

GLC_I420_INLINE void conv_sse2_t(uint8_t *y, uint8_t *cb, uint8_t *cr, const uint8_t *pix,
                              ptrdiff_t stride, ptrdiff_t w, ptrdiff_t pairs, int straight) {
	ptrdiff_t cw = w / 2;
	ptrdiff_t nb = cw & ~(ptrdiff_t)7; // blocks done 8 at a time
	for (ptrdiff_t i = 0; i < pairs; i++) {
		const uint8_t *p0 = pix + 2 * i * stride, *p1 = p0 + stride;
		uint8_t *y0 = y + 2 * i * w, *y1 = y0 + w, *cbr = cb + i * cw, *crr = cr + i * cw;
		for (ptrdiff_t x = 0; x < nb; x += 8) {
			if (straight && opaque16_sse2(p0 + 8 * x, p1 + 8 * x))
				blk16_sse2(y0 + 2 * x, y1 + 2 * x, cbr + x, crr + x, p0 + 8 * x, p1 + 8 * x, 0);
			else
				blk16_sse2(y0 + 2 * x, y1 + 2 * x, cbr + x, crr + x, p0 + 8 * x, p1 + 8 * x, straight);
		}
		row_scalar(y0, y1, cbr, crr, p0, p1, nb, cw, straight);
	}
}

static void conv_sse2(uint8_t *y, uint8_t *cb, uint8_t *cr, const uint8_t *pix,
                      ptrdiff_t stride, ptrdiff_t w, ptrdiff_t pairs, int straight) {
	if (straight)
		conv_sse2_t(y, cb, cr, pix, stride, w, pairs, 1);
	else
		conv_sse2_t(y, cb, cr, pix, stride, w, pairs, 0);
}

// ------------------------------------------------------------------ AVX2
// Same arithmetic on 8 pixels per vector; in-lane packs are put back in
// order with one cross-lane permute per output.

#define AVX2_FN static inline __attribute__((target("avx2"), always_inline))

AVX2_FN __m256i div255_avx2(__m256i x) {
	x = _mm256_add_epi16(x, _mm256_set1_epi16(127));
	return _mm256_srli_epi16(_mm256_mulhi_epu16(x, _mm256_set1_epi16((short)0x8081)), 7);
}

AVX2_FN void split_avx2(__m256i v, int straight, __m256i *rb, __m256i *ga) {
	__m256i lo = _mm256_and_si256(v, _mm256_set1_epi16(0x00ff));
	__m256i hi = _mm256_srli_epi16(v, 8);
	if (straight) {
		__m256i a = _mm256_srli_epi32(v, 24);
		a = _mm256_or_si256(a, _mm256_slli_epi32(a, 16));
		lo = div255_avx2(_mm256_mullo_epi16(lo, a));
		hi = div255_avx2(_mm256_mullo_epi16(hi, a));
	}
	*rb = lo;
	*ga = hi;
}

AVX2_FN __m256i luma8_avx2(__m256i rb, __m256i ga) {
	__m256i v = _mm256_add_epi32(_mm256_madd_epi16(rb, _mm256_set1_epi32(66 | (25 << 16))),
	                             _mm256_madd_epi16(ga, _mm256_set1_epi32(129)));
	return _mm256_srli_epi32(_mm256_add_epi32(v, _mm256_set1_epi32(4224)), 8);
}

// s0 = px 0-7, s1 = px 8-15 -> blocks [0 1 4 5 | 2 3 6 7] in 32-bit lanes.
AVX2_FN __m256i mean8_avx2(__m256i s0, __m256i s1) {
	__m256 f0 = _mm256_castsi256_ps(s0), f1 = _mm256_castsi256_ps(s1);
	__m256i e = _mm256_castps_si256(_mm256_shuffle_ps(f0, f1, _MM_SHUFFLE(2, 0, 2, 0)));
	__m256i o = _mm256_castps_si256(_mm256_shuffle_ps(f0, f1, _MM_SHUFFLE(3, 1, 3, 1)));
	__m256i s = _mm256_add_epi16(_mm256_add_epi16(e, o), _mm256_set1_epi16(2));
	return _mm256_srli_epi16(s, 2);
}

AVX2_FN __m256i chroma8_avx2(__m256i rb, __m256i ga, int crb, int cg) {
	__m256i v = _mm256_add_epi32(_mm256_madd_epi16(rb, _mm256_set1_epi32(crb)),
	                             _mm256_madd_epi16(ga, _mm256_set1_epi32(cg & 0xffff)));
	return _mm256_srli_epi32(_mm256_add_epi32(v, _mm256_set1_epi32(32896)), 8);
}

// 32 pixels of two rows -> 32+32 Y, 16 Cb, 16 Cr.
AVX2_FN void blk32_avx2(uint8_t *y0, uint8_t *y1, uint8_t *cb, uint8_t *cr,
                        const uint8_t *p0, const uint8_t *p1, int straight) {
	__m256i rb0[4], ga0[4], rb1[4], ga1[4], ya[4], yb[4];
	const __m256i dw = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
#define AVX2_LOAD(k)                                                                                \
	split_avx2(_mm256_loadu_si256((const __m256i *)(p0 + 32 * k)), straight, &rb0[k], &ga0[k]); \
	split_avx2(_mm256_loadu_si256((const __m256i *)(p1 + 32 * k)), straight, &rb1[k], &ga1[k]); \
	ya[k] = luma8_avx2(rb0[k], ga0[k]);                                                         \
	yb[k] = luma8_avx2(rb1[k], ga1[k]);
	AVX2_LOAD(0) AVX2_LOAD(1) AVX2_LOAD(2) AVX2_LOAD(3)
#undef AVX2_LOAD
	// packs/packus work per 128-bit lane: dwords come out as pixels
	// [0-3 8-11 16-19 24-27 4-7 12-15 20-23 28-31].
	__m256i a = _mm256_packus_epi16(_mm256_packs_epi32(ya[0], ya[1]), _mm256_packs_epi32(ya[2], ya[3]));
	__m256i b = _mm256_packus_epi16(_mm256_packs_epi32(yb[0], yb[1]), _mm256_packs_epi32(yb[2], yb[3]));
	_mm256_storeu_si256((__m256i *)y0, _mm256_permutevar8x32_epi32(a, dw));
	_mm256_storeu_si256((__m256i *)y1, _mm256_permutevar8x32_epi32(b, dw));
	__m256i cbv[2], crv[2];
#define AVX2_CHROMA(k)                                                                                                         \
	{                                                                                                                      \
		__m256i mrb = mean8_avx2(_mm256_add_epi16(rb0[2 * k], rb1[2 * k]), _mm256_add_epi16(rb0[2 * k + 1], rb1[2 * k + 1])); \
		__m256i mga = mean8_avx2(_mm256_add_epi16(ga0[2 * k], ga1[2 * k]), _mm256_add_epi16(ga0[2 * k + 1], ga1[2 * k + 1])); \
		cbv[k] = chroma8_avx2(mrb, mga, CB_RB, CB_G);                                                                  \
		crv[k] = chroma8_avx2(mrb, mga, CR_RB, CR_G);                                                                  \
	}
	AVX2_CHROMA(0) AVX2_CHROMA(1)
#undef AVX2_CHROMA
	// packs gives 16-bit blocks, in dword pairs [01 45 89 cd | 23 67 ab ef];
	// the permute puts the pairs in order, the last pack and permute split
	// Cb (low half) from Cr (high half).
	__m256i pcb = _mm256_permutevar8x32_epi32(_mm256_packs_epi32(cbv[0], cbv[1]), dw);
	__m256i pcr = _mm256_permutevar8x32_epi32(_mm256_packs_epi32(crv[0], crv[1]), dw);
	__m256i c = _mm256_permute4x64_epi64(_mm256_packus_epi16(pcb, pcr), _MM_SHUFFLE(3, 1, 2, 0));
	_mm_storeu_si128((__m128i *)cb, _mm256_castsi256_si128(c));
	_mm_storeu_si128((__m128i *)cr, _mm256_extracti128_si256(c, 1));
}

// opaque32_avx2 is opaque16_sse2 for 32 pixels of both rows.
AVX2_FN int opaque32_avx2(const uint8_t *p0, const uint8_t *p1) {
	__m256i a = _mm256_loadu_si256((const __m256i *)p0);
	a = _mm256_and_si256(a, _mm256_loadu_si256((const __m256i *)(p0 + 32)));
	a = _mm256_and_si256(a, _mm256_loadu_si256((const __m256i *)(p0 + 64)));
	a = _mm256_and_si256(a, _mm256_loadu_si256((const __m256i *)(p0 + 96)));
	a = _mm256_and_si256(a, _mm256_loadu_si256((const __m256i *)p1));
	a = _mm256_and_si256(a, _mm256_loadu_si256((const __m256i *)(p1 + 32)));
	a = _mm256_and_si256(a, _mm256_loadu_si256((const __m256i *)(p1 + 64)));
	a = _mm256_and_si256(a, _mm256_loadu_si256((const __m256i *)(p1 + 96)));
	return ((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, _mm256_set1_epi8((char)0xff))) & 0x88888888u) == 0x88888888u;
}

AVX2_FN void conv_avx2_t(uint8_t *y, uint8_t *cb, uint8_t *cr, const uint8_t *pix,
                         ptrdiff_t stride, ptrdiff_t w, ptrdiff_t pairs, int straight) {
	ptrdiff_t cw = w / 2;
	ptrdiff_t nb = cw & ~(ptrdiff_t)15; // blocks done 16 at a time
	for (ptrdiff_t i = 0; i < pairs; i++) {
		const uint8_t *p0 = pix + 2 * i * stride, *p1 = p0 + stride;
		uint8_t *y0 = y + 2 * i * w, *y1 = y0 + w, *cbr = cb + i * cw, *crr = cr + i * cw;
		for (ptrdiff_t x = 0; x < nb; x += 16) {
			if (straight && opaque32_avx2(p0 + 8 * x, p1 + 8 * x))
				blk32_avx2(y0 + 2 * x, y1 + 2 * x, cbr + x, crr + x, p0 + 8 * x, p1 + 8 * x, 0);
			else
				blk32_avx2(y0 + 2 * x, y1 + 2 * x, cbr + x, crr + x, p0 + 8 * x, p1 + 8 * x, straight);
		}
		row_scalar(y0, y1, cbr, crr, p0, p1, nb, cw, straight);
	}
}

__attribute__((target("avx2"))) static void conv_avx2(uint8_t *y, uint8_t *cb, uint8_t *cr,
                                                      const uint8_t *pix, ptrdiff_t stride,
                                                      ptrdiff_t w, ptrdiff_t pairs, int straight) {
	if (straight)
		conv_avx2_t(y, cb, cr, pix, stride, w, pairs, 1);
	else
		conv_avx2_t(y, cb, cr, pix, stride, w, pairs, 0);
}
#endif // GLC_I420_X86

#if defined(__aarch64__)
// NEON is part of AArch64: the blocks in convert_i420_neon.c, the rest of
// each row here.
static void conv_neon(uint8_t *y, uint8_t *cb, uint8_t *cr, const uint8_t *pix,
                      ptrdiff_t stride, ptrdiff_t w, ptrdiff_t pairs, int straight) {
	ptrdiff_t cw = w / 2;
	ptrdiff_t nb = glc_i420_neon_blocks(y, cb, cr, pix, stride, w, pairs, straight);
	if (nb == cw)
		return;
	for (ptrdiff_t i = 0; i < pairs; i++) {
		const uint8_t *p0 = pix + 2 * i * stride;
		uint8_t *y0 = y + 2 * i * w;
		row_scalar(y0, y0 + w, cb + i * cw, cr + i * cw, p0, p0 + stride, nb, cw, straight);
	}
}
#endif

int glc_i420_paths(void) {
	int m = 1 << GLC_I420_SCALAR;
#ifdef GLC_I420_X86
	m |= 1 << GLC_I420_SSE2;
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		m |= 1 << GLC_I420_AVX2;
#endif
#if defined(__aarch64__)
	m |= 1 << GLC_I420_NEON;
#endif
	return m;
}

void glc_i420_convert(uint8_t *y, uint8_t *cb, uint8_t *cr, const uint8_t *pix,
                   ptrdiff_t stride, ptrdiff_t w, ptrdiff_t pairs, int straight,
                   int path) {
	switch (path) {
#ifdef GLC_I420_X86
	case GLC_I420_AVX2:
		conv_avx2(y, cb, cr, pix, stride, w, pairs, straight);
		return;
	case GLC_I420_SSE2:
		conv_sse2(y, cb, cr, pix, stride, w, pairs, straight);
		return;
#endif
#if defined(__aarch64__)
	case GLC_I420_NEON:
		conv_neon(y, cb, cr, pix, stride, w, pairs, straight);
		return;
#endif
	default:
		conv_scalar(y, cb, cr, pix, stride, w, pairs, straight);
	}
}
