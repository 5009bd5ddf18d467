package encode

import (
	"fmt"
	"image"
)

// Fit says how a picture whose size differs from the encoder's is made to
// fit it. Its zero value, FitLetterbox, is the default.
type Fit int

const (
	// FitLetterbox scales the picture to the largest size that fits the
	// frame with its aspect ratio kept, centred on black: bars above and
	// below a wider picture (letterbox), at the sides of a taller one
	// (pillarbox). The picture and the bars start and end on even
	// pixels, so that the 4:2:0 chroma lines up with them. This is the
	// default.
	FitLetterbox Fit = iota
	// FitStretch scales the picture to fill the frame; a picture of
	// another aspect ratio is distorted.
	FitStretch
	// FitReject refuses a picture of another size with ErrImageSize.
	FitReject
)

func (f Fit) String() string {
	switch f {
	case FitLetterbox:
		return "FitLetterbox"
	case FitStretch:
		return "FitStretch"
	case FitReject:
		return "FitReject"
	}
	return fmt.Sprintf("Fit(%d)", int(f))
}

// Validate reports a Fit that is none of the constants, wrapping ErrConfig.
func (f Fit) Validate() error {
	switch f {
	case FitLetterbox, FitStretch, FitReject:
		return nil
	}
	return fmt.Errorf("%w: unknown fit policy %d (want FitLetterbox, FitStretch or FitReject)", ErrConfig, int(f))
}

// Place returns where a picture of size src lands in a frame of size
// frame: the whole frame for a picture of the frame's size or with
// FitStretch, the centred rectangle of FitLetterbox, and an empty
// rectangle for FitReject (or an empty src) when the sizes differ. A
// program can use it to map positions in its picture to positions in the
// stream.
//
// With FitLetterbox the scaled side is rounded to the nearest even size
// (at least 2) and each offset is half the space left, rounded down to
// an even number: a 640x480 picture in a 1280x720 frame lands at
// (160,0)-(1120,720), a 1280x534 one at (0,92)-(1280,626).
func (f Fit) Place(src, frame image.Point) image.Rectangle {
	full := image.Rectangle{Max: frame}
	switch {
	case src == frame:
		return full
	case src.X <= 0 || src.Y <= 0 || frame.X <= 0 || frame.Y <= 0 || f == FitReject:
		return image.Rectangle{}
	case f == FitStretch:
		return full
	}
	// Compare the aspect ratios in integers: src.X/src.Y against
	// frame.X/frame.Y. Sizes are far below 2^31, so products fit.
	sx, sy, fx, fy := int64(src.X), int64(src.Y), int64(frame.X), int64(frame.Y)
	if sx*fy >= sy*fx { // as wide as the frame or wider: bars above and below
		h := evenRound(fx*sy, sx, frame.Y)
		y := (frame.Y - h) / 2 &^ 1
		return image.Rect(0, y, frame.X, y+h)
	}
	w := evenRound(fy*sx, sy, frame.X)
	x := (frame.X - w) / 2 &^ 1
	return image.Rect(x, 0, x+w, frame.Y)
}

// evenRound is num/den rounded to the nearest even number (halves up),
// kept within [2, limit].
func evenRound(num, den int64, limit int) int {
	v := int((num + den) / (2 * den) * 2)
	return min(max(v, 2), limit)
}
