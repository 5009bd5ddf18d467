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
	// bitrateRaise is the factor of each step up: from a third of the
	// target back to it in seven steps.
	bitrateRaise = 1.2
	// bitrateShare is the part of a link's measured rate that the video
	// and audio may take after a step down: the rest drains the backlog.
	bitrateShare = 0.8
)

// bitrateControl computes the video bitrate the destinations can carry.
// The video loop applies it before its next picture (videoLoop.encode),
// so that x264 is only ever called from the loop that owns it.
type bitrateControl struct {
	target, floor int // the configured rate, and the lowest step down
	audio         int // the audio bitrate, which is not adjusted
	maxLatency    time.Duration
	dests         []*destination
	log           *slog.Logger

	rate atomic.Int64 // the video bitrate asked for, bit/s

	// The loop's own state.
	history  [][]int64 // per destination: bytes written at each tick of the last second
	lastDown time.Time
	lastUp   time.Time
	calm     time.Time // since when no destination is congested
}

func newBitrateControl(target, audio int, maxLatency time.Duration, dests []*destination, log *slog.Logger) *bitrateControl {
	b := &bitrateControl{target: target, floor: max(target/10, 50_000), audio: audio, maxLatency: maxLatency, dests: dests, log: log,
		history: make([][]int64, len(dests))}
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

// window is the number of ticks in the measured second.
const window = int(time.Second / bitrateTick)

// step looks at every live destination once.
func (b *bitrateControl) step(now time.Time) {
	rate := int(b.rate.Load())
	want, congested := b.target, false
	for i, d := range b.dests {
		h := append(b.history[i], d.stats.bytes.Load())
		if len(h) > window+1 {
			h = h[1:]
		}
		b.history[i] = h
		d.stats.mu.Lock()
		live := d.stats.state == StateLive
		d.stats.mu.Unlock()
		if !live {
			continue
		}
		delay := time.Duration(d.stats.queued.Load() + d.stats.inKernel.Load())
		if delay <= b.maxLatency/2 {
			continue
		}
		congested = true
		// What the link carried over the last second, payload only.
		carried := rate + b.audio
		if len(h) == window+1 {
			carried = int((h[len(h)-1] - h[0]) * 8)
		}
		want = min(want, int(float64(carried)*bitrateShare)-b.audio)
	}
	switch {
	case congested:
		b.calm = now
		if now.Sub(b.lastDown) < bitrateSettle {
			return
		}
		// The link's rate can read high while the kernel still drains:
		// each step down goes down by a quarter at least.
		next := max(b.floor, min(want, rate*3/4))
		if next < rate {
			b.lastDown = now
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
