package rtmpsrc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
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
	opts     dialOptions
	policy   ReconnectPolicy
	keyframe func()                    // asks the video encoder for a keyframe
	failed   func(*destination, error) // reports a failure for good
	log      *slog.Logger
	stats    destinationStats
	wake     chan struct{} // a tag was queued, or the loop should look again
	closeCh  chan struct{} // closed by close
	done     chan struct{} // closed when the loop has returned
	dialFunc func(context.Context) (*session, error)

	mu         sync.Mutex
	q          sendQueue
	headers    []tag         // metadata and sequence headers, sent first on every connection
	lastDTS    time.Duration // of the last tag queued, to date headers sent again
	session    *session      // nil while the connection is down
	closing    bool
	drainUntil time.Time
	err        error // why it failed for good
}

// connect opens the first session. It is not retried: a destination that
// cannot start fails at once with the reason.
func (d *destination) connect(ctx context.Context, opts dialOptions, log *slog.Logger) error {
	d.opts, d.log = opts, log
	d.stats.setState(StateConnecting, nil)
	s, err := dialSession(ctx, d.url, opts)
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
	if d.dialFunc == nil {
		d.dialFunc = func(ctx context.Context) (*session, error) { return dialSession(ctx, d.url, d.opts) }
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

// next waits for the next tag to write. ok is false when the loop must
// stop; lost is set when the connection ended while there was nothing to
// write, which a quiet stream must notice too.
func (d *destination) next(ctx context.Context) (t tag, more, ok bool, lost error) {
	for {
		d.mu.Lock()
		if d.err == nil && d.q.len() > 0 && (!d.closing || time.Now().Before(d.drainUntil)) {
			t, _ = d.q.pop()
			more = d.q.len() > 0
			d.mu.Unlock()
			return t, more, true, nil
		}
		stop := d.err != nil || d.closing
		var ended <-chan struct{}
		if d.session != nil {
			ended = d.session.done
		}
		d.mu.Unlock()
		if stop {
			return tag{}, false, false, nil
		}
		select {
		case <-d.wake:
		case <-ended:
			return tag{}, false, true, d.session.Err()
		case <-ctx.Done():
			// The stream ends; close says how.
			<-d.closeCh
		}
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
			err = d.session.writeTag(t, !more)
			if err == nil {
				d.stats.sent(t)
			}
			t.body.release()
			if err == nil {
				continue
			}
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
		if err := s.settle(); err != nil {
			d.mu.Lock()
			d.err = err
			d.mu.Unlock()
			d.stats.setState(StateFailed, err)
			graceful = false
		}
	}
	s.close(graceful)
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
			d.session.limitWrites(limit)
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

// reconnect handles a lost connection: unless reconnecting is off or
// pointless, it reconnects with backoff and queues the headers again. It
// returns the error that fails the destination, or nil once reconnected.
func (d *destination) reconnect(ctx context.Context, cause error) error {
	d.mu.Lock()
	old := d.session
	d.session = nil
	d.q.dropAll(DropReconnect)
	d.mu.Unlock()
	old.close(false)
	// A close right after NetStream.Publish.Start is a refusal (nginx's
	// deny publish), final like any other.
	if err := old.refusal(); err != nil {
		cause = err
	}
	if d.policy.Disabled || permanent(cause) {
		return cause
	}
	d.stats.setState(StateReconnecting, cause)
	d.log.Warn("rtmpsrc: connection lost; reconnecting", "destination", d.name, "err", cause)
	b := newBackoff(d.policy)
	for {
		timer := time.NewTimer(b.next())
		select {
		case <-timer.C:
		case <-ctx.Done():
			// The stream is ending: what ended this destination is the
			// lost connection.
			timer.Stop()
			return cause
		case <-d.closeCh:
			timer.Stop()
			return cause
		}
		s, err := d.dialFunc(ctx)
		if err == nil {
			d.mu.Lock()
			d.session = s
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
			return cause
		}
		if permanent(err) {
			if b.refused(time.Now()) {
				return err
			}
		} else {
			b.failed()
		}
		if b.exhausted() {
			return fmt.Errorf("%w: gave up after %d reconnect attempts: %w", ErrConnectionLost, b.attempt, err)
		}
		d.log.Warn("rtmpsrc: reconnect failed", "destination", d.name, "attempt", b.attempt, "err", err)
	}
}
