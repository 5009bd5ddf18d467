package rtmpsrc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// ReconnectPolicy says how a publisher re-establishes a connection that
// dropped mid-stream. The zero value reconnects with the defaults below.
// The first connection is never retried: a publisher that cannot start
// fails at once with the reason.
type ReconnectPolicy struct {
	// Disabled turns reconnection off: a lost connection ends Run.
	Disabled bool
	// InitialDelay is the wait before the first attempt. It defaults to
	// 1 s; each attempt is jittered by ±20%.
	InitialDelay time.Duration
	// MaxDelay caps the wait, which doubles after every failed attempt.
	// It defaults to 30 s.
	MaxDelay time.Duration
	// MaxAttempts ends Run after this many failed attempts in a row. It
	// defaults to 0: no limit.
	MaxAttempts int
}

// Drop reasons for video frames, in Stats.FramesDropped.
const (
	// DropCongestion: a frame no other frame references, dropped because
	// the send queue held more than MaxLatency of media.
	DropCongestion = "congestion"
	// DropCongestionGOP: the rest of a group of pictures, dropped until
	// the next keyframe because dropping unreferenced frames was not
	// enough.
	DropCongestionGOP = "congestion-gop"
	// DropReconnect: frames that could not be sent while the connection
	// was down, or that came before the first keyframe after it.
	DropReconnect = "reconnect"
)

// outTag is one tag on its way to a live server.
type outTag struct {
	header     bool // metadata or sequence header: never dropped, resent on reconnect
	typ        byte
	ts         uint32
	dts        time.Duration
	body       []byte
	key        bool
	disposable bool
}

// rtmpSender is the live sink: a send queue measured in media time in
// front of the connection, written by one goroutine that also
// reconnects. The muxer never waits for the network: when the queue holds
// more than maxLatency of media it drops video (never audio, keyframes or
// headers), and while the connection is down it drops everything.
type rtmpSender struct {
	p          *Publisher
	opts       dialOptions
	maxLatency time.Duration
	policy     ReconnectPolicy

	mu           sync.Mutex
	wake         chan struct{} // a tag was queued or the sender should stop
	closeCh      chan struct{} // closed by close
	queue        []outTag
	headers      []outTag // metadata and sequence headers, sent first on every connection
	connected    bool
	dropUntilKey bool
	dropReason   string // why video waits for a keyframe
	closing      bool
	drainUntil   time.Time
	err          error // fatal; ends Run
	conn         *conn

	done chan struct{}
}

func newRTMPSender(p *Publisher, c *conn, opts dialOptions) *rtmpSender {
	s := &rtmpSender{
		p:          p,
		opts:       opts,
		maxLatency: orDefault(p.cfg.MaxLatency, defaultMaxLatency),
		policy:     p.cfg.Reconnect,
		wake:       make(chan struct{}, 1),
		closeCh:    make(chan struct{}),
		conn:       c,
		connected:  true,
		done:       make(chan struct{}),
	}
	s.policy.InitialDelay = orDefault(s.policy.InitialDelay, time.Second)
	s.policy.MaxDelay = orDefault(s.policy.MaxDelay, 30*time.Second)
	return s
}

const defaultMaxLatency = 700 * time.Millisecond

// refusalGrace is how long a reconnecting publisher retries refusals.
const refusalGrace = time.Minute

func (s *rtmpSender) start(ctx context.Context) { go s.loop(ctx) }

func (s *rtmpSender) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *rtmpSender) writeMetadata(m Metadata) error {
	return s.push(outTag{typ: flvTagScript, body: m.setDataFrame(), key: true, dts: s.p.cfg.StartTime, ts: millis(s.p.cfg.StartTime)}, true)
}

func (s *rtmpSender) writeHeader(t outTag) error { return s.push(t, true) }

func (s *rtmpSender) writeTag(t outTag) error { return s.push(t, false) }

// push queues a tag, applying the drop policy.
func (s *rtmpSender) push(t outTag, header bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	t.header = header
	if header {
		s.headers = append(s.headers, t)
	}
	if !s.connected {
		s.countDrop(t, DropReconnect)
		return nil
	}
	if t.typ == flvTagVideo && !header {
		if s.dropUntilKey && !t.key {
			s.countDrop(t, s.dropReason)
			return nil
		}
		if t.key {
			s.dropUntilKey = false
		}
	}
	s.queue = append(s.queue, t)
	s.relieve()
	s.p.stats.queued.Store(int64(s.latency()))
	s.notify()
	return nil
}

// countDrop counts a media tag that will not be sent.
func (s *rtmpSender) countDrop(t outTag, reason string) {
	switch {
	case t.header:
	case t.typ == flvTagVideo:
		s.p.stats.drop(reason)
	case t.typ == flvTagAudio:
		s.p.stats.audioDropped.Add(1)
	}
}

// latency is the media time waiting in the queue. Headers are left out:
// they carry the time of the session's start.
func (s *rtmpSender) latency() time.Duration {
	var first *outTag
	for i := range s.queue {
		if !s.queue[i].header {
			first = &s.queue[i]
			break
		}
	}
	if first == nil {
		return 0
	}
	return s.queue[len(s.queue)-1].dts - first.dts
}

// relieve drops video when the queue holds too much media: first frames
// nothing references, then the rest of the group of pictures.
func (s *rtmpSender) relieve() {
	if s.latency() <= s.maxLatency {
		return
	}
	s.filter(func(t outTag) (bool, string) { return t.typ == flvTagVideo && t.disposable, DropCongestion })
	if s.latency() <= s.maxLatency {
		return
	}
	s.filter(func(t outTag) (bool, string) { return t.typ == flvTagVideo && !t.key, DropCongestionGOP })
	s.dropUntilKey, s.dropReason = true, DropCongestionGOP
}

func (s *rtmpSender) filter(drop func(outTag) (bool, string)) {
	kept := s.queue[:0]
	for _, t := range s.queue {
		if d, reason := drop(t); d {
			s.countDrop(t, reason)
			continue
		}
		kept = append(kept, t)
	}
	clear(s.queue[len(kept):])
	s.queue = kept
}

// close stops the sender. A graceful close first sends what is queued,
// for at most drain, then unpublishes.
func (s *rtmpSender) close(graceful bool, drain time.Duration) error {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		close(s.closeCh)
		limit := time.Now()
		if graceful {
			s.drainUntil = time.Now().Add(drain)
			limit = s.drainUntil
		}
		if s.conn != nil {
			s.conn.limitWrites(limit)
		}
	}
	s.mu.Unlock()
	s.notify()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// next waits for the next tag to write; ok is false when the sender must
// stop, and dead is set when the connection ended while there was nothing
// to write (a quiet stream must notice it too).
func (s *rtmpSender) next(ctx context.Context) (t outTag, more, ok bool, dead error) {
	for {
		s.mu.Lock()
		if s.err != nil {
			s.mu.Unlock()
			return t, false, false, nil
		}
		if len(s.queue) > 0 && (!s.closing || time.Now().Before(s.drainUntil)) {
			t = s.queue[0]
			s.queue[0] = outTag{}
			s.queue = s.queue[1:]
			more = len(s.queue) > 0
			s.p.stats.queued.Store(int64(s.latency()))
			s.mu.Unlock()
			return t, more, true, nil
		}
		closing := s.closing
		var connDone <-chan struct{}
		if s.conn != nil {
			connDone = s.conn.done
		}
		s.mu.Unlock()
		if closing {
			return t, false, false, nil
		}
		select {
		case <-s.wake:
		case <-connDone:
			return t, false, true, s.conn.Err()
		case <-ctx.Done():
			// The muxer ends too; wait for close to say how.
			<-s.closeCh
		}
	}
}

func (s *rtmpSender) loop(ctx context.Context) {
	defer close(s.done)
	for {
		t, more, ok, dead := s.next(ctx)
		if !ok {
			break
		}
		if dead != nil {
			if err := s.lost(ctx, dead); err != nil {
				s.mu.Lock()
				s.err = err
				s.queue = nil
				s.mu.Unlock()
				break
			}
			continue
		}
		csid := csidVideo
		typ := t.typ
		switch t.typ {
		case flvTagAudio:
			csid = csidAudio
		case flvTagScript:
			csid, typ = csidData, msgDataAMF0
		}
		err := s.conn.writeMedia(csid, typ, t.ts, t.body, !more)
		if err == nil {
			continue
		}
		if err := s.lost(ctx, err); err != nil {
			s.mu.Lock()
			s.err = err
			s.queue = nil
			s.mu.Unlock()
			break
		}
	}
	s.mu.Lock()
	c := s.conn
	graceful := s.err == nil && s.closing && !s.drainUntil.IsZero()
	s.mu.Unlock()
	if c == nil {
		return
	}
	if graceful {
		// A stream shorter than the settle time must not take a denied
		// publish for a stream sent.
		if err := c.settle(); err != nil {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			graceful = false
		}
	}
	c.close(graceful)
}

// permanent reports whether an error means the server will refuse a new
// connection just the same.
func permanent(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Permanent() || errors.Is(err, ErrRefused)
}

// lost handles a failed connection: unless reconnecting is off or
// pointless, it reconnects with backoff and sends the headers again. It
// returns the error that ends the stream, or nil once reconnected.
func (s *rtmpSender) lost(ctx context.Context, cause error) error {
	s.mu.Lock()
	s.connected = false
	for _, t := range s.queue {
		s.countDrop(t, DropReconnect)
	}
	s.queue = nil
	old := s.conn
	s.conn = nil
	s.mu.Unlock()
	old.close(false)
	// A close right after NetStream.Publish.Start is a refusal (nginx's
	// deny publish), final like any other.
	if err := old.refusal(); err != nil {
		cause = err
	}
	if s.policy.Disabled || permanent(cause) {
		return cause
	}
	s.p.log.Warn("rtmpsrc: connection lost; reconnecting", "url", s.p.url.String(), "err", cause)
	delay := s.policy.InitialDelay
	var refusedSince time.Time
	for attempt := 1; ; attempt++ {
		wait := time.Duration(float64(delay) * (0.8 + 0.4*rand.Float64()))
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			// The stream is ending: what ended it is the lost connection.
			timer.Stop()
			return cause
		case <-s.closeCh:
			timer.Stop()
			return cause
		}
		c, err := dial(ctx, s.p.url, s.opts)
		if err == nil {
			s.mu.Lock()
			s.conn, s.connected = c, true
			s.dropUntilKey, s.dropReason = true, DropReconnect
			// Metadata and sequence headers first, at the current media
			// time, then a forced keyframe.
			now := s.p.stats.mediaTimeNow()
			for _, h := range s.headers {
				h.ts, h.dts = millis(now), now
				s.queue = append(s.queue, h)
			}
			s.mu.Unlock()
			s.p.forceKey.Store(true)
			s.p.stats.reconnects.Add(1)
			s.p.log.Info("rtmpsrc: reconnected", "url", s.p.url.String(), "attempt", attempt)
			return nil
		}
		if ctx.Err() != nil {
			return cause
		}
		// After a network cut the server may still hold our old session
		// and refuse the key as already published until it times out:
		// refusals are retried for a while before they count.
		if permanent(err) {
			if refusedSince.IsZero() {
				refusedSince = time.Now()
			} else if time.Since(refusedSince) > refusalGrace {
				return err
			}
		} else {
			refusedSince = time.Time{}
		}
		if s.policy.MaxAttempts > 0 && attempt >= s.policy.MaxAttempts {
			return fmt.Errorf("%w: gave up after %d reconnect attempts: %w", ErrConnectionLost, attempt, err)
		}
		s.p.log.Warn("rtmpsrc: reconnect failed", "attempt", attempt, "err", err)
		delay = min(2*delay, s.policy.MaxDelay)
	}
}
