package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// LatestSource is a VideoSource that reads another source continuously on
// its own goroutine and keeps only the newest frame, so a producer running
// on its own clock (a camera, a renderer with its own frame rate) never
// waits for the publisher, and the publisher never waits for a stale
// frame. Create it with Latest.
type LatestSource struct {
	push   *VideoPush
	cancel context.CancelFunc
	done   chan struct{} // closed when the reading goroutine has returned

	closeOnce sync.Once
	mu        sync.Mutex
	err       error // why the source ended, if not io.EOF or Close
}

// Latest starts one goroutine that reads src until src ends or Close is
// called. Each frame is copied (see VideoPush.WriteVideoCopy) before src
// is asked for the next one, because src may reuse its image once asked
// again, while the publisher may still be encoding the frame kept here.
//
// ReadFrame returns the newest frame not yet returned; when src ends it
// returns the last pending frame, then io.EOF or src's error. src must
// return when the context passed to its ReadFrame is cancelled, since
// Close cancels it and waits. Latest does not close src.
func Latest(src VideoSource) *LatestSource {
	ctx, cancel := context.WithCancel(context.Background())
	l := &LatestSource{
		push:   NewVideoPush(),
		cancel: cancel,
		done:   make(chan struct{}),
	}
	go l.run(ctx, src)
	return l
}

func (l *LatestSource) run(ctx context.Context, src VideoSource) {
	defer close(l.done)
	// Closing the push only after err is recorded lets a reader that sees
	// io.EOF from the push trust l.err.
	defer l.push.Close()
	for n := uint64(0); ; n++ {
		// Checked here too, for a source that returns frames at once and
		// never looks at its context.
		if ctx.Err() != nil {
			return
		}
		f, err := src.ReadFrame(ctx)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, io.EOF) {
				l.setErr(err)
			}
			return
		}
		if f.Unchanged {
			// Nothing new: the newest picture stays the one pending or
			// last read, and the publisher repeats it on its own.
			continue
		}
		if f.Image == nil {
			l.setErr(fmt.Errorf("%w: wrapped source returned frame %d without an image", ErrNilImage, n))
			return
		}
		if err := l.push.WriteVideoCopy(f); err != nil {
			return // closed
		}
	}
}

func (l *LatestSource) setErr(err error) {
	l.mu.Lock()
	l.err = err
	l.mu.Unlock()
}

// ReadFrame returns the newest frame not yet returned, waiting for one if
// none is pending, and first until the frame is due (Due), as
// VideoPush.ReadFrame does. The frame stays valid until the next
// ReadFrame call. The context bounds the waits only; it does not stop the
// goroutine.
func (l *LatestSource) ReadFrame(ctx context.Context) (Frame, error) {
	f, err := l.push.ReadFrame(ctx)
	if err == io.EOF {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.err != nil {
			return Frame{}, l.err
		}
	}
	return f, err
}

// Close stops the reading goroutine and waits for it to return. A frame
// already pending can still be read, then ReadFrame returns io.EOF. Close
// is idempotent, safe from any goroutine, and always returns nil.
func (l *LatestSource) Close() error {
	l.closeOnce.Do(func() {
		l.cancel()
		<-l.done
	})
	return nil
}

// Stats returns a snapshot of the frame counters: Written counts frames
// read from the wrapped source.
func (l *LatestSource) Stats() VideoPushStats { return l.push.Stats() }
