package capture

import (
	"context"
	"fmt"
	"image"
	"io"
	"sync"
	"time"
)

// maxFreeImageBuffers bounds the spare copy buffers a VideoPush keeps. In
// steady state three are in use (held by the reader, pending, being
// written); the spares only matter when several goroutines copy at once.
const maxFreeImageBuffers = 4

// VideoStats counts frames through a latest-wins video adapter.
type VideoStats struct {
	// Written is the number of frames accepted from the producer.
	Written uint64
	// Read is the number of frames handed to the reader.
	Read uint64
	// Superseded is the number of frames replaced by a newer one before
	// they were read. A producer faster than the publisher's frame rate
	// makes this grow, which is the intended behaviour, not a fault.
	Superseded uint64
}

// VideoPush is a VideoSource fed by a program that owns its loop (a game,
// a simulation): the program writes images when it has them and the
// publisher reads at its own frame rate.
//
// Only the newest frame is kept. Frames written between two reads are
// replaced and counted in Stats().Superseded, because an ingest server
// wants a steady frame rate and a late frame is worth less than the
// current one; queuing would only add latency.
//
// Writes are safe from any goroutine. ReadFrame is meant for one reader,
// the publisher: the frame it returns stays valid until the next
// ReadFrame call.
type VideoPush struct {
	wake chan struct{} // capacity 1: a write wakes a waiting reader
	done chan struct{} // closed by Close

	mu      sync.Mutex
	pending Frame
	pendBuf *imageBuffer // storage of pending.Image when it is a copy
	hasPend bool
	heldBuf *imageBuffer // storage of the frame the reader holds
	free    []*imageBuffer
	closed  bool
	started bool
	start   time.Time // first stamped write, origin of WriteVideo PTS
	stats   VideoStats
}

// NewVideoPush returns an open VideoPush with no frame pending.
func NewVideoPush() *VideoPush {
	return &VideoPush{
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
}

// WriteVideo makes img the newest frame. Its PTS is the time elapsed
// since the first frame written with WriteVideo or WriteVideoCopy, which
// serves a publisher in timestamped mode; in constant-frame-rate mode the
// PTS is ignored.
//
// The push keeps a reference to img: the caller must not modify it
// afterwards, since the publisher may be encoding it at any moment. A
// program that draws into the same image every frame uses WriteVideoCopy.
//
// It returns an error wrapping ErrNilImage for a nil image and ErrClosed
// after Close.
func (p *VideoPush) WriteVideo(img image.Image) error {
	if img == nil {
		return fmt.Errorf("%w: WriteVideo needs an image to publish", ErrNilImage)
	}
	return p.put(img, 0, true, nil)
}

// WriteVideoAt is WriteVideo for a producer that stamps its own frames:
// pts is the media time of img. The same ownership rule applies.
func (p *VideoPush) WriteVideoAt(img image.Image, pts time.Duration) error {
	if img == nil {
		return fmt.Errorf("%w: WriteVideoAt (pts %v) needs an image to publish", ErrNilImage, pts)
	}
	return p.put(img, pts, false, nil)
}

// WriteVideoCopy is WriteVideo for a caller that reuses its image: img is
// copied before WriteVideoCopy returns, so the caller may draw into it
// again at once. The copy goes into buffers owned by the push and reused,
// so *image.RGBA and *image.YCbCr images of a steady size cost no
// allocation per frame. Other image types are converted to *image.RGBA.
func (p *VideoPush) WriteVideoCopy(img image.Image) error {
	if img == nil {
		return fmt.Errorf("%w: WriteVideoCopy needs an image to publish", ErrNilImage)
	}
	return p.writeCopy(img, 0, true)
}

// WriteVideoCopyAt is WriteVideoCopy with the producer's own timestamp.
func (p *VideoPush) WriteVideoCopyAt(img image.Image, pts time.Duration) error {
	if img == nil {
		return fmt.Errorf("%w: WriteVideoCopyAt (pts %v) needs an image to publish", ErrNilImage, pts)
	}
	return p.writeCopy(img, pts, false)
}

func (p *VideoPush) writeCopy(img image.Image, pts time.Duration, stamp bool) error {
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
	return p.put(buf.copyFrom(img), pts, stamp, buf)
}

func (p *VideoPush) put(img image.Image, pts time.Duration, stamp bool, buf *imageBuffer) error {
	now := time.Now()
	p.mu.Lock()
	if p.closed {
		p.recycle(buf)
		p.mu.Unlock()
		return p.errClosed()
	}
	if stamp {
		if !p.started {
			p.started, p.start = true, now
		}
		pts = now.Sub(p.start)
	}
	if p.hasPend {
		p.stats.Superseded++
		p.recycle(p.pendBuf)
	}
	p.pending, p.pendBuf, p.hasPend = Frame{Image: img, PTS: pts}, buf, true
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
// none is pending. After Close it returns the frame still pending, if
// any, then io.EOF. The context bounds the wait only.
func (p *VideoPush) ReadFrame(ctx context.Context) (Frame, error) {
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

// NewestOnly marks VideoPush as a NewestOnlySource.
func (p *VideoPush) NewestOnly() {}

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
func (p *VideoPush) Stats() VideoStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}
