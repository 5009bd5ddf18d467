package capture

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"io"
	"sync"
)

// Images returns a VideoSource that draws on demand: each ReadFrame calls
// fn with the next index (0, 1, 2, …) and returns its image. fn returning
// nil ends the source with io.EOF; fn is not called again after that. fn
// returning Unchanged repeats the image it returned last, as a Frame with
// Unchanged set, which the publisher sends as a skip frame; frame 0 must
// be an image.
//
// The publisher asks for one frame per output frame interval, so fn is
// called exactly once per output frame and i is the frame number; the
// frames carry no PTS of their own. fn is never called concurrently.
func Images(fn func(i int) image.Image) VideoSource {
	return &imageSource{fn: fn}
}

type imageSource struct {
	fn func(i int) image.Image

	mu    sync.Mutex
	next  int
	ended bool
}

// ReadFrame calls fn with the next index, unless the context has ended.
func (s *imageSource) ReadFrame(ctx context.Context) (Frame, error) {
	if err := ctx.Err(); err != nil {
		return Frame{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return Frame{}, io.EOF
	}
	img := s.fn(s.next)
	if img == nil {
		s.ended = true
		return Frame{}, io.EOF
	}
	if img == Unchanged {
		if s.next == 0 {
			s.ended = true
			return Frame{}, fmt.Errorf("%w: Images: frame 0 is Unchanged, with no picture before it", ErrNilImage)
		}
		s.next++
		return Frame{Unchanged: true}, nil
	}
	s.next++
	return Frame{Image: img}, nil
}

// Unchanged is what the function given to Images returns to show its last
// picture again: it has drawn nothing new. It is a marker, not a picture
// to encode (its bounds are empty).
var Unchanged image.Image = unchanged{}

type unchanged struct{}

func (unchanged) ColorModel() color.Model { return color.RGBAModel }
func (unchanged) Bounds() image.Rectangle { return image.Rectangle{} }
func (unchanged) At(x, y int) color.Color { return color.RGBA{} }
