package capture

import (
	"context"
	"image"
	"io"
	"sync"
)

// Images returns a VideoSource that draws on demand: each ReadFrame calls
// fn with the next index (0, 1, 2, …) and returns its image. fn returning
// nil ends the source with io.EOF; fn is not called again after that.
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
	s.next++
	return Frame{Image: img}, nil
}
