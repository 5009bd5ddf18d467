package rtmpsrc

import (
	"math/rand/v2"
	"time"
)

// ReconnectPolicy says how a destination re-establishes a connection that
// dropped mid-stream. The zero value reconnects with the defaults below.
// The first connection is never retried: a destination that cannot start
// fails at once with the reason.
type ReconnectPolicy struct {
	// Disabled turns reconnection off: a lost connection fails the
	// destination.
	Disabled bool
	// InitialDelay is the wait before the first attempt. It defaults to
	// 250 ms. Each wait is jittered down to half its value, so that
	// publishers cut off together do not return together.
	InitialDelay time.Duration
	// MaxDelay caps the wait, which doubles after every failed attempt.
	// It defaults to 2 s, so that a stream resumes within about 2 s of
	// its server or path coming back, however long the outage. An
	// attempt that hangs (a path that swallows packets) does not hold up
	// the next: a new one starts at each wait's end, with at most two
	// under way, and the first to publish wins.
	MaxDelay time.Duration
	// MaxAttempts fails the destination after this many failed attempts
	// in a row. It defaults to 0: no limit.
	MaxAttempts int
}

func (r ReconnectPolicy) withDefaults() ReconnectPolicy {
	r.InitialDelay = orDefault(r.InitialDelay, 250*time.Millisecond)
	r.MaxDelay = orDefault(r.MaxDelay, 2*time.Second)
	r.InitialDelay = min(r.InitialDelay, r.MaxDelay)
	return r
}

// refusalGrace is how long a reconnecting destination retries refusals:
// after a network cut the server may still hold the old session and
// refuse the key as already published until it times out.
const refusalGrace = time.Minute

// backoff spaces reconnection attempts: jittered, doubling, capped.
type backoff struct {
	policy   ReconnectPolicy
	delay    time.Duration
	attempt  int // attempts started
	failures int // attempts that failed
	// refusedSince is when the server began refusing the key; zero while
	// it does not.
	refusedSince time.Time
}

func newBackoff(p ReconnectPolicy) *backoff {
	return &backoff{policy: p, delay: p.InitialDelay}
}

// next is the wait before the next attempt: between half the current
// delay and all of it, never past MaxDelay.
func (b *backoff) next() time.Duration {
	b.attempt++
	d := time.Duration(float64(b.delay) * (0.5 + 0.5*rand.Float64()))
	b.delay = min(2*b.delay, b.policy.MaxDelay)
	return d
}

// exhausted reports whether the failed attempts allowed are used up.
func (b *backoff) exhausted() bool {
	return b.policy.MaxAttempts > 0 && b.failures >= b.policy.MaxAttempts
}

// refused notes a refusal of the publish and reports whether refusals
// have now lasted longer than refusalGrace.
func (b *backoff) refused(now time.Time) bool {
	if b.refusedSince.IsZero() {
		b.refusedSince = now
		return false
	}
	return now.Sub(b.refusedSince) > refusalGrace
}

// failed notes an attempt that failed for another reason.
func (b *backoff) failed() { b.refusedSince = time.Time{} }

// maxPendingAttempts bounds the reconnection attempts under way at once.
const maxPendingAttempts = 2
