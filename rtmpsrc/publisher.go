// Package rtmpsrc publishes a live H.264 + AAC stream over RTMP or RTMPS,
// to one server or several at once, and records it as FLV, from the images
// and PCM of capture sources.
//
// A Publisher owns the whole pipeline, one file per stage:
//
//	video.go, audio.go    one goroutine per source reads and encodes
//	clock.go              one media clock stamps and paces both tracks
//	mux.go                the muxer orders packets by decoding time
//	sink.go               the fan-out hands each tag to every destination
//	flv_file.go           …and to the FLV file
//	destination.go        a send queue, drop policy (queue.go) and
//	reconnect.go          reconnection per server
//	session.go            the RTMP session (handshake.go, chunk.go,
//	                      amf0.go), writing FLV tag bodies (flv.go)
//
// Audio time comes from the count of samples, video time from the frame
// index (or the frame's own timestamp in timestamped mode), and both start
// at zero together.
//
// A picture shown again is sent as a skip frame, a few bytes instead of an
// x264 encode, whenever the publisher knows it is the same: on a live
// stream, a frame for which the source had nothing new in time (counted in
// Stats.FramesRepeated), and a frame the source marks
// capture.Frame.Unchanged. It never compares pixels. Stats.SkipFrames
// counts them; see encode.H264.Repeat for the few repeats x264 encodes.
package rtmpsrc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Publisher runs one stream. Create it with New, run it with Run, and
// stop it with Shutdown (cleanly, at a moment of your choosing), Close or
// by cancelling Run's context.
type Publisher struct {
	cfg   Config
	dests []*destination
	log   *slog.Logger
	stats pipelineStats

	keyframe atomic.Bool   // asks the video encoder for a keyframe
	stop     chan struct{} // closed by Shutdown: the sources end now
	stopOnce sync.Once
	started  chan struct{} // closed at media time zero
	startAt  atomic.Pointer[time.Time]

	mu      sync.Mutex
	cancel  context.CancelFunc
	closed  bool
	running bool
	done    chan struct{}
}

// New checks the configuration. Nothing is opened until Run.
func New(cfg Config) (*Publisher, error) {
	dests, err := cfg.check()
	if err != nil {
		return nil, err
	}
	p := &Publisher{cfg: cfg, dests: dests, log: cfg.Logger, stop: make(chan struct{}), started: make(chan struct{}), done: make(chan struct{})}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p, nil
}

// Stats returns a snapshot of the counters. It is safe to call at any
// time from any goroutine.
func (p *Publisher) Stats() Stats {
	ds := make([]DestinationStats, len(p.dests))
	for i, d := range p.dests {
		ds[i] = d.stats.snapshot(d.name)
	}
	return p.stats.snapshot(ds)
}

// Started is closed when the stream's media time starts at zero, once
// every destination is connected; StartedAt then tells the wall time of
// that instant. A producer that owns its clock (a game) starts its clock
// then, so that what it makes at its time t is stamped t.
func (p *Publisher) Started() <-chan struct{} { return p.started }

// StartedAt is the wall time of media time zero (StartTime, if set), or
// the zero time before the stream starts.
func (p *Publisher) StartedAt() time.Time {
	if t := p.startAt.Load(); t != nil {
		return *t
	}
	return time.Time{}
}

// Close stops a running stream (ending it with an unpublish when the
// connection allows) and waits until every goroutine of the publisher has
// returned. It is idempotent and safe from any goroutine.
func (p *Publisher) Close() error {
	p.mu.Lock()
	p.closed = true
	cancel, running := p.cancel, p.running
	p.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if running {
		<-p.done
	}
	return nil
}

// Shutdown ends the stream cleanly now, as if the sources had ended: the
// picture stops at its current frame, the audio where the picture stops
// (or now, without video), the encoders are flushed, what is queued is
// sent and every destination is unpublished. It waits for Run to return,
// which then returns nil. If ctx ends first, Shutdown closes the
// publisher (see Close) and returns ctx.Err(). Called before Run, it
// makes Run end at once.
func (p *Publisher) Shutdown(ctx context.Context) error {
	p.stopOnce.Do(func() { close(p.stop) })
	p.mu.Lock()
	running := p.running
	p.mu.Unlock()
	if !running {
		return nil
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		p.Close()
		return ctx.Err()
	}
}

// Run connects, publishes and streams until the sources end or Shutdown is
// called (it then drains the encoders, unpublishes and returns nil), ctx
// is cancelled (ctx.Err()), Close is called (ErrClosed) or something
// fails. A refusal by a server is a *StatusError. With several
// destinations, Run goes on while any is live, unless a required one
// fails. Run can be called once.
func (p *Publisher) Run(ctx context.Context) (err error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	if p.running || p.cancel != nil {
		p.mu.Unlock()
		return fmt.Errorf("%w: Run called twice", ErrConfig)
	}
	ctx, cancel := context.WithCancel(ctx)
	p.cancel, p.running = cancel, true
	p.mu.Unlock()
	defer func() {
		cancel()
		p.mu.Lock()
		closed := p.closed
		p.running = false
		p.mu.Unlock()
		close(p.done)
		if closed && err != nil && ctx.Err() != nil {
			err = ErrClosed
		}
	}()
	return p.run(ctx)
}

func (p *Publisher) run(parent context.Context) error {
	ctx, end := context.WithCancelCause(parent)
	defer end(nil)
	enc, err := openEncoders(&p.cfg, p.log, &p.stats)
	if err != nil {
		return err
	}
	defer enc.close()
	out, err := p.openSinks(ctx, end, enc)
	if err != nil {
		return err
	}
	err = p.stream(ctx, enc, out)
	if cause := context.Cause(ctx); err != nil && parent.Err() == nil && cause != nil {
		err = cause // a destination ended the stream
	}
	// A normal end sends everything; a cancelled stream still unpublishes,
	// but must stop within a couple of seconds whatever the network does.
	drain := orDefault(p.cfg.WriteTimeout, defaultTimeout)
	if err != nil {
		drain = 500 * time.Millisecond
	}
	graceful := err == nil || errors.Is(err, context.Canceled)
	if cerr := out.close(graceful, drain); cerr != nil && err == nil {
		err = cerr
	}
	if err == nil {
		p.log.Info("rtmpsrc: stream ended", "media_time", p.Stats().MediaTime)
	}
	return err
}

// openSinks opens the FLV file, if any, and the first session of every
// destination, all at once. A destination that cannot start fails; the
// stream starts if any can, unless a required one cannot.
func (p *Publisher) openSinks(ctx context.Context, end context.CancelCauseFunc, enc *encoders) (*fanout, error) {
	out := &fanout{dests: p.dests, end: end}
	if p.cfg.Output != nil {
		out.file = newFLVFile(p.cfg.Output, enc.aac != nil, enc.h264 != nil)
	}
	opts := p.cfg.dialOptions(p.log)
	errs := make([]error, len(p.dests))
	var wg sync.WaitGroup
	for i, d := range p.dests {
		wg.Go(func() { errs[i] = d.connect(ctx, opts, p.log) })
	}
	wg.Wait()
	var fatal error
	for i, err := range errs {
		if err == nil {
			continue
		}
		if len(p.dests) > 1 {
			err = fmt.Errorf("destination %s: %w", p.dests[i].name, err)
		}
		out.failed = append(out.failed, err)
		if p.dests[i].required {
			fatal = err
		}
	}
	if fatal == nil && len(p.dests) > 0 && len(out.failed) == len(p.dests) {
		fatal = errors.Join(out.failed...)
		if len(out.failed) == 1 {
			fatal = errs[0]
		}
	}
	if fatal != nil {
		for _, d := range p.dests {
			if d.session != nil {
				d.session.close(true)
			}
		}
		return nil, fatal
	}
	for _, d := range p.dests {
		if d.session != nil {
			d.start(ctx, &p.cfg, func() { p.keyframe.Store(true) }, out.destinationFailed)
		} else {
			p.log.Warn("rtmpsrc: destination failed to start; the stream goes to the others", "destination", d.name, "err", d.err)
		}
	}
	return out, nil
}

// stream runs the sources, encoders and muxer until the stream ends.
func (p *Publisher) stream(ctx context.Context, enc *encoders, out sink) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	clock := &mediaClock{live: len(p.dests) > 0, start: time.Now()}
	p.startAt.Store(&clock.start)
	close(p.started)
	m := &muxer{pace: clock.pacer(), out: out, meta: enc.meta, start: p.cfg.StartTime, stats: &p.stats}
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	run := func(loop func(context.Context) error) {
		wg.Go(func() {
			if err := loop(ctx); err != nil {
				errc <- err
				stop() // the muxer and the other track stop too
			}
		})
	}
	var horizon *videoHorizon
	if enc.h264 != nil {
		horizon = newVideoHorizon()
		// Room for half a second of pictures: the audio waits for the
		// picture to go on (videoHorizon), and the muxer for audio.
		fr := enc.h264.Options().FrameRate
		t := &track{typ: flvTagVideo, ch: make(chan packet, max(8, fr.Num/fr.Den/2+1)), config: enc.h264.DecoderConfig(), offset: enc.videoOffset}
		m.tracks = append(m.tracks, t)
		v := &videoLoop{src: p.cfg.Video, enc: enc.h264, out: t, clock: clock, horizon: horizon, stats: &p.stats, keyframe: &p.keyframe, stop: p.stop}
		run(v.run)
	}
	if enc.aac != nil {
		t := &track{typ: flvTagAudio, ch: make(chan packet, 64), config: enc.aac.DecoderConfig(), offset: enc.audioOffset}
		m.tracks = append(m.tracks, t)
		a := &audioLoop{src: p.cfg.Audio, enc: enc.aac, out: t, clock: clock, horizon: horizon, cut: p.cfg.End == EndWithVideo, stats: &p.stats, stop: p.stop}
		run(a.run)
	}
	err := m.run(ctx)
	stop()
	wg.Wait()
	close(errc)
	for e := range errc {
		// A source's own failure says more than the cancellation it
		// caused.
		if err == nil || errors.Is(err, context.Canceled) && !errors.Is(e, context.Canceled) {
			err = e
		}
	}
	return err
}
