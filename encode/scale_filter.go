package encode

import "math"

// A picture is scaled one plane at a time, in two separable passes: each
// output row is first filtered vertically into a row of source width,
// which is then filtered horizontally. Both passes take, for each output
// sample, a fixed number of consecutive source samples (taps) weighted by
// 14-bit fixed-point weights that sum to exactly 1<<14.
//
// The weights are those of a tent (triangle) filter as wide as one
// output sample measured in source samples, and never narrower than one
// source sample: bilinear interpolation when enlarging, and when
// shrinking a filter that averages every source sample an output sample
// covers, so that fine detail does not alias into shimmer as point or
// plain bilinear sampling lets it. Samples past the edges repeat the
// edge sample.

const (
	scaleBits = 14
	scaleOne  = 1 << scaleBits
	scaleHalf = scaleOne / 2
)

// scaleFilter resamples one axis of a plane.
type scaleFilter struct {
	taps  int     // source samples per output sample
	start []int32 // first source sample of each output sample
	w     []int16 // taps weights per output sample
}

// make computes the filter that maps n source samples, spanning length
// source samples' worth of picture (n, or n-1/2 for the chroma of an odd
// luma size), onto out output samples. Sample i is centred at i+1/2 on
// both sides. It reuses f's slices when they are large enough.
func (f *scaleFilter) make(n int, length float64, out int) {
	scale := length / float64(out)
	radius := max(scale, 1)
	lo := func(c float64) int { return max(int(math.Floor(c-radius))+1, 0) }
	hi := func(c float64) int { return min(int(math.Ceil(c+radius))-1, n-1) }
	center := func(j int) float64 { return (float64(j)+0.5)*scale - 0.5 }
	taps := 1
	for j := 0; j < out; j++ {
		c := center(j)
		taps = max(taps, hi(c)-lo(c)+1)
	}
	taps = min(taps, n)
	// The SIMD horizontal pass takes taps four at a time: pad with zero
	// weights when the plane is wide enough. One tap is a copy, kept as
	// it is.
	if p := (taps + 3) &^ 3; taps > 1 && p <= n {
		taps = p
	}
	f.taps = taps
	f.start = resize(f.start, out)
	f.w = resize(f.w, out*taps)
	clear(f.w)
	var acc [64]float64
	for j := 0; j < out; j++ {
		c := center(j)
		first := min(lo(c), n-taps)
		f.start[j] = int32(first)
		weights := acc[:0]
		if taps > len(acc) {
			weights = make([]float64, 0, taps) // only for extreme shrinking
		}
		weights = weights[:taps]
		clear(weights)
		// Every tap inside the radius, before clamping to the edges.
		var sum float64
		for i := int(math.Floor(c-radius)) + 1; float64(i) < c+radius; i++ {
			v := 1 - math.Abs(float64(i)-c)/radius
			if v <= 0 {
				continue
			}
			// The window holds every clamped sample: it starts at the
			// first one or ends at the last sample of the axis.
			k := min(max(i, 0), n-1) - first
			weights[k] += v
			sum += v
		}
		ws := f.w[j*taps : (j+1)*taps]
		total, big := 0, 0
		for k := range weights {
			ws[k] = int16(math.Round(weights[k] / sum * scaleOne))
			total += int(ws[k])
			if ws[k] > ws[big] {
				big = k
			}
		}
		ws[big] += int16(scaleOne - total)
	}
}

// resize returns s with length n, reusing its array when it is large
// enough.
func resize[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// scalePlaneGo is the reference for the C scaler (scale_plane.c), which
// matches it bit for bit: it writes dw x dh samples at dst (row stride
// dstStride) from the plane src (row stride srcStride) of which fx reads
// the columns and fy the rows. row holds one vertically filtered row: at
// least as long as the source is wide.
func scalePlaneGo(dst []byte, dstStride, dw, dh int, src []byte, srcStride int, fy, fx *scaleFilter, row []byte) {
	sw := len(row)
	for r := 0; r < dh; r++ {
		s0 := int(fy.start[r])
		wy := fy.w[r*fy.taps : (r+1)*fy.taps]
		for x := 0; x < sw; x++ {
			acc := int32(scaleHalf)
			for k, w := range wy {
				acc += int32(w) * int32(src[(s0+k)*srcStride+x])
			}
			row[x] = uint8(acc >> scaleBits)
		}
		out := dst[r*dstStride : r*dstStride+dw]
		for c := range out {
			s := int(fx.start[c])
			acc := int32(scaleHalf)
			for k, w := range fx.w[c*fx.taps : (c+1)*fx.taps] {
				acc += int32(w) * int32(row[s+k])
			}
			out[c] = uint8(acc >> scaleBits)
		}
	}
}
