package rtmpsrc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// sink receives every tag the muxer makes, in DTS order, and takes over
// one reference to its body.
type sink interface {
	writeTag(t tag) error
}

// retained is t with one more reference to its body, for one more sink.
func (t tag) retained() tag {
	t.body.retain()
	return t
}

// fanout hands each tag to the FLV file, if any, and to every live
// destination. The file is written at once; a destination only queues,
// so that one slow or failed destination holds up no other.
//
// It decides when failures end the stream: a required destination that
// fails, or every destination failing, ends it with the cause.
type fanout struct {
	file  *flvFile
	dests []*destination
	end   context.CancelCauseFunc

	mu     sync.Mutex
	failed []error
}

func (f *fanout) writeTag(t tag) error {
	defer t.body.release()
	if f.file != nil {
		if err := f.file.writeTag(t.retained()); err != nil {
			return err
		}
	}
	for _, d := range f.dests {
		d.writeTag(t.retained())
	}
	return nil
}

// destinationFailed is called by a destination that failed for good.
func (f *fanout) destinationFailed(d *destination, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.dests) > 1 {
		err = fmt.Errorf("destination %s: %w", d.name, err)
	}
	f.failed = append(f.failed, err)
	switch {
	case d.required:
		f.end(err)
	case len(f.failed) == len(f.dests):
		f.end(errors.Join(f.failed...))
	default:
		d.log.Warn("rtmpsrc: destination failed; the stream goes on to the others", "destination", d.name, "err", err)
	}
}

// close ends every destination, gracefully (sending what is queued for at
// most drain, then unpublishing) when the stream ended normally or was
// cancelled, and flushes the file. A
// destination that fails while ending counts as failing: the end is an
// error if the file fails, a required destination fails, or no
// destination got through.
func (f *fanout) close(graceful bool, drain time.Duration) error {
	var wg sync.WaitGroup
	errs := make([]error, len(f.dests))
	for i, d := range f.dests {
		wg.Go(func() { errs[i] = d.close(graceful, drain) })
	}
	wg.Wait()
	if f.file != nil {
		if err := f.file.close(); err != nil {
			return err
		}
	}
	f.mu.Lock()
	failed := len(f.failed)
	f.mu.Unlock()
	var all []error
	for i, err := range errs {
		if err == nil {
			continue
		}
		if f.dests[i].required {
			return err
		}
		failed++
		all = append(all, err)
	}
	if len(f.dests) > 0 && failed == len(f.dests) {
		return errors.Join(all...)
	}
	return nil
}
