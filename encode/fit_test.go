package encode

import (
	"errors"
	"image"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestFitPlace(t *testing.T) {
	hd := image.Pt(1280, 720)
	for _, c := range []struct {
		fit       Fit
		src, want image.Point // want: the rectangle's Min
		size      image.Point
	}{
		// Same size: the whole frame, whatever the policy.
		{FitLetterbox, hd, image.Pt(0, 0), hd},
		{FitReject, hd, image.Pt(0, 0), hd},
		// The same aspect ratio fills the frame.
		{FitLetterbox, image.Pt(1920, 1080), image.Pt(0, 0), hd},
		{FitLetterbox, image.Pt(640, 360), image.Pt(0, 0), hd},
		// 4:3 in 16:9: 960 wide, 160 either side.
		{FitLetterbox, image.Pt(640, 480), image.Pt(160, 0), image.Pt(960, 720)},
		// 2.4:1 in 16:9: 1280x534, (720-534)/2 = 93 rounded down to 92.
		{FitLetterbox, image.Pt(1280, 534), image.Pt(0, 92), image.Pt(1280, 534)},
		// A phone held upright: 720*720/1280 = 405 rounds to 406; (1280-406)/2 = 437 → 436.
		{FitLetterbox, image.Pt(720, 1280), image.Pt(436, 0), image.Pt(406, 720)},
		// Odd: 1280*359/641 = 716.9 → 716, so 2 above and 2 below.
		{FitLetterbox, image.Pt(641, 359), image.Pt(0, 2), image.Pt(1280, 716)},
		// Extremes keep at least 2 samples.
		{FitLetterbox, image.Pt(4000, 2), image.Pt(0, 358), image.Pt(1280, 2)},
		{FitLetterbox, image.Pt(1, 5000), image.Pt(638, 0), image.Pt(2, 720)}, // (1280-2)/2 = 639 → 638
		{FitStretch, image.Pt(640, 480), image.Pt(0, 0), hd},
		{FitStretch, image.Pt(641, 359), image.Pt(0, 0), hd},
		// Nothing fits when refusing, or from nothing.
		{FitReject, image.Pt(640, 480), image.Pt(0, 0), image.Pt(0, 0)},
		{FitLetterbox, image.Pt(0, 480), image.Pt(0, 0), image.Pt(0, 0)},
	} {
		got := c.fit.Place(c.src, hd)
		want := image.Rectangle{Min: c.want, Max: c.want.Add(c.size)}
		if got != want {
			t.Errorf("%v %v in %v: %v, want %v", c.fit, c.src, hd, got, want)
		}
	}
}

// TestFitPlaceProperties checks, over random sizes, that a letterboxed
// picture lies inside the frame on even pixels, fills one dimension, is
// centred to within an even step, and keeps its aspect ratio to within
// the rounding to even sizes.
func TestFitPlaceProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for i := 0; i < 20000; i++ {
		src := image.Pt(1+r.IntN(5000), 1+r.IntN(5000))
		frame := image.Pt(2*(1+r.IntN(1000)), 2*(1+r.IntN(1000)))
		p := FitLetterbox.Place(src, frame)
		if !p.In(image.Rectangle{Max: frame}) || p.Empty() {
			t.Fatalf("%v in %v: %v is not inside", src, frame, p)
		}
		for _, v := range []int{p.Min.X, p.Min.Y, p.Max.X, p.Max.Y} {
			if v%2 != 0 {
				t.Fatalf("%v in %v: %v has an odd edge", src, frame, p)
			}
		}
		if p.Dx() != frame.X && p.Dy() != frame.Y {
			t.Fatalf("%v in %v: %v fills neither dimension", src, frame, p)
		}
		left, right := p.Min.X, frame.X-p.Max.X
		top, bottom := p.Min.Y, frame.Y-p.Max.Y
		if right-left < 0 || right-left > 2 || bottom-top < 0 || bottom-top > 2 {
			t.Fatalf("%v in %v: %v is not centred", src, frame, p)
		}
		// The free side is within one sample of the exact size, unless
		// the 2-sample minimum or the frame itself limited it.
		if p.Dx() == frame.X {
			exact := float64(frame.X) * float64(src.Y) / float64(src.X)
			if d := float64(p.Dy()) - exact; (d > 1 || d < -1) && p.Dy() != 2 && p.Dy() != frame.Y {
				t.Fatalf("%v in %v: height %d, exact %.2f", src, frame, p.Dy(), exact)
			}
		} else {
			exact := float64(frame.Y) * float64(src.X) / float64(src.Y)
			if d := float64(p.Dx()) - exact; (d > 1 || d < -1) && p.Dx() != 2 {
				t.Fatalf("%v in %v: width %d, exact %.2f", src, frame, p.Dx(), exact)
			}
		}
	}
}

func TestFitValidate(t *testing.T) {
	for _, f := range []Fit{FitLetterbox, FitStretch, FitReject} {
		if err := f.Validate(); err != nil {
			t.Errorf("%v: %v", f, err)
		}
	}
	for _, f := range []Fit{-1, 3, 100} {
		err := f.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "fit policy") {
			t.Errorf("Fit(%d): %v", int(f), err)
		}
		if got := f.String(); !strings.HasPrefix(got, "Fit(") {
			t.Errorf("Fit(%d).String() = %q", int(f), got)
		}
	}
}
