// Package scene draws the demo's picture: a large frame counter, the media
// time and a moving bar, or a white flash for the lip-sync pattern. The
// demo and the benchmark harness stream the same picture.
package scene

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Scene draws every picture into one buffer: a publisher is done with a
// picture (it has copied it) before it asks for the next one, as
// capture.Frame's contract says, so the next picture may be drawn over
// it.
type Scene struct {
	w, h, fps  int
	flash      bool
	big, small font.Face
	buf        *image.RGBA
	bg         *image.Uniform
}

// New returns a scene of w×h pictures at fps. With flash, the picture is
// white for the first 100 ms of every second of media time.
func New(w, h, fps int, flash bool) (*Scene, error) {
	if w < 64 || h < 64 {
		return nil, fmt.Errorf("-size %dx%d is too small to draw on (at least 64x64)", w, h)
	}
	f, err := opentype.Parse(gomonobold.TTF)
	if err != nil {
		return nil, err
	}
	big, err := opentype.NewFace(f, &opentype.FaceOptions{Size: float64(h) / 4, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	small, err := opentype.NewFace(f, &opentype.FaceOptions{Size: float64(h) / 12, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	s := &Scene{w: w, h: h, fps: fps, flash: flash, big: big, small: small,
		bg: image.NewUniform(color.RGBA{16, 24, 48, 255})}
	s.buf = image.NewRGBA(image.Rect(0, 0, w, h))
	return s, nil
}

// Draw makes picture i, shown at media time i/fps. It is valid until the
// next call.
func (s *Scene) Draw(i int) image.Image {
	img := s.buf
	t := time.Duration(i) * time.Second / time.Duration(s.fps)
	if s.flash && t%time.Second < 100*time.Millisecond {
		draw.Draw(img, img.Rect, image.White, image.Point{}, draw.Src)
		return img
	}
	draw.Draw(img, img.Rect, s.bg, image.Point{}, draw.Src)

	// A bar that crosses the picture every two seconds.
	period := 2 * s.fps
	x := (i % period) * (s.w - s.w/16) / period
	draw.Draw(img, image.Rect(x, s.h*7/8, x+s.w/16, s.h*15/16), image.NewUniform(color.RGBA{255, 160, 0, 255}), image.Point{}, draw.Src)

	s.text(img, s.big, fmt.Sprintf("%d", i), s.h/2, color.White)
	s.text(img, s.small, FormatMediaTime(t), s.h*3/4, color.RGBA{180, 200, 255, 255})
	return img
}

// text draws str centred horizontally with its baseline at y.
func (s *Scene) text(img *image.RGBA, face font.Face, str string, y int, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face}
	width := d.MeasureString(str)
	d.Dot = fixed.Point26_6{X: (fixed.I(s.w) - width) / 2, Y: fixed.I(y)}
	d.DrawString(str)
}

// FormatMediaTime writes a media time as hh:mm:ss.mmm.
func FormatMediaTime(d time.Duration) string {
	h := d / time.Hour
	m := d % time.Hour / time.Minute
	sec := d % time.Minute
	return fmt.Sprintf("%02d:%02d:%06.3f", h, m, sec.Seconds())
}
