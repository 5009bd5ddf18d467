package capture

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// maxFreeImageBuffers bounds the spare copy buffers a VideoPush keeps. In
// steady state three are in use (held by the reader, pending, being
// written); the spares only matter when several goroutines copy at once.
const maxFreeImageBuffers = 4

// VideoPushStats counts frames through a VideoPush or a LatestSource.
type VideoPushStats struct {
	// Written is the number of frames accepted from the producer.
	Written int64
	// Read is the number of frames handed to the reader.
	Read int64
	// Superseded is the number of frames replaced by a newer one before
	// they were read. A producer faster than the publisher's frame rate
	// makes this grow, which is the intended behaviour, not a fault.
	Superseded int64
}

// VideoPush is a VideoSource fed by a program that owns its loop (a game,
// a simulation): the program writes images when it has them and the
// publisher reads at its own frame rate.
//
// Only the newest frame is kept. Frames written between two reads are
// replaced and counted in Stats().Superseded, because an ingest server
// wants a steady frame rate and a late frame is worth less than the
// current one; queuing would only add latency. A read whose frame is due
// later (Due) waits until then before it picks the newest frame.
//
// Writes are safe from any goroutine. ReadFrame is meant for one reader,
// the publisher: the frame it returns stays valid until the next
// ReadFrame call.
type VideoPush struct {
	wake chan struct{} // capacity 1: a write wakes a waiting reader
	done chan struct{} // closed by Close

	// The reader's timer, for waiting until a frame is due; made once,
	// so that waiting allocates nothing.
	rmu   sync.Mutex
	timer *time.Timer

	mu      sync.Mutex
	pending Frame
	pendBuf *imageBuffer // storage of pending.Image when it is a copy
	hasPend bool
	heldBuf *imageBuffer // storage of the frame the reader holds
	free    []*imageBuffer
	closed  bool
	started bool
	start   time.Time // first write, origin of the PTS of unstamped frames
	stats   VideoPushStats
}

// NewVideoPush returns an open VideoPush with no frame pending.
func NewVideoPush() *VideoPush {
	return &VideoPush{
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
}

// WriteVideo makes f the newest frame. f.PTS is the frame's media time,
// which a publisher in timestamped mode keeps (it is ignored at a
// constant frame rate); a zero PTS stamps the frame with the time elapsed
// since the first frame written.
//
// The push keeps a reference to f.Image: the caller must not modify it
// afterwards, since the publisher may be encoding it at any moment. A
// program that draws into the same image every frame uses
// WriteVideoCopy.
//
// It returns an error wrapping ErrNilImage for a frame without an image
// and ErrClosed after Close.
func (p *VideoPush) WriteVideo(f Frame) error {
	if f.Image == nil {
		return fmt.Errorf("%w: WriteVideo needs an image to publish", ErrNilImage)
	}
	return p.put(f, nil)
}

// WriteVideoCopy is WriteVideo for a caller that reuses its image:
// f.Image is copied before WriteVideoCopy returns, so the caller may draw
// into it again at once. The copy goes into buffers owned by the push and
// reused, so *image.RGBA and *image.YCbCr images of a steady size cost no
// allocation per frame. Other image types are converted to *image.RGBA.
func (p *VideoPush) WriteVideoCopy(f Frame) error {
	if f.Image == nil {
		return fmt.Errorf("%w: WriteVideoCopy needs an image to publish", ErrNilImage)
	}
	return p.writeCopy(f)
}

func (p *VideoPush) writeCopy(f Frame) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return p.errClosed()
	}
	var buf *imageBuffer
	if n := len(p.free); n > 0 {
		buf = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		buf = new(imageBuffer)
	}
	p.mu.Unlock()

	// The copy runs outside the lock so a large frame never delays the
	// reader; buf belongs to this call alone until put publishes it.
	f.Image = buf.copyFrom(f.Image)
	return p.put(f, buf)
}

func (p *VideoPush) put(f Frame, buf *imageBuffer) error {
	now := time.Now()
	p.mu.Lock()
	if p.closed {
		p.recycle(buf)
		p.mu.Unlock()
		return p.errClosed()
	}
	if !p.started {
		p.started, p.start = true, now
	}
	if f.PTS == 0 {
		f.PTS = now.Sub(p.start)
	}
	if p.hasPend {
		p.stats.Superseded++
		p.recycle(p.pendBuf)
	}
	p.pending, p.pendBuf, p.hasPend = f, buf, true
	p.stats.Written++
	p.mu.Unlock()

	select {
	case p.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	return nil
}

// recycle returns a copy buffer to the free list. Called with p.mu held.
func (p *VideoPush) recycle(buf *imageBuffer) {
	if buf != nil && len(p.free) < maxFreeImageBuffers {
		p.free = append(p.free, buf)
	}
}

func (p *VideoPush) errClosed() error {
	return fmt.Errorf("%w: video push: write after Close", ErrClosed)
}

// ReadFrame returns the newest frame not yet returned, waiting for one if
// none is pending. When the frame asked for is due later (Due), it first
// waits until then, so that the frame it returns is the newest at that
// moment. After Close it returns the frame still pending, if any, then
// io.EOF. The context bounds the waits only.
func (p *VideoPush) ReadFrame(ctx context.Context) (Frame, error) {
	if due, ok := Due(ctx); ok {
		if err := p.waitUntil(ctx, due); err != nil {
			return Frame{}, err
		}
	}
	for {
		p.mu.Lock()
		if p.hasPend {
			f := p.pending
			// The frame returned last time is no longer in use: the
			// reader asks for the next frame only after it is done.
			p.recycle(p.heldBuf)
			p.heldBuf, p.pendBuf = p.pendBuf, nil
			p.pending, p.hasPend = Frame{}, false
			p.stats.Read++
			p.mu.Unlock()
			return f, nil
		}
		closed := p.closed
		p.mu.Unlock()
		if closed {
			return Frame{}, io.EOF
		}
		select {
		case <-p.wake:
		case <-p.done:
		case <-ctx.Done():
			return Frame{}, ctx.Err()
		}
	}
}

// waitUntil waits until t, the context's end or Close.
func (p *VideoPush) waitUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	p.rmu.Lock()
	defer p.rmu.Unlock()
	if p.timer == nil {
		p.timer = time.NewTimer(d)
	} else {
		p.timer.Reset(d)
	}
	defer p.timer.Stop()
	select {
	case <-p.timer.C:
		return nil
	case <-p.done:
		return nil // nothing newer can come: the pending frame goes now
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close ends the source: writes fail with ErrClosed and ReadFrame returns
// io.EOF once the pending frame, if any, was read. Close is idempotent,
// safe from any goroutine, and always returns nil.
func (p *VideoPush) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		close(p.done)
	}
	return nil
}

// Stats returns a snapshot of the frame counters.
func (p *VideoPush) Stats() VideoPushStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}
