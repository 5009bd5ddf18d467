package encode

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

var scalePathNames = map[int]string{scaleScalar: "scalar", scaleSSE2: "sse2"}

func scaleAvailablePaths() []int {
	var ps []int
	for _, p := range []int{scaleScalar, scaleSSE2} {
		if scalePaths&(1<<p) != 0 {
			ps = append(ps, p)
		}
	}
	return ps
}

// checkFilter checks the invariants the C scaler's bounds check and its
// arithmetic rely on.
func checkFilter(t testing.TB, f *scaleFilter, n, out int, what string) {
	t.Helper()
	if f.taps < 1 || f.taps > n || len(f.start) != out || len(f.w) != out*f.taps {
		t.Fatalf("%s: %d taps, %d starts, %d weights for %d -> %d", what, f.taps, len(f.start), len(f.w), n, out)
	}
	for j := 0; j < out; j++ {
		s := int(f.start[j])
		if s < 0 || s+f.taps > n || j > 0 && s < int(f.start[j-1]) {
			t.Fatalf("%s: output %d starts at %d (taps %d, n %d, previous %d)", what, j, s, f.taps, n, f.start[max(j-1, 0)])
		}
		sum := 0
		for _, w := range f.w[j*f.taps : (j+1)*f.taps] {
			if w < 0 {
				t.Fatalf("%s: output %d has a negative weight", what, j)
			}
			sum += int(w)
		}
		if sum != scaleOne {
			t.Fatalf("%s: output %d weights sum to %d", what, j, sum)
		}
	}
}

func TestScaleFilter(t *testing.T) {
	var f scaleFilter
	// The same size is a copy: one tap of weight 1.
	f.make(100, 100, 100)
	checkFilter(t, &f, 100, 100, "identity")
	for j := 0; j < 100; j++ {
		if f.taps != 1 || f.start[j] != int32(j) || f.w[j] != scaleOne {
			t.Fatalf("identity: taps %d, output %d from %d weight %d", f.taps, j, f.start[j], f.w[j])
		}
	}
	// Halving averages with (1 3 3 1)/8: output j is centred between
	// source samples 2j and 2j+1.
	f.make(64, 64, 32)
	checkFilter(t, &f, 64, 32, "half")
	want := []int16{2048, 6144, 6144, 2048}
	for j := 1; j < 31; j++ {
		if f.start[j] != int32(2*j-1) || !equalInt16(f.w[j*4:j*4+4], want) {
			t.Fatalf("half: output %d from %d weights %v, want from %d %v", j, f.start[j], f.w[j*4:j*4+4], 2*j-1, want)
		}
	}
	// Doubling is bilinear: output 2j+1 sits a quarter past source j.
	f.make(10, 10, 20)
	checkFilter(t, &f, 10, 20, "double")
	if s, w := f.start[5], f.w[5*f.taps:6*f.taps]; f.taps != 4 || s != 2 || !equalInt16(w, []int16{12288, 4096, 0, 0}) {
		t.Fatalf("double: output 5 from %d weights %v", s, w)
	}
	// Edges repeat: the first output of a halving puts the weight of
	// sample -1 on sample 0.
	f.make(64, 64, 32)
	if !equalInt16(f.w[:4], []int16{8192, 6144, 2048, 0}) || f.start[0] != 0 {
		t.Fatalf("half, first output: from %d weights %v", f.start[0], f.w[:4])
	}
	// Random sizes, both ways, and the half-sample chroma of odd sizes.
	r := rand.New(rand.NewPCG(21, 22))
	for i := 0; i < 3000; i++ {
		n, out := 1+r.IntN(3000), 1+r.IntN(3000)
		length := float64(n)
		if r.IntN(2) == 0 {
			length -= 0.5
		}
		f.make(n, length, out)
		checkFilter(t, &f, n, out, "random")
	}
}

func equalInt16(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkScalePlane scales a random plane with the Go reference and each C
// path into buffers with slack around the written area, and compares
// them whole.
func checkScalePlane(t testing.TB, r *rand.Rand, sw, sh, srcStride, dw, dh, dstStride int, length float64) {
	t.Helper()
	var fx, fy scaleFilter
	fx.make(sw, length, dw)
	fy.make(sh, length*float64(sh)/float64(sw), dh)
	src := make([]byte, (sh-1)*srcStride+sw)
	for i := range src {
		src[i] = byte(r.Uint32())
	}
	size := (dh-1)*dstStride + dw
	want := bytes.Repeat([]byte{0xA5}, size+9)
	scalePlaneGo(want, dstStride, dw, dh, src, srcStride, &fy, &fx, make([]byte, sw))
	for _, p := range scaleAvailablePaths() {
		got := bytes.Repeat([]byte{0xA5}, size+9)
		scalePlanePath(p, got, dstStride, dw, dh, src, srcStride, &fy, &fx, make([]byte, sw))
		if i := firstDiff(got, want); i >= 0 {
			t.Fatalf("%dx%d (stride %d) -> %dx%d (stride %d) path %s: byte %d (row %d) = %d, want %d",
				sw, sh, srcStride, dw, dh, dstStride, scalePathNames[p], i, i/dstStride, got[i], want[i])
		}
	}
}

func TestScalePlanePaths(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, c := range [][4]int{
		{1920, 1080, 1280, 720}, {960, 540, 640, 360}, // 1.5x: 3 taps, padded to 4
		{3840, 2160, 1280, 720}, // 3x: 7 taps, padded to 8
		{640, 360, 1280, 720},   // enlarging: 2 taps, padded to 4
		{641, 359, 1280, 716}, {321, 180, 640, 358},
		{1280, 534, 1280, 534}, // one tap
		{1280, 720, 1280, 534}, {1280, 720, 960, 720},
		{3, 3, 64, 64}, {2, 2, 2, 2}, {1, 1, 8, 8}, {5, 7, 3, 2}, {17, 33, 31, 15},
		{4096, 8, 66, 4}, // 62 taps
		{10, 300, 12, 40},
		// Odd tap counts (whole short axes): the SSE2 vertical pass
		// pairs the last row with itself.
		{640, 3, 600, 5}, {500, 5, 333, 2}, {400, 7, 123, 3}, {300, 7, 300, 1},
	} {
		sw, sh, dw, dh := c[0], c[1], c[2], c[3]
		checkScalePlane(t, r, sw, sh, sw, dw, dh, dw, float64(sw))
		checkScalePlane(t, r, sw, sh, sw+1+r.IntN(40), dw, dh, dw+r.IntN(40), float64(sw)-0.5)
	}
	for i := 0; i < 300; i++ {
		sw, sh := 1+r.IntN(300), 1+r.IntN(300)
		dw, dh := 1+r.IntN(300), 1+r.IntN(300)
		checkScalePlane(t, r, sw, sh, sw+r.IntN(20), dw, dh, dw+r.IntN(20), float64(sw))
	}
}

// TestScalePlaneBadArgs: arguments outside the bounds the Go code keeps
// to panic the same way through scalePlane, which leaves them to Go.
func TestScalePlaneBadArgs(t *testing.T) {
	var fx, fy scaleFilter
	fx.make(16, 16, 8)
	fy.make(16, 16, 8)
	for i, c := range []struct {
		dst, dstStride, dw, dh, src, srcStride, row int
	}{
		{63, 8, 8, 8, 16 * 16, 16, 16},   // dst one byte short
		{62, 8, 8, 8, 16 * 16, 16, 16},   // dst two bytes short
		{64, 8, 8, 8, 16*16 - 1, 16, 16}, // src short
		{64, 8, 8, 8, 16 * 16, 16, 15},   // row narrower than the filter reads
		{64, 8, 8, 9, 16 * 16, 16, 16},   // more rows than the filter has
	} {
		panicked := func(f func()) (msg string) {
			defer func() {
				if r := recover(); r != nil {
					msg = "panic"
				}
			}()
			f()
			return ""
		}
		run := func(f func([]byte, int, int, int, []byte, int, *scaleFilter, *scaleFilter, []byte)) string {
			return panicked(func() {
				f(make([]byte, c.dst), c.dstStride, c.dw, c.dh, make([]byte, c.src), c.srcStride, &fy, &fx, make([]byte, c.row))
			})
		}
		want := run(scalePlaneGo)
		if got := run(scalePlane); got != want || want == "" {
			t.Errorf("case %d: scalePlane %q, scalePlaneGo %q; want both to panic", i, got, want)
		}
	}
}
