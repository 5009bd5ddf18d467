package encode

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"golang.org/x/sys/cpu"
)

var i420PathNames = map[int]string{i420Scalar: "scalar", i420SSE2: "sse2", i420AVX2: "avx2", i420NEON: "neon"}

// i420AvailablePaths lists the C conversion paths this CPU runs.
func i420AvailablePaths() []int {
	var ps []int
	for _, p := range []int{i420Scalar, i420SSE2, i420AVX2, i420NEON} {
		if i420Paths&(1<<p) != 0 {
			ps = append(ps, p)
		}
	}
	return ps
}

// sentinelPlanes returns planes for h rows (rounded up to even) filled
// with fill, with slack after each, so that a stray write shows.
func sentinelPlanes(w, h int, fill byte) (y, cb, cr []byte) {
	rows := (h + 1) &^ 1
	y = bytes.Repeat([]byte{fill}, rows*w+7)
	cb = bytes.Repeat([]byte{fill}, rows/2*(w/2)+5)
	cr = bytes.Repeat([]byte{fill}, rows/2*(w/2)+3)
	return y, cb, cr
}

// checkConvert converts with the Go reference and every C path and
// compares the whole buffers, slack included.
func checkConvert(t testing.TB, pix []byte, stride, w, h int, straight bool, what string) {
	t.Helper()
	wy, wcb, wcr := sentinelPlanes(w, h, 0xA5)
	rgbaToI420Go(wy, wcb, wcr, pix, stride, w, h, straight)
	for _, p := range i420AvailablePaths() {
		gy, gcb, gcr := sentinelPlanes(w, h, 0xA5)
		rgbaToI420Path(p, gy, gcb, gcr, pix, stride, w, h, straight)
		for _, c := range []struct {
			plane     string
			got, want []byte
		}{{"Y", gy, wy}, {"Cb", gcb, wcb}, {"Cr", gcr, wcr}} {
			if i := firstDiff(c.got, c.want); i >= 0 {
				t.Fatalf("%s %dx%d stride %d straight %v path %s: %s[%d] = %d, want %d",
					what, w, h, stride, straight, i420PathNames[p], c.plane, i, c.got[i], c.want[i])
			}
		}
	}
}

func firstDiff(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// randomPix makes pixels for h rows (one more when h is odd: the Go loop
// reads it) at the given stride, exactly as long as the Go code needs,
// with garbage in the gaps between rows.
func randomPix(r *rand.Rand, w, h, stride int, gen func(i int) [4]byte) []byte {
	rows := (h + 1) &^ 1
	pix := make([]byte, (rows-1)*stride+4*w)
	for i := range pix {
		if stride >= 4*w && i%stride >= 4*w {
			pix[i] = byte(r.Uint32())
		}
	}
	for y := 0; y < rows; y++ {
		for x := 0; x < w; x++ {
			p := gen(y*w + x)
			copy(pix[y*stride+4*x:], p[:])
		}
	}
	return pix
}

// randomPx draws pixels, with alpha often 0 or 255 for straight alpha.
func randomPx(r *rand.Rand, straight bool) func(int) [4]byte {
	return func(int) [4]byte {
		v := r.Uint32()
		p := [4]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
		if straight {
			switch r.IntN(4) {
			case 0:
				p[3] = 0
			case 1:
				p[3] = 255
			}
		}
		return p
	}
}

// TestRGBAToI420Paths: the C code finds the SIMD paths that Go's own
// reading of the CPU (golang.org/x/sys/cpu, which also asks whether the
// system saves AVX state) says the CPU runs, and uses the fastest.
func TestRGBAToI420Paths(t *testing.T) {
	want := map[int]bool{i420Scalar: true}
	switch runtime.GOARCH {
	case "amd64":
		want[i420SSE2], want[i420AVX2] = true, cpu.X86.HasAVX2
	case "arm64":
		want[i420NEON] = cpu.ARM64.HasASIMD
	}
	best := i420Scalar
	for _, p := range []int{i420NEON, i420SSE2, i420AVX2} { // slowest to fastest
		if want[p] {
			best = p
		}
	}
	var names []string
	for _, p := range []int{i420Scalar, i420SSE2, i420AVX2, i420NEON} {
		if got := i420Paths&(1<<p) != 0; got != want[p] {
			t.Errorf("path %s: found %v, the CPU runs it: %v", i420PathNames[p], got, want[p])
		}
		if want[p] {
			names = append(names, i420PathNames[p])
		}
	}
	if i420Best != best {
		t.Errorf("uses %s, want the fastest, %s", i420PathNames[i420Best], i420PathNames[best])
	}
	t.Logf("C conversion paths: %v, used: %s", names, i420PathNames[i420Best])
}

func TestRGBAToI420Random(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := [][2]int{{2, 2}, {6, 4}, {4, 6}, {14, 2}, {16, 2}, {18, 4}, {30, 6}, {32, 2},
		{34, 4}, {62, 8}, {64, 2}, {66, 10}, {98, 6}, {126, 4}, {130, 6},
		{5, 4}, {33, 6}, {7, 5}, {66, 3}, {1, 4}, // odd sizes, as the Go loop treats them
		{1278, 718}, {1280, 720}, {1920, 1080}}
	for _, s := range sizes {
		w, h := s[0], s[1]
		for _, straight := range []bool{false, true} {
			extras := []int{0, 1 + r.IntN(3), 4 * (1 + r.IntN(9)), 1 + r.IntN(67)}
			if w > 1000 {
				extras = []int{0, 1 + r.IntN(67)} // full frames: tight and odd
			}
			for _, extra := range extras {
				stride := 4*w + extra
				checkConvert(t, randomPix(r, w, h, stride, randomPx(r, straight)), stride, w, h, straight, "random")
			}
		}
	}
	// Overlapping rows and a zero stride are legal for the Go code.
	for _, stride := range []int{0, 4, 12} {
		pix := make([]byte, 4*64+stride*7)
		for i := range pix {
			pix[i] = byte(r.Uint32())
		}
		checkConvert(t, pix, stride, 64, 8, true, "small stride")
		checkConvert(t, pix, stride, 64, 8, false, "small stride")
	}
}

func TestRGBAToI420EdgeValues(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	vals := []byte{0, 1, 2, 127, 128, 129, 253, 254, 255}
	gens := map[string]func(int) [4]byte{
		"zero":   func(int) [4]byte { return [4]byte{} },
		"white":  func(int) [4]byte { return [4]byte{255, 255, 255, 255} },
		"alpha0": func(int) [4]byte { return [4]byte{255, 255, 255, 0} },
		"extremes": func(int) [4]byte {
			return [4]byte{vals[r.IntN(len(vals))], vals[r.IntN(len(vals))], vals[r.IntN(len(vals))], vals[r.IntN(len(vals))]}
		},
		// Opaque blocks, which the SIMD paths convert as premultiplied,
		// next to blocks with one translucent pixel.
		"opaque-islands": func(i int) [4]byte {
			p := [4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), 255}
			if i%97 == 0 {
				p[3] = byte(r.IntN(255))
			}
			return p
		},
		"checker": func(i int) [4]byte {
			if (i^(i>>3))&1 == 0 {
				return [4]byte{255, 0, 255, 255}
			}
			return [4]byte{0, 255, 0, byte(i)}
		},
	}
	for name, g := range gens {
		for _, straight := range []bool{false, true} {
			for _, w := range []int{2, 16, 32, 48, 94, 640} {
				checkConvert(t, randomPix(r, w, 6, 4*w+3, g), 4*w+3, w, 6, straight, name)
			}
		}
	}
}

// TestRGBAToI420ExhaustivePremul covers every (colour, alpha) pair in
// every channel.
func TestRGBAToI420ExhaustivePremul(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const w, h = 512, 256
	pix := randomPix(r, w, h, 4*w, func(i int) [4]byte {
		c, a := byte(i), byte(i>>8) // each pixel twice: 2x2 blocks vary in alpha only
		return [4]byte{c, ^c, c ^ 0x5a, a}
	})
	checkConvert(t, pix, 4*w, w, h, true, "premul")
}

// TestRGBAToI420ExhaustiveRGB covers every (r, g, b) for luma and, with
// uniform 2x2 blocks, for chroma: 2^24 colours through every path.
func TestRGBAToI420ExhaustiveRGB(t *testing.T) {
	if testing.Short() {
		t.Skip("2^24 colours")
	}
	const w, h = 512, 512
	wy, wcb, wcr := sentinelPlanes(w, h, 0)
	gy, gcb, gcr := sentinelPlanes(w, h, 0)
	pix := make([]byte, 4*w*h)
	for i := 0; i < len(pix); i += 4 {
		x, y := i/4%w, i/4/w
		pix[i+1], pix[i+2] = byte(y/2), byte(x/2)
	}
	for rr := 0; rr < 256; rr++ {
		for i := 0; i < len(pix); i += 4 {
			pix[i], pix[i+3] = byte(rr), byte(rr*7+i/4%w)
		}
		for _, straight := range []bool{false, true} {
			rgbaToI420Go(wy, wcb, wcr, pix, 4*w, w, h, straight)
			for _, p := range i420AvailablePaths() {
				rgbaToI420Path(p, gy, gcb, gcr, pix, 4*w, w, h, straight)
				if !bytes.Equal(gy, wy) || !bytes.Equal(gcb, wcb) || !bytes.Equal(gcr, wcr) {
					t.Fatalf("r=%d straight %v path %s differs", rr, straight, i420PathNames[p])
				}
			}
		}
	}
}

// TestRGBAToI420BadArgs: arguments the Go code rejects panic the same way
// through rgbaToI420, which leaves them to the Go code.
func TestRGBAToI420BadArgs(t *testing.T) {
	for i, c := range []struct {
		y, cb, cr, pix int
		stride, w, h   int
	}{
		{16, 4, 4, 63, 16, 4, 4}, // pix one byte short
		{15, 4, 4, 64, 16, 4, 4}, // y short
		{16, 3, 4, 64, 16, 4, 4}, // cb short
		{16, 4, 3, 64, 16, 4, 4}, // cr short
		{16, 4, 4, 64, -16, 4, 4},
		{16, 4, 4, 64, 16, 4, 5}, // odd h: the Go code reads a row more
		{0, 0, 0, 0, 0, 0, 0},    // nothing to do
		{16, 4, 4, 64, 16, 1, 4}, // w = 1
	} {
		panicked := func(f func()) (msg string) {
			defer func() { msg = fmt.Sprint(recover()) }()
			f()
			return ""
		}
		args := func() ([]byte, []byte, []byte, []byte) {
			return make([]byte, c.y), make([]byte, c.cb), make([]byte, c.cr), make([]byte, c.pix)
		}
		y, cb, cr, pix := args()
		want := panicked(func() { rgbaToI420Go(y, cb, cr, pix, c.stride, c.w, c.h, true) })
		y, cb, cr, pix = args()
		if got := panicked(func() { rgbaToI420(y, cb, cr, pix, c.stride, c.w, c.h, true) }); got != want {
			t.Errorf("case %d: panic %q, want %q", i, got, want)
		}
	}
}

func TestRGBAToI420NoAllocs(t *testing.T) {
	const w, h = 1280, 720
	pix := make([]byte, 4*w*h)
	y, cb, cr := make([]byte, w*h), make([]byte, w*h/4), make([]byte, w*h/4)
	for _, straight := range []bool{false, true} {
		if n := testing.AllocsPerRun(20, func() { rgbaToI420(y, cb, cr, pix, 4*w, w, h, straight) }); n != 0 {
			t.Fatalf("straight %v: %v allocations per call", straight, n)
		}
	}
}

func FuzzRGBAToI420(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, uint8(2), uint8(2), uint8(0), true)
	f.Add([]byte{255, 0, 255, 128}, uint8(40), uint8(6), uint8(3), true)
	f.Add([]byte{0, 255, 17, 0, 9}, uint8(66), uint8(4), uint8(13), false)
	f.Fuzz(func(t *testing.T, data []byte, w8, h8, extra uint8, straight bool) {
		if len(data) == 0 {
			return
		}
		w, h := 2*(int(w8)%100+1), 2*(int(h8)%8+1)
		stride := 4*w + int(extra)
		pix := make([]byte, (h-1)*stride+4*w)
		for i := range pix {
			pix[i] = data[i%len(data)] + byte(i/len(data))
		}
		checkConvert(t, pix, stride, w, h, straight, "fuzz")
	})
}

// TestI420Identities checks, over their whole input ranges, the rewrites
// the C code relies on (see the head of convert_i420.c).
func TestI420Identities(t *testing.T) {
	for c := int32(0); c < 256; c++ {
		for a := int32(0); a < 256; a++ {
			x := c * a
			if (x+127)/255 != int32((uint32(x+127)*0x8081)>>23) {
				t.Fatalf("division by 255 fails at c=%d a=%d", c, a)
			}
			if a == 255 && (x+127)/255 != c {
				t.Fatalf("a=255 is not an identity at c=%d", c)
			}
			if u := x + 128; (x+127)/255 != (u+u>>8)>>8 { // the NEON form
				t.Fatalf("division by 255 (NEON) fails at c=%d a=%d", c, a)
			}
		}
	}
	for v := int32(0); v <= 255*(66+129+25); v++ {
		if (v+128)>>8+16 != (v+4224)>>8 {
			t.Fatalf("luma bias fails at %d", v)
		}
	}
	for v := int32(-112 * 255); v <= 112*255; v++ { // chroma sums, both signs
		if (v+128)>>8+128 != int32(uint32(v+32896)>>8) {
			t.Fatalf("chroma bias fails at %d", v)
		}
	}
}
