package encode

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"strings"
	"testing"
)

// i420Of is the 4:2:0 value of an opaque colour, by the Go reference.
func i420Of(c color.RGBA) (y, cb, cr byte) {
	pix := bytes.Repeat([]byte{c.R, c.G, c.B, c.A}, 4)
	ys, cbs, crs := make([]byte, 4), make([]byte, 1), make([]byte, 1)
	rgbaToI420Go(ys, cbs, crs, pix, 8, 2, 2, false)
	return ys[0], cbs[0], crs[0]
}

// asTypes returns the picture as each kind of image the scaler reads
// differently: RGBA, NRGBA, 4:2:0 YCbCr and a type it does not know.
func asTypes(src *image.RGBA) map[string]image.Image {
	b := src.Bounds()
	n := image.NewNRGBA(b)
	copy(n.Pix, src.Pix) // opaque: the same colours
	m := map[string]image.Image{"rgba": src, "nrgba": n, "generic": struct{ image.Image }{src}}
	// A YCbCr of an odd size has chroma for the half pixels past its
	// edge: convert a copy with the last column and row repeated, and
	// take the picture's size out of it.
	w, h := b.Dx(), b.Dy()
	even := image.NewRGBA(image.Rect(0, 0, w+w%2, h+h%2))
	for y := range even.Rect.Dy() {
		for x := range even.Rect.Dx() {
			even.SetRGBA(x, y, src.RGBAAt(b.Min.X+min(x, w-1), b.Min.Y+min(y, h-1)))
		}
	}
	ycc := image.NewYCbCr(even.Rect, image.YCbCrSubsampleRatio420)
	if err := ToI420(ycc, even); err != nil {
		panic(err)
	}
	m["ycbcr"] = ycc.SubImage(image.Rect(0, 0, w, h))
	return m
}

func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

// checkPlacement checks that dst holds want inside r (in luma samples)
// and black outside it, sample by sample.
func checkPlacement(t testing.TB, dst *image.YCbCr, r image.Rectangle, y, cb, cr byte, what string) {
	t.Helper()
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	planes := []struct {
		name    string
		p       []byte
		stride  int
		w, h    int
		r       image.Rectangle
		in, out byte
	}{
		{"Y", dst.Y, dst.YStride, w, h, r, y, 16},
		{"Cb", dst.Cb, dst.CStride, w / 2, h / 2, image.Rect(r.Min.X/2, r.Min.Y/2, r.Max.X/2, r.Max.Y/2), cb, 128},
		{"Cr", dst.Cr, dst.CStride, w / 2, h / 2, image.Rect(r.Min.X/2, r.Min.Y/2, r.Max.X/2, r.Max.Y/2), cr, 128},
	}
	for _, p := range planes {
		for row := 0; row < p.h; row++ {
			for x := 0; x < p.w; x++ {
				want := p.out
				if image.Pt(x, row).In(p.r) {
					want = p.in
				}
				if got := p.p[row*p.stride+x]; got != want {
					t.Fatalf("%s: %s(%d,%d) = %d, want %d (picture at %v)", what, p.name, x, row, got, want, r)
				}
			}
		}
	}
}

// TestScalerPlacement scales solid pictures of many sizes, as every kind
// of image, and checks every sample: the colour exactly inside the place
// Fit gives, black bars exactly outside it.
func TestScalerPlacement(t *testing.T) {
	c := color.RGBA{200, 40, 90, 255}
	y, cb, cr := i420Of(c)
	const fw, fh = 320, 180
	dst := image.NewYCbCr(image.Rect(0, 0, fw, fh), image.YCbCrSubsampleRatio420)
	for _, fit := range []Fit{FitLetterbox, FitStretch} {
		for _, size := range []image.Point{
			{160, 120}, {480, 360}, // 4:3: pillarbox
			{320, 134}, {640, 200}, // wider: letterbox
			{90, 160}, {1080, 1920}, // upright
			{641, 359}, {161, 91}, {3, 3}, {1, 1}, {1000, 2}, // odd and extreme
			{640, 360}, {160, 90}, // same aspect ratio
		} {
			for name, img := range asTypes(solid(size.X, size.Y, c)) {
				var s Scaler
				s.Fit = fit
				// Something else first, so that every sample is written.
				for i := range dst.Y {
					dst.Y[i] = 99
				}
				for i := range dst.Cb {
					dst.Cb[i], dst.Cr[i] = 99, 99
				}
				if err := s.ToI420(dst, img); err != nil {
					t.Fatal(err)
				}
				checkPlacement(t, dst, fit.Place(size, image.Pt(fw, fh)), y, cb, cr, fmt.Sprintf("%v %s %v", fit, name, size))
			}
		}
	}
}

// TestScalerStretch: a picture split in two colours keeps its split in
// the middle of the frame when stretched, and in the middle of its
// place when letterboxed.
func TestScalerStretch(t *testing.T) {
	left, right := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}
	src := solid(200, 200, left)
	for i := 0; i < len(src.Pix); i += 4 {
		if i/4%200 >= 100 {
			copy(src.Pix[i:], []byte{right.R, right.G, right.B, right.A})
		}
	}
	yl, _, _ := i420Of(left)
	yr, _, _ := i420Of(right)
	dst := image.NewYCbCr(image.Rect(0, 0, 640, 360), image.YCbCrSubsampleRatio420)
	for _, c := range []struct {
		fit  Fit
		x0   int // where the picture starts
		edge int // where the second colour starts
	}{{FitStretch, 0, 320}, {FitLetterbox, 140, 320}} {
		s := Scaler{Fit: c.fit}
		if err := s.ToI420(dst, src); err != nil {
			t.Fatal(err)
		}
		row := dst.Y[180*dst.YStride : 181*dst.YStride]
		// Away from the edge the colours are exact; the filter blends
		// the two samples either side of it.
		for x := c.x0; x < 640-c.x0; x++ {
			switch {
			case x < c.edge-2 && row[x] != yl, x >= c.edge+2 && row[x] != yr:
				t.Fatalf("%v: Y(%d) = %d (left %d, right %d): %v", c.fit, x, row[x], yl, yr, row)
			}
		}
		if c.x0 > 0 && (row[c.x0-1] != 16 || row[640-c.x0] != 16) {
			t.Fatalf("%v: no bars at %d and %d: %v", c.fit, c.x0-1, 640-c.x0, row)
		}
	}
}

func TestScalerReject(t *testing.T) {
	dst := image.NewYCbCr(image.Rect(0, 0, 1280, 720), image.YCbCrSubsampleRatio420)
	s := Scaler{Fit: FitReject}
	err := s.ToI420(dst, image.NewRGBA(image.Rect(0, 0, 640, 360)))
	if !errors.Is(err, ErrImageSize) || !strings.Contains(err.Error(), "got 640x360, configured 1280x720") {
		t.Fatalf("FitReject: %v", err)
	}
	if err := s.ToI420(dst, pattern(1280, 720, 1)); err != nil {
		t.Fatalf("FitReject, same size: %v", err)
	}
}

func TestScalerBadInput(t *testing.T) {
	good := image.NewYCbCr(image.Rect(0, 0, 64, 64), image.YCbCrSubsampleRatio420)
	src := pattern(32, 32, 1)
	for _, c := range []struct {
		name string
		fit  Fit
		dst  *image.YCbCr
		src  image.Image
		want error
		msg  string
	}{
		{"nil picture", FitLetterbox, good, nil, ErrNilImage, "nil image"},
		{"unknown fit", Fit(7), good, src, ErrConfig, "fit policy 7"},
		{"nil destination", FitLetterbox, nil, src, ErrConfig, "4:2:0"},
		{"4:4:4 destination", FitLetterbox, image.NewYCbCr(image.Rect(0, 0, 64, 64), image.YCbCrSubsampleRatio444), src, ErrConfig, "4:2:0"},
		{"odd destination", FitLetterbox, image.NewYCbCr(image.Rect(0, 0, 63, 64), image.YCbCrSubsampleRatio420), src, ErrImageSize, "63x64"},
		{"padded destination", FitLetterbox, good.SubImage(image.Rect(0, 0, 32, 64)).(*image.YCbCr), pattern(64, 64, 1), ErrConfig, "tight"},
		{"empty picture", FitLetterbox, good, image.NewRGBA(image.Rect(5, 5, 5, 9)), ErrImageSize, "empty 0x4"},
	} {
		s := Scaler{Fit: c.fit}
		err := s.ToI420(c.dst, c.src)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want %v containing %q", c.name, err, c.want, c.msg)
		}
	}
}

// randomPicture is an opaque picture of random colours.
func randomPicture(r *rand.Rand, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(r.Uint32())
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	return img
}

func scaled(t testing.TB, s *Scaler, fw, fh int, src image.Image) *image.YCbCr {
	t.Helper()
	dst := image.NewYCbCr(image.Rect(0, 0, fw, fh), image.YCbCrSubsampleRatio420)
	if err := s.ToI420(dst, src); err != nil {
		t.Fatal(err)
	}
	return dst
}

func sameI420(a, b *image.YCbCr) bool {
	return bytes.Equal(a.Y, b.Y) && bytes.Equal(a.Cb, b.Cb) && bytes.Equal(a.Cr, b.Cr)
}

// TestScalerTypesAgree: the same picture as RGBA, NRGBA, 4:2:0 YCbCr, a
// sub-image with a wider stride, or an image type the scaler does not
// know, odd sizes included, scales to the same samples; and a picture of
// the frame's size converts as ToI420 converts it.
func TestScalerTypesAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, size := range []image.Point{{641, 359}, {640, 360}, {97, 203}, {1920, 1080}, {320, 180}} {
		src := randomPicture(r, size.X, size.Y)
		var ref *image.YCbCr
		for name, img := range asTypes(src) {
			got := scaled(t, &Scaler{}, 320, 180, img)
			if ref == nil {
				ref = got
			} else if !sameI420(got, ref) {
				t.Fatalf("%v: %s differs from another type", size, name)
			}
		}
		big := image.NewRGBA(image.Rect(0, 0, size.X+9, size.Y+3))
		for y := 0; y < size.Y; y++ {
			copy(big.Pix[(y+1)*big.Stride+4*5:], src.Pix[y*src.Stride:(y+1)*src.Stride])
		}
		sub := big.SubImage(image.Rect(5, 1, 5+size.X, 1+size.Y))
		if got := scaled(t, &Scaler{}, 320, 180, sub); !sameI420(got, ref) {
			t.Fatalf("%v: a sub-image differs", size)
		}
		if size == image.Pt(320, 180) {
			want := image.NewYCbCr(image.Rect(0, 0, 320, 180), image.YCbCrSubsampleRatio420)
			if err := ToI420(want, src); err != nil || !sameI420(ref, want) {
				t.Fatalf("same size: differs from ToI420 (%v)", err)
			}
		}
	}
}

// TestScalerSizeChanges: one Scaler given pictures whose size changes
// back and forth gives what a new Scaler gives each time.
func TestScalerSizeChanges(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	var s Scaler
	pics := []*image.RGBA{randomPicture(r, 640, 480), randomPicture(r, 1280, 534), randomPicture(r, 641, 359), randomPicture(r, 320, 180)}
	for i := 0; i < 12; i++ {
		src := pics[(i*i+i/3)%len(pics)]
		want := scaled(t, &Scaler{}, 320, 180, src)
		if got := scaled(t, &s, 320, 180, src); !sameI420(got, want) {
			t.Fatalf("step %d (%v): differs from a new Scaler", i, src.Rect.Size())
		}
	}
	// And a frame of another size.
	src := pics[0]
	if got, want := scaled(t, &s, 160, 90, src), scaled(t, &Scaler{}, 160, 90, src); !sameI420(got, want) {
		t.Fatal("another frame size: differs from a new Scaler")
	}
}

// TestScalerNoAliasing shrinks a one-pixel checkerboard and one-pixel
// stripes, the worst case for aliasing: every sample of the result must
// stay near mid-grey. Plain bilinear sampling (a filter one source
// sample wide whatever the scale) turns them into coarse patterns that
// swing 27 levels or more either side of grey, up to black and white at
// 3x; point sampling is worse.
func TestScalerNoAliasing(t *testing.T) {
	for _, c := range []struct {
		name   string
		w, h   int
		on     func(x, y int) bool
		fw, fh int
		swing  int // largest distance from the mean allowed
	}{
		{"stripes 1.5x", 1920, 1080, func(x, y int) bool { return x%2 == 0 }, 1280, 720, 14},
		{"checker 1.5x", 1920, 1080, func(x, y int) bool { return (x+y)%2 == 0 }, 1280, 720, 6},
		{"checker 3x", 1920, 1080, func(x, y int) bool { return (x+y)%2 == 0 }, 640, 360, 6},
		{"stripes 2.5x", 1600, 900, func(x, y int) bool { return y%2 == 0 }, 640, 360, 8},
	} {
		src := image.NewRGBA(image.Rect(0, 0, c.w, c.h))
		for y := 0; y < c.h; y++ {
			for x := 0; x < c.w; x++ {
				v := uint8(0)
				if c.on(x, y) {
					v = 255
				}
				src.SetRGBA(x, y, color.RGBA{v, v, v, 255})
			}
		}
		dst := scaled(t, &Scaler{}, c.fw, c.fh, src)
		// Away from the edges, where the repeated edge sample shifts the
		// balance.
		lo, hi := 255, 0
		for y := 4; y < c.fh-4; y++ {
			for x := 4; x < c.fw-4; x++ {
				v := int(dst.Y[y*dst.YStride+x])
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		mid := (16 + 235) / 2
		if mid-lo > c.swing || hi-mid > c.swing {
			t.Errorf("%s: luma from %d to %d, want within %d of %d", c.name, lo, hi, c.swing, mid)
		}
	}
}

// TestScalerAllocs: once sizes are stable a picture costs no allocation,
// for each input type and for odd sizes.
func TestScalerAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	for _, size := range []image.Point{{1920, 1080}, {641, 359}} {
		for name, img := range asTypes(randomPicture(r, size.X, size.Y)) {
			if name == "generic" {
				continue // goes through color.Color, which allocates
			}
			var s Scaler
			dst := image.NewYCbCr(image.Rect(0, 0, 1280, 720), image.YCbCrSubsampleRatio420)
			if n := testing.AllocsPerRun(5, func() {
				if err := s.ToI420(dst, img); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Errorf("%v %s: %v allocations per picture", size, name, n)
			}
		}
	}
}
