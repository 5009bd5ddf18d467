package rtmpsrc

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// Dynamic bitrate (Config.DynamicBitrate): when a link cannot carry the
// stream, the video encoder's rate is lowered to what the link carries
// instead of dropping whole groups of pictures, and raised back step by
// step once the link has room.
//
// The stream is encoded once, so with several destinations the most
// congested one that is live sets the rate for all: every viewer then
// gets the lower quality while one link is slow. A destination that is
// reconnecting or failed has no say (it receives nothing to measure), so
// one that is down never drags the others down.

const (
	// bitrateTick is how often the destinations are looked at.
	bitrateTick = 100 * time.Millisecond
	// bitrateSettle is the least time between two steps down, which lets
	// the encoder's VBV follow the last one.
	bitrateSettle = 500 * time.Millisecond
	// bitrateCalm is how long no destination may be congested before
	// the rate goes up, and bitrateStepUp the least time between steps up.
	bitrateCalm   = 2 * time.Second
	bitrateStepUp = time.Second
	// bitrateRaise is the factor of each step up.
	bitrateRaise = 1.2
	// bitrateShare is the part of a link's measured rate that the video
	// and audio may take after a step down: the rest drains the backlog
	// made at the old rate, and absorbs what x264's VBV buffer still lets
	// through at it for a moment.
	bitrateShare = 0.7
)

// Windows, in ticks, of the byte counts kept.
const (
	madeWindow = 20 // the stream's average rate: a keyframe averages out
	sentWindow = 10 // what a link carried lately
	stepWindow = 5  // what a slow link carries now, for the step down
)

// bitrateControl computes the video bitrate the destinations can carry.
// The video loop applies it before its next picture (videoLoop.encode),
// so that x264 is only ever called from the loop that owns it.
//
// A destination is congested when it is live, its send delay passed a
// fifth of MaxLatency, and over the last second it sent less than nine
// tenths of what the stream makes on average (over two seconds): a
// keyframe that takes a while to cross a link that carries the stream
// delays what follows it too, but that link then carries more than the
// average, not less.
type bitrateControl struct {
	target, floor int // the configured rate, and the lowest step down
	audio         int // the audio bitrate, which is not adjusted
	maxLatency    time.Duration
	dests         []*destination
	muxed         *atomic.Int64 // the stream's bytes, as made
	log           *slog.Logger

	rate atomic.Int64 // the video bitrate asked for, bit/s

	// The loop's own state: rings of byte counts at the last ticks, the
	// stream's and each destination's.
	made     ring
	sent     []ring
	lastDown time.Time
	downAt   time.Duration // the send delay that made the last step down
	lastUp   time.Time
	calm     time.Time // since when no destination is congested
}

// ring holds a byte counter's readings at the last madeWindow+1 ticks.
type ring struct {
	v [madeWindow + 1]int64
	n int // readings so far
}

func (r *ring) add(v int64) { r.v[r.n%len(r.v)] = v; r.n++ }

// rate is the counter's rate over the last w ticks in bit/s, and false
// before there are that many.
func (r *ring) rate(w int) (float64, bool) {
	if r.n <= w {
		return 0, false
	}
	now, then := r.v[(r.n-1)%len(r.v)], r.v[(r.n-1-w)%len(r.v)]
	return float64(now-then) * 8 / (time.Duration(w) * bitrateTick).Seconds(), true
}

func newBitrateControl(target, audio int, maxLatency time.Duration, dests []*destination, muxed *atomic.Int64, log *slog.Logger) *bitrateControl {
	b := &bitrateControl{target: target, floor: max(target/10, 50_000), audio: audio, maxLatency: maxLatency, dests: dests,
		muxed: muxed, log: log, sent: make([]ring, len(dests))}
	b.rate.Store(int64(target))
	return b
}

// run adjusts the rate until ctx ends.
func (b *bitrateControl) run(ctx context.Context) {
	t := time.NewTicker(bitrateTick)
	defer t.Stop()
	b.calm = time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			b.step(now)
		}
	}
}

// step looks at every live destination once.
func (b *bitrateControl) step(now time.Time) {
	b.made.add(b.muxed.Load())
	made, full := b.made.rate(madeWindow)
	rate := int(b.rate.Load())
	want, congested, worst := b.target, false, time.Duration(0)
	for i, d := range b.dests {
		b.sent[i].add(d.stats.bytes.Load())
		if !full {
			continue
		}
		d.stats.mu.Lock()
		live := d.stats.state == StateLive
		d.stats.mu.Unlock()
		delay := time.Duration(d.stats.queued.Load() + d.stats.inKernel.Load())
		sent, _ := b.sent[i].rate(sentWindow)
		if !live || delay <= b.maxLatency/5 || sent >= 0.9*made {
			continue
		}
		congested, worst = true, max(worst, delay)
		now, _ := b.sent[i].rate(stepWindow)
		want = min(want, int(min(now, sent)*bitrateShare)-b.audio)
	}
	switch {
	case congested:
		b.calm = now
		// After a step, x264 needs a moment to follow, and the backlog
		// made at the old rate to drain: step again only once that
		// moment has passed and the delay still grew.
		if now.Sub(b.lastDown) < bitrateSettle || now.Sub(b.lastDown) < 2*bitrateSettle && worst < b.downAt {
			return
		}
		// Each step down goes down by a quarter at least.
		next := max(b.floor, min(want, rate*3/4))
		if next < rate {
			b.lastDown, b.downAt = now, worst
			b.set(next, "congestion")
		}
	case rate < b.target && now.Sub(b.calm) >= bitrateCalm && now.Sub(b.lastUp) >= bitrateStepUp:
		b.lastUp = now
		b.set(min(b.target, int(float64(rate)*bitrateRaise)), "room")
	}
}

func (b *bitrateControl) set(rate int, why string) {
	b.rate.Store(int64(rate))
	b.log.Info("rtmpsrc: video bitrate", "bitrate", rate, "reason", why)
}
