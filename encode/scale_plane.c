// One plane scaled by two separable fixed-point filters (see
// scale_filter.go), bit-exact with the Go reference scalePlaneGo: for each
// output row, a vertical pass into a row of source width, then a
// horizontal pass into the destination. Weights are non-negative and sum
// to 1 << 14, so every sum lies in [0, 255 << 14] and needs no clamping.
#include <string.h>

#include "scale_plane.h"

#if defined(__x86_64__)
#define GLC_SCALE_X86 1
#include <emmintrin.h>
#endif

#define SCALE_BITS 14
#define SCALE_HALF (1 << (SCALE_BITS - 1))

// ---------------------------------------------------------------- scalar

// The taps are the outer loop, over a chunk of the row at a time, so
// that each inner loop is a plain sweep the compiler vectorises (NEON on
// arm64 has no hand-written path).
static void vert_scalar(uint8_t *restrict row, const uint8_t *src, ptrdiff_t src_stride,
                        ptrdiff_t x0, ptrdiff_t sw, const int16_t *w, ptrdiff_t taps) {
	enum { CHUNK = 512 };
	int32_t acc[CHUNK];
	for (ptrdiff_t x = x0; x < sw; x += CHUNK) {
		ptrdiff_t n = sw - x < CHUNK ? sw - x : CHUNK;
		const uint8_t *restrict s = src + x;
		int32_t w0 = w[0];
		for (ptrdiff_t i = 0; i < n; i++)
			acc[i] = SCALE_HALF + w0 * s[i];
		for (ptrdiff_t k = 1; k < taps; k++) {
			const uint8_t *restrict sk = s + k * src_stride;
			int32_t wk = w[k];
			for (ptrdiff_t i = 0; i < n; i++)
				acc[i] += wk * sk[i];
		}
		for (ptrdiff_t i = 0; i < n; i++)
			row[x + i] = (uint8_t)(acc[i] >> SCALE_BITS);
	}
}

static void horiz_scalar(uint8_t *restrict out, const uint8_t *restrict row, ptrdiff_t c0,
                         ptrdiff_t dw, const int32_t *start, const int16_t *w, ptrdiff_t taps) {
	if (taps == 4) { // the common case, written out
		for (ptrdiff_t c = c0; c < dw; c++) {
			const uint8_t *s = row + start[c];
			const int16_t *wc = w + 4 * c;
			int32_t acc = SCALE_HALF + wc[0] * s[0] + wc[1] * s[1] + wc[2] * s[2] + wc[3] * s[3];
			out[c] = (uint8_t)(acc >> SCALE_BITS);
		}
		return;
	}
	for (ptrdiff_t c = c0; c < dw; c++) {
		const uint8_t *s = row + start[c];
		const int16_t *wc = w + c * taps;
		int32_t acc = SCALE_HALF;
		for (ptrdiff_t k = 0; k < taps; k++)
			acc += (int32_t)wc[k] * s[k];
		out[c] = (uint8_t)(acc >> SCALE_BITS);
	}
}

#ifdef GLC_SCALE_X86
// ------------------------------------------------------------------ SSE2
//
// Vertical: two source rows interleaved byte by byte and widened to 16
// bits give (a, b) pairs that pmaddwd multiplies by (wa, wb) and adds,
// 16 columns at a time. Horizontal: four taps of an output sample are
// four consecutive bytes; pmaddwd on two outputs' taps gives two partial
// sums per output, which a shuffle pairs up.

static void vert_sse2(uint8_t *row, const uint8_t *src, ptrdiff_t src_stride, ptrdiff_t sw,
                      const int16_t *w, ptrdiff_t taps) {
	const __m128i zero = _mm_setzero_si128();
	ptrdiff_t n = sw & ~(ptrdiff_t)15;
	for (ptrdiff_t x = 0; x < n; x += 16) {
		__m128i a0 = _mm_set1_epi32(SCALE_HALF), a1 = a0, a2 = a0, a3 = a0;
		for (ptrdiff_t k = 0; k < taps; k += 2) {
			__m128i ra = _mm_loadu_si128((const __m128i *)(src + k * src_stride + x));
			__m128i rb = ra; // the odd last tap pairs with itself, weighted 0
			int wb = 0;
			if (k + 1 < taps) {
				rb = _mm_loadu_si128((const __m128i *)(src + (k + 1) * src_stride + x));
				wb = w[k + 1];
			}
			__m128i wv = _mm_set1_epi32((int)(uint16_t)w[k] | (wb << 16));
			__m128i lo = _mm_unpacklo_epi8(ra, rb), hi = _mm_unpackhi_epi8(ra, rb);
			a0 = _mm_add_epi32(a0, _mm_madd_epi16(_mm_unpacklo_epi8(lo, zero), wv));
			a1 = _mm_add_epi32(a1, _mm_madd_epi16(_mm_unpackhi_epi8(lo, zero), wv));
			a2 = _mm_add_epi32(a2, _mm_madd_epi16(_mm_unpacklo_epi8(hi, zero), wv));
			a3 = _mm_add_epi32(a3, _mm_madd_epi16(_mm_unpackhi_epi8(hi, zero), wv));
		}
		a0 = _mm_srli_epi32(a0, SCALE_BITS), a1 = _mm_srli_epi32(a1, SCALE_BITS);
		a2 = _mm_srli_epi32(a2, SCALE_BITS), a3 = _mm_srli_epi32(a3, SCALE_BITS);
		_mm_storeu_si128((__m128i *)(row + x),
		                 _mm_packus_epi16(_mm_packs_epi32(a0, a1), _mm_packs_epi32(a2, a3)));
	}
	vert_scalar(row, src, src_stride, n, sw, w, taps);
}

static inline __m128i load4x4(const uint8_t *p0, const uint8_t *p1, const uint8_t *p2, const uint8_t *p3) {
	int32_t v0, v1, v2, v3;
	memcpy(&v0, p0, 4), memcpy(&v1, p1, 4), memcpy(&v2, p2, 4), memcpy(&v3, p3, 4);
	return _mm_setr_epi32(v0, v1, v2, v3);
}

static inline __m128i load2x4w(const int16_t *w0, const int16_t *w1) {
	return _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)w0), _mm_loadl_epi64((const __m128i *)w1));
}

// Four outputs c .. c+3, taps a multiple of 4.
static inline __m128i horiz4_sse2(const uint8_t *row, ptrdiff_t c, const int32_t *start,
                                  const int16_t *w, ptrdiff_t taps) {
	const __m128i zero = _mm_setzero_si128();
	const uint8_t *s0 = row + start[c], *s1 = row + start[c + 1], *s2 = row + start[c + 2], *s3 = row + start[c + 3];
	const int16_t *w0 = w + c * taps;
	__m128i acc01 = zero, acc23 = zero;
	for (ptrdiff_t k = 0; k < taps; k += 4) {
		__m128i v = load4x4(s0 + k, s1 + k, s2 + k, s3 + k);
		__m128i w01 = load2x4w(w0 + k, w0 + taps + k), w23 = load2x4w(w0 + 2 * taps + k, w0 + 3 * taps + k);
		acc01 = _mm_add_epi32(acc01, _mm_madd_epi16(_mm_unpacklo_epi8(v, zero), w01));
		acc23 = _mm_add_epi32(acc23, _mm_madd_epi16(_mm_unpackhi_epi8(v, zero), w23));
	}
	__m128 f01 = _mm_castsi128_ps(acc01), f23 = _mm_castsi128_ps(acc23);
	__m128i e = _mm_castps_si128(_mm_shuffle_ps(f01, f23, _MM_SHUFFLE(2, 0, 2, 0)));
	__m128i o = _mm_castps_si128(_mm_shuffle_ps(f01, f23, _MM_SHUFFLE(3, 1, 3, 1)));
	__m128i s = _mm_add_epi32(_mm_add_epi32(e, o), _mm_set1_epi32(SCALE_HALF));
	return _mm_srli_epi32(s, SCALE_BITS);
}

static void horiz_sse2(uint8_t *out, const uint8_t *row, ptrdiff_t dw, const int32_t *start,
                       const int16_t *w, ptrdiff_t taps) {
	ptrdiff_t n = dw & ~(ptrdiff_t)7;
	for (ptrdiff_t c = 0; c < n; c += 8) {
		__m128i a = horiz4_sse2(row, c, start, w, taps), b = horiz4_sse2(row, c + 4, start, w, taps);
		_mm_storel_epi64((__m128i *)(out + c), _mm_packus_epi16(_mm_packs_epi32(a, b), a));
	}
	horiz_scalar(out, row, n, dw, start, w, taps);
}
#endif // GLC_SCALE_X86

int glc_scale_paths(void) {
	int m = 1 << GLC_SCALE_SCALAR;
#ifdef GLC_SCALE_X86
	m |= 1 << GLC_SCALE_SSE2;
#endif
	return m;
}

void glc_scale_plane(uint8_t *dst, ptrdiff_t dst_stride, ptrdiff_t dw, ptrdiff_t dh,
                     const uint8_t *src, ptrdiff_t src_stride, ptrdiff_t sw,
                     const int32_t *ystart, const int16_t *yw, ptrdiff_t ytaps,
                     const int32_t *xstart, const int16_t *xw, ptrdiff_t xtaps,
                     uint8_t *row, int path) {
	for (ptrdiff_t r = 0; r < dh; r++) {
		const uint8_t *s = src + ystart[r] * src_stride;
		const int16_t *w = yw + r * ytaps;
		uint8_t *out = dst + r * dst_stride;
		// One tap has weight 1 << 14: the row is the source row.
		const uint8_t *in = s;
#ifdef GLC_SCALE_X86
		if (path == GLC_SCALE_SSE2) {
			if (ytaps > 1)
				vert_sse2(row, s, src_stride, sw, w, ytaps), in = row;
			if (xtaps % 4 == 0)
				horiz_sse2(out, in, dw, xstart, xw, xtaps);
			else
				horiz_scalar(out, in, 0, dw, xstart, xw, xtaps);
			continue;
		}
#endif
		(void)path;
		if (ytaps > 1)
			vert_scalar(row, s, src_stride, 0, sw, w, ytaps), in = row;
		horiz_scalar(out, in, 0, dw, xstart, xw, xtaps);
	}
}
