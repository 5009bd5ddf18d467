package rtmpsrc

import "time"

// sendQueue holds the tags waiting for one destination's connection. It is
// measured in media time, and its drop policy keeps it within maxLatency
// when the network is slower than the stream: first video frames that no
// other frame references, then the rest of the group of pictures (video
// then waits for the next keyframe). Audio, keyframes and headers are
// never dropped for congestion.
//
// It owns a reference to each tag body it holds, and releases it when the
// tag is dropped; pop hands the reference to the caller. It is not safe
// for concurrent use.
type sendQueue struct {
	tags       []tag
	head       int // tags[head:] are waiting
	maxLatency time.Duration
	// waitKey drops video until the next keyframe, for waitReason.
	waitKey    bool
	waitReason DropReason
	stats      *destinationStats
	// kernel is the media time already handed to the kernel and not yet
	// acknowledged by the server, as last measured: it counts against
	// maxLatency too.
	kernel time.Duration
}

// setKernel notes the kernel's share of the send delay.
func (q *sendQueue) setKernel(d time.Duration) {
	q.kernel = d
	q.relieve()
	q.stats.queued.Store(int64(q.latency()))
}

// oldest is the DTS of the oldest media tag waiting, or 0.
func (q *sendQueue) oldest() time.Duration {
	for _, t := range q.tags[q.head:] {
		if !t.header {
			return t.dts
		}
	}
	return 0
}

func (q *sendQueue) len() int { return len(q.tags) - q.head }

// push queues t, applying the drop policy.
func (q *sendQueue) push(t tag) {
	if t.typ == flvTagVideo && !t.header {
		if q.waitKey && !t.key {
			q.drop(t, q.waitReason)
			return
		}
		if t.key {
			q.waitKey = false
		}
	}
	if q.head > 0 && len(q.tags) == cap(q.tags) {
		// Reuse the array's front, which pop has emptied, before append
		// would grow it: a queue that never quite empties stays the size
		// it needs.
		n := copy(q.tags, q.tags[q.head:])
		clear(q.tags[n:])
		q.tags, q.head = q.tags[:n], 0
	}
	q.tags = append(q.tags, t)
	q.relieve()
	q.stats.queued.Store(int64(q.latency()))
}

// pop takes the oldest tag; the caller owns its body reference.
func (q *sendQueue) pop() (tag, bool) {
	if q.len() == 0 {
		return tag{}, false
	}
	t := q.tags[q.head]
	q.tags[q.head] = tag{}
	q.head++
	q.stats.queued.Store(int64(q.latency()))
	return t, true
}

// latency is the media time waiting. Headers are left out: they carry
// the time of the session's start.
func (q *sendQueue) latency() time.Duration {
	w := q.tags[q.head:]
	for i := range w {
		if !w[i].header {
			return w[len(w)-1].dts - w[i].dts
		}
	}
	return 0
}

// relieve drops video while the queue and the kernel together hold more
// than maxLatency.
func (q *sendQueue) relieve() {
	if q.latency()+q.kernel <= q.maxLatency || q.len() == 0 {
		return
	}
	q.filter(func(t tag) bool { return t.typ == flvTagVideo && !t.header && t.disposable }, DropCongestion)
	if q.latency()+q.kernel <= q.maxLatency {
		return
	}
	q.filter(func(t tag) bool { return t.typ == flvTagVideo && !t.header && !t.key }, DropCongestionGOP)
	q.waitKey, q.waitReason = true, DropCongestionGOP
}

func (q *sendQueue) filter(drop func(tag) bool, reason DropReason) {
	kept := q.tags[:0]
	for _, t := range q.tags[q.head:] {
		if drop(t) {
			q.drop(t, reason)
			continue
		}
		kept = append(kept, t)
	}
	clear(q.tags[len(kept):])
	q.tags, q.head = kept, 0
}

// dropAll empties the queue (the connection is gone) and makes video wait
// for a keyframe, which the new connection will need.
func (q *sendQueue) dropAll(reason DropReason) {
	for _, t := range q.tags[q.head:] {
		q.drop(t, reason)
	}
	clear(q.tags)
	q.tags, q.head = q.tags[:0], 0
	q.waitKey, q.waitReason = true, reason
	q.stats.queued.Store(0)
}

// drop counts a tag that will not be sent and releases its body.
func (q *sendQueue) drop(t tag, reason DropReason) {
	switch {
	case t.header:
	case t.typ == flvTagVideo:
		q.stats.drops.add(reason)
	case t.typ == flvTagAudio:
		q.stats.audioDropped.Add(1)
	}
	t.body.release()
}
