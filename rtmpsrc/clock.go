package rtmpsrc

import (
	"context"
	"sync"
	"time"
)

// mediaClock relates stream time (0 when the stream starts, StartTime
// left out) to the wall clock, for live sinks. A file-only stream is not
// paced: its clock never waits.
type mediaClock struct {
	live  bool
	start time.Time
}

// pacer waits for a mediaClock with a timer of its own, reused, so that
// waiting allocates nothing. Each goroutine that waits has one.
type pacer struct {
	clock *mediaClock
	timer *time.Timer
}

func (c *mediaClock) pacer() *pacer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &pacer{clock: c, timer: t}
}

// wait sleeps until stream time t is due; it returns at once for files.
func (p *pacer) wait(ctx context.Context, t time.Duration) error {
	if !p.clock.live {
		return ctx.Err()
	}
	d := time.Until(p.clock.start.Add(t))
	if d <= 0 {
		return ctx.Err()
	}
	p.timer.Reset(d)
	defer p.timer.Stop()
	select {
	case <-p.timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// at is the wall time when stream time t is due.
func (c *mediaClock) at(t time.Duration) time.Time { return c.start.Add(t) }

// elapsed is the wall time since the start, as stream time.
func (c *mediaClock) elapsed() time.Duration { return time.Since(c.start) }

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
	// moved wakes the one goroutine that waits (the audio loop) when t or
	// ended changes. A channel of capacity 1, kept for good rather than
	// closed and replaced, so that a moving horizon allocates nothing.
	moved chan struct{}
	done  chan struct{} // closed by end
}

func newVideoHorizon() *videoHorizon {
	return &videoHorizon{moved: make(chan struct{}, 1), done: make(chan struct{})}
}

// over is closed when the picture ends.
func (h *videoHorizon) over() <-chan struct{} { return h.done }

func (h *videoHorizon) wake() {
	select {
	case h.moved <- struct{}{}:
	default:
	}
}

// advance moves the horizon to t (never back).
func (h *videoHorizon) advance(t time.Duration) {
	h.mu.Lock()
	moved := t > h.t
	if moved {
		h.t = t
	}
	h.mu.Unlock()
	if moved {
		h.wake()
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
	h.wake()
}

// get returns the horizon and whether the picture is over.
func (h *videoHorizon) get() (time.Duration, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.t, h.ended
}

// wait blocks until the horizon reaches t or the picture is over, and
// returns the horizon then. One goroutine at a time may wait.
func (h *videoHorizon) wait(ctx context.Context, t time.Duration) (time.Duration, bool, error) {
	for {
		cur, ended := h.get()
		if ended || cur >= t {
			return cur, ended, nil
		}
		select {
		case <-h.moved:
		case <-ctx.Done():
			return cur, ended, ctx.Err()
		}
	}
}
