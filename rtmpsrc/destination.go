package rtmpsrc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/golivecast/golivecast/internal/rtmp"
)

// destination is a live sink: a send queue measured in media time in
// front of an RTMP session, written by one goroutine that also
// reconnects. The muxer never waits for it: writeTag only queues (or,
// while the connection is down, drops and counts).
type destination struct {
	// Set by Config.check.
	name     string
	url      *URL
	required bool

	// Set by start.
	opts      rtmp.Options
	policy    ReconnectPolicy
	keyframe  func()                    // asks the video encoder for a keyframe
	failed    func(*destination, error) // reports a failure for good
	log       *slog.Logger
	stats     destinationStats
	wake      chan struct{} // a tag was queued, or the loop should look again
	holdTimer *time.Timer   // the loop's, while it holds back from a full kernel
	closeCh   chan struct{} // closed by close
	done      chan struct{} // closed when the loop has returned
	dialFunc  func(context.Context) (*rtmp.Session, error)

	mu         sync.Mutex
	q          sendQueue
	headers    []tag         // metadata and sequence headers, sent first on every connection
	lastDTS    time.Duration // of the last tag queued, to date headers sent again
	session    *rtmp.Session // nil while the connection is down
	closing    bool
	drainUntil time.Time
	err        error // why it failed for good
	// missedFrom is the media time from which the server lacks the
	// stream, while the connection is down; -1 while it is up.
	missedFrom time.Duration
}

// connect opens the first session. It is not retried: a destination that
// cannot start fails at once with the reason.
func (d *destination) connect(ctx context.Context, opts rtmp.Options, log *slog.Logger) error {
	d.opts, d.log = opts, log
	d.opts.KernelDelay = &d.stats.inKernel
	d.missedFrom = -1
	d.stats.setState(StateConnecting, nil)
	s, err := rtmp.Dial(ctx, d.url.target(), d.opts)
	if err != nil {
		d.err = err
		d.stats.setState(StateFailed, err)
		return err
	}
	d.session = s
	d.stats.setState(StateLive, nil)
	log.Info("rtmpsrc: publishing", "destination", d.name)
	return nil
}

// start runs the sending loop of a connected destination.
func (d *destination) start(ctx context.Context, cfg *Config, keyframe func(), failed func(*destination, error)) {
	d.policy = cfg.Reconnect.withDefaults()
	d.keyframe, d.failed = keyframe, failed
	d.q = sendQueue{maxLatency: orDefault(cfg.MaxLatency, defaultMaxLatency), stats: &d.stats}
	d.wake, d.closeCh, d.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	d.holdTimer = time.NewTimer(time.Hour)
	d.holdTimer.Stop()
	if d.dialFunc == nil {
		d.dialFunc = func(ctx context.Context) (*rtmp.Session, error) { return rtmp.Dial(ctx, d.url.target(), d.opts) }
	}
	go d.loop(ctx)
}

func (d *destination) notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// writeTag queues a tag, applying the drop policy, and takes over its
// body reference.
func (d *destination) writeTag(t tag) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil || d.closing {
		t.body.release()
		return
	}
	if t.header {
		d.headers = append(d.headers, t.retained())
	} else {
		d.lastDTS = t.dts
	}
	if d.session == nil {
		d.q.drop(t, DropReconnect)
		return
	}
	d.q.push(t)
	d.notify()
}

// kernelPoll is how often a writer held back by a full kernel looks
// again.
const kernelPoll = 10 * time.Millisecond

// next waits for the next tag to write. ok is false when the loop must
// stop; lost is set when the connection ended while there was nothing to
// write, which a quiet stream must notice too.
//
// While the kernel and the path hold half of MaxLatency or more, nothing
// more is handed to the kernel: the backlog stays in the queue, where the
// drop policy sees it (the kernel's share counts there too).
func (d *destination) next(ctx context.Context) (t tag, more, ok bool, lost error) {
	for {
		d.mu.Lock()
		var hold <-chan time.Time
		var flush *rtmp.Session
		if d.err == nil && d.q.len() > 0 && (!d.closing || time.Now().Before(d.drainUntil)) {
			full := false
			if s := d.session; s != nil {
				span, _, known := s.InKernel()
				d.q.setKernel(span)
				full = known && span >= d.q.maxLatency/2 && !d.closing
			}
			if !full {
				t, _ = d.q.pop()
				more = d.q.len() > 0
				d.mu.Unlock()
				return t, more, true, nil
			}
			d.holdTimer.Reset(kernelPoll)
			hold, flush = d.holdTimer.C, d.session
		}
		if d.closing && d.err == nil && d.q.len() > 0 && !time.Now().Before(d.drainUntil) {
			d.err = fmt.Errorf("%w: %s could not send its last %v of media in time; the server lacks the stream from %v",
				ErrIncomplete, d.name, d.q.latency().Round(time.Millisecond), d.q.oldest().Round(time.Millisecond))
			d.stats.setState(StateFailed, d.err)
		}
		stop := d.err != nil || d.closing && hold == nil
		var ended <-chan struct{}
		if d.session != nil {
			ended = d.session.Done()
		}
		d.mu.Unlock()
		if stop {
			return tag{}, false, false, nil
		}
		if flush != nil {
			// What the last writes left buffered must reach the kernel,
			// or it is never acknowledged. A failure shows as the
			// session's end below.
			_ = flush.Flush()
		}
		select {
		case <-hold:
		case <-d.wake:
		case <-ended:
			return tag{}, false, true, d.session.Err()
		case <-ctx.Done():
			// The stream ends; close says how.
			<-d.closeCh
		}
		d.holdTimer.Stop()
	}
}

func (d *destination) loop(ctx context.Context) {
	defer close(d.done)
	for {
		t, more, ok, lost := d.next(ctx)
		if !ok {
			break
		}
		var err error
		if lost == nil {
			err = d.session.WriteMedia(t.typ, t.ts(), t.dts, t.body.b, !more)
			if err == nil {
				d.stats.sent(t)
				t.body.release()
				continue
			}
			// Cut off by the failure: it never reached the server.
			d.noteMissed(t.dts)
			d.q.drop(t, DropReconnect)
		} else {
			err = lost
		}
		if err = d.reconnect(ctx, err); err != nil {
			d.fail(err)
			break
		}
	}
	d.finish()
}

// fail records a failure for good and reports it.
func (d *destination) fail(err error) {
	d.mu.Lock()
	d.err = err
	d.q.dropAll(DropReconnect)
	closing := d.closing
	d.mu.Unlock()
	d.stats.setState(StateFailed, err)
	if !closing {
		d.failed(d, err)
	}
}

// finish ends the session of a loop that stopped: with an unpublish
// after a graceful close, cut otherwise.
func (d *destination) finish() {
	d.mu.Lock()
	s := d.session
	graceful := d.err == nil && d.closing && !d.drainUntil.IsZero()
	d.mu.Unlock()
	if s == nil {
		return
	}
	if graceful {
		// A stream shorter than the settle time must not take a denied
		// publish for a stream sent.
		if err := s.Settle(); err != nil {
			d.mu.Lock()
			d.err = err
			d.mu.Unlock()
			d.stats.setState(StateFailed, err)
			graceful = false
		}
	}
	s.Close(graceful)
	d.mu.Lock()
	failed := d.err != nil
	d.mu.Unlock()
	if !failed {
		d.stats.setState(StateDone, nil)
	}
}

// close stops the destination. A graceful close first sends what is
// queued, for at most drain, then unpublishes; otherwise the connection
// is cut at once. It returns the error of a destination that failed while
// closing.
func (d *destination) close(graceful bool, drain time.Duration) error {
	if d.done == nil {
		return nil // it never started
	}
	d.mu.Lock()
	failedBefore := d.err != nil
	if !d.closing {
		d.closing = true
		close(d.closeCh)
		limit := time.Now()
		if graceful {
			d.drainUntil = time.Now().Add(drain)
			limit = d.drainUntil
		}
		if d.session != nil {
			d.session.LimitWrites(limit)
		}
	}
	d.mu.Unlock()
	d.notify()
	<-d.done
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, h := range d.headers {
		h.body.release()
	}
	d.headers = nil
	d.q.dropAll(DropReconnect)
	if failedBefore {
		return nil // reported when it happened
	}
	return d.err
}

// permanent reports whether an error means the server will refuse a new
// connection just the same.
func permanent(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Permanent() || errors.Is(err, ErrRefused)
}

// noteMissed records that the server lacks the stream from media time
// from on, unless it already lacked it from earlier.
func (d *destination) noteMissed(from time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.missedFrom < 0 || from < d.missedFrom {
		d.missedFrom = from
	}
}

// missedEnd is the error of a destination that was down when the stream
// ended.
func (d *destination) missedEnd(cause error) error {
	d.mu.Lock()
	from := d.missedFrom
	d.mu.Unlock()
	return fmt.Errorf("%w: %s was down when the stream ended; the server lacks the stream from %v: %w",
		ErrIncomplete, d.name, max(0, from).Round(time.Millisecond), cause)
}

// attempt is the outcome of one reconnection attempt.
type attempt struct {
	s   *rtmp.Session
	err error
}

// reconnect handles a lost connection: unless reconnecting is off or
// pointless, it reconnects with backoff and queues the headers again. It
// returns the error that fails the destination, or nil once reconnected.
//
// An attempt that hangs does not hold up the next one: at the end of
// each wait a new attempt starts, with at most maxPendingAttempts under
// way, and the first to publish wins. When the stream ends, every
// attempt is cancelled at once and no connection is kept.
func (d *destination) reconnect(ctx context.Context, cause error) error {
	d.mu.Lock()
	old := d.session
	d.session = nil
	if old != nil {
		if from, ok := old.OldestUnacked(); ok && (d.missedFrom < 0 || from < d.missedFrom) {
			d.missedFrom = from
		}
	}
	if oldest := d.q.oldest(); d.q.len() > 0 && (d.missedFrom < 0 || oldest < d.missedFrom) {
		d.missedFrom = oldest
	}
	if d.missedFrom < 0 {
		d.missedFrom = d.lastDTS
	}
	d.q.dropAll(DropReconnect)
	d.mu.Unlock()
	d.stats.inKernel.Store(0)
	if old != nil {
		old.Close(false)
		// A close right after NetStream.Publish.Start is a refusal
		// (nginx's deny publish), final like any other.
		if err := old.Refusal(); err != nil {
			cause = err
		}
	}
	if d.policy.Disabled || permanent(cause) {
		return cause
	}
	d.stats.setState(StateReconnecting, cause)
	d.log.Warn("rtmpsrc: connection lost; reconnecting", "destination", d.name, "err", cause)

	actx, cancel := context.WithCancel(ctx)
	results := make(chan attempt)
	pending := 0
	// stop cancels the attempts under way and waits for them; a session
	// that won meanwhile is reset, unused.
	stop := func() {
		cancel()
		for ; pending > 0; pending-- {
			if r := <-results; r.s != nil {
				r.s.Close(false)
			}
		}
	}
	defer stop()
	b := newBackoff(d.policy)
	timer := time.NewTimer(b.next())
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
			if pending < maxPendingAttempts {
				pending++
				go func() {
					s, err := d.dialFunc(actx)
					results <- attempt{s, err}
				}()
			}
			timer.Reset(b.next())
			continue
		case r := <-results:
			pending--
			if r.err == nil {
				stop()
				d.mu.Lock()
				if d.closing {
					d.mu.Unlock()
					r.s.Close(false)
					return d.missedEnd(cause)
				}
				d.session = r.s
				d.missedFrom = -1
				// Metadata and sequence headers first, dated now, then a
				// keyframe (video waits for it: dropAll).
				for _, h := range d.headers {
					h.dts = d.lastDTS
					d.q.push(h.retained())
				}
				d.mu.Unlock()
				d.keyframe()
				d.stats.reconnects.Add(1)
				d.stats.setState(StateLive, nil)
				d.log.Info("rtmpsrc: reconnected", "destination", d.name, "attempt", b.attempt)
				return nil
			}
			if ctx.Err() != nil {
				return d.missedEnd(cause)
			}
			if permanent(r.err) {
				if b.refused(time.Now()) {
					return r.err
				}
			} else {
				b.failures++
				b.failed()
			}
			if b.exhausted() {
				return fmt.Errorf("%w: gave up after %d reconnect attempts: %w", ErrConnectionLost, b.failures, r.err)
			}
			d.log.Warn("rtmpsrc: reconnect failed", "destination", d.name, "attempt", b.attempt, "err", r.err)
		case <-ctx.Done():
			// The stream is ending: what ended this destination is the
			// lost connection.
			return d.missedEnd(cause)
		case <-d.closeCh:
			return d.missedEnd(cause)
		}
	}
}
