package capture

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// randomYCbCr returns a YCbCr image over r with random samples.
func randomYCbCr(r image.Rectangle, ratio image.YCbCrSubsampleRatio, rng *rand.Rand) *image.YCbCr {
	img := image.NewYCbCr(r, ratio)
	for _, p := range [][]byte{img.Y, img.Cb, img.Cr} {
		for i := range p {
			p[i] = byte(rng.IntN(256))
		}
	}
	return img
}

func TestImageBufferCopy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	big := image.Rect(-3, -5, 37, 29)
	odd := image.Rect(1, 3, 18, 16) // odd origin and size: chroma edges
	var cases []struct {
		name string
		img  image.Image
	}
	add := func(name string, img image.Image) {
		cases = append(cases, struct {
			name string
			img  image.Image
		}{name, img})
	}
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		full := randomYCbCr(big, ratio, rng)
		add("YCbCr "+ratio.String(), full)
		add("YCbCr sub-image "+ratio.String(), full.SubImage(odd))
	}
	rgba := image.NewRGBA(big)
	for i := range rgba.Pix {
		rgba.Pix[i] = byte(rng.IntN(256))
	}
	add("RGBA", rgba)
	add("RGBA sub-image", rgba.SubImage(odd))
	gray := image.NewGray(odd)
	for i := range gray.Pix {
		gray.Pix[i] = byte(rng.IntN(256))
	}
	add("Gray, converted", gray)
	add("empty RGBA", image.NewRGBA(image.Rect(0, 0, 0, 0)))

	var b imageBuffer
	for _, tt := range cases {
		got := b.copyFrom(tt.img)
		if got.Bounds() != tt.img.Bounds() {
			t.Errorf("%s: bounds %v, want %v", tt.name, got.Bounds(), tt.img.Bounds())
			continue
		}
		if _, ok := tt.img.(*image.YCbCr); ok {
			if _, ok := got.(*image.YCbCr); !ok {
				t.Errorf("%s: copied as %T, want *image.YCbCr", tt.name, got)
			}
		}
		r := tt.img.Bounds()
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				w := color.RGBA64Model.Convert(tt.img.At(x, y))
				if g := color.RGBA64Model.Convert(got.At(x, y)); g != w {
					t.Fatalf("%s: pixel (%d,%d) = %v, want %v", tt.name, x, y, g, w)
				}
			}
		}
	}
}
