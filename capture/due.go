package capture

import (
	"context"
	"time"
)

type dueKey struct{}

// WithDue returns a copy of ctx that tells a video source when the frame
// it is asked for is due: Due(ctx) returns due() each time it is called.
// A publisher makes one such context per reading goroutine and changes
// what due returns from frame to frame, so that asking costs no
// allocation. due must be safe to call from the source's goroutine.
func WithDue(ctx context.Context, due func() time.Time) context.Context {
	return context.WithValue(ctx, dueKey{}, due)
}

// Due reports when the frame asked for with ctx is due on the wall clock,
// if the caller said so (WithDue). A publisher streaming live at a
// constant frame rate says so; a file, which runs as fast as the encoder,
// and timestamped mode do not. A source that keeps only its newest
// picture waits until then before it picks one.
func Due(ctx context.Context) (time.Time, bool) {
	f, ok := ctx.Value(dueKey{}).(func() time.Time)
	if !ok {
		return time.Time{}, false
	}
	return f(), true
}
