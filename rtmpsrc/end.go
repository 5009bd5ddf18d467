package rtmpsrc

import (
	"context"
	"sync"
	"time"
)

// EndPolicy says when a stream with both a picture and a sound is over.
// A stream with one source ends when that source ends (io.EOF).
type EndPolicy int

const (
	// EndWithVideo ends the stream when the video source ends: the audio
	// is cut at the end of the last picture (its time plus one frame
	// interval), flushed, and the stream unpublished. An endless audio
	// source, such as capture.Tone, therefore never keeps a finished
	// picture going. If the audio source ends first, the stream goes on
	// with video alone. This is the default.
	EndWithVideo EndPolicy = iota
	// EndWithBoth ends the stream when both sources have ended: once the
	// picture ends, the stream goes on with audio alone until the audio
	// source ends too.
	EndWithBoth
)

func (e EndPolicy) String() string {
	switch e {
	case EndWithVideo:
		return "EndWithVideo"
	case EndWithBoth:
		return "EndWithBoth"
	}
	return "EndPolicy(?)"
}

// videoHorizon tells the audio side how far the picture has got, as
// media time: the end of the latest picture taken (its time plus one
// frame interval). Audio is never encoded past it while the picture goes
// on, so that audio does not queue far ahead of video when the sources
// run faster than real time, and a stream that ends with its picture
// ends its sound at the same instant.
type videoHorizon struct {
	mu    sync.Mutex
	t     time.Duration
	ended bool
	moved chan struct{} // closed and replaced whenever t or ended changes
	done  chan struct{} // closed by end
}

func newVideoHorizon() *videoHorizon {
	return &videoHorizon{moved: make(chan struct{}), done: make(chan struct{})}
}

// over is closed when the picture ends.
func (h *videoHorizon) over() <-chan struct{} { return h.done }

// advance moves the horizon to t (never back).
func (h *videoHorizon) advance(t time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t > h.t {
		h.t = t
		close(h.moved)
		h.moved = make(chan struct{})
	}
}

// end marks the picture as over at t.
func (h *videoHorizon) end(t time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ended {
		return
	}
	h.t, h.ended = t, true
	close(h.done)
	close(h.moved)
	h.moved = make(chan struct{})
}

// get returns the horizon and whether the picture is over.
func (h *videoHorizon) get() (time.Duration, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.t, h.ended
}

// wait blocks until the horizon reaches t or the picture is over, and
// returns the horizon then.
func (h *videoHorizon) wait(ctx context.Context, t time.Duration) (time.Duration, bool, error) {
	for {
		h.mu.Lock()
		cur, ended, moved := h.t, h.ended, h.moved
		h.mu.Unlock()
		if ended || cur >= t {
			return cur, ended, nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return cur, ended, ctx.Err()
		}
	}
}
