package rtmpsrc

import (
	"testing"
	"time"
)

// queueTag is a media tag of the given kind at dts, with a body.
func queueTag(typ byte, dts time.Duration, key, disposable bool) tag {
	return tag{typ: typ, dts: dts, key: key, disposable: disposable, body: newBuffer(16)}
}

// TestSendQueuePolicy drives the drop policy directly: unreferenced
// frames go first, then the rest of the group of pictures, and video then
// waits for a keyframe; audio and keyframes are never dropped.
func TestSendQueuePolicy(t *testing.T) {
	var st destinationStats
	q := sendQueue{maxLatency: 100 * time.Millisecond, stats: &st}
	frame := 33 * time.Millisecond
	q.push(queueTag(flvTagVideo, 0, true, false))
	for i := 1; i <= 3; i++ {
		q.push(queueTag(flvTagVideo, time.Duration(i)*frame, false, i%2 == 1))
		q.push(queueTag(flvTagAudio, time.Duration(i)*frame, true, false))
	}
	// 99 ms queued: nothing dropped yet.
	if q.len() != 7 || q.latency() != 3*frame {
		t.Fatalf("len %d latency %v", q.len(), q.latency())
	}
	// Past 100 ms: the disposable frames (1 and 3) go; the keyframe at 0
	// still holds the span over the limit, so the rest of the group of
	// pictures (2 and 4) goes too, and video waits for a keyframe.
	q.push(queueTag(flvTagVideo, 4*frame, false, false))
	drops := st.drops.snapshot()
	if drops[DropCongestion] != 2 || drops[DropCongestionGOP] != 2 || !q.waitKey {
		t.Fatalf("drops %v, waitKey %v", drops, q.waitKey)
	}
	q.push(queueTag(flvTagAudio, 5*frame, true, false))  // audio is kept whatever the latency
	q.push(queueTag(flvTagVideo, 6*frame, false, false)) // dropped: not a key
	q.push(queueTag(flvTagVideo, 7*frame, true, false))  // kept
	var video, audio, keys int
	for {
		tg, ok := q.pop()
		if !ok {
			break
		}
		switch {
		case tg.typ == flvTagAudio:
			audio++
		case tg.key:
			keys++
			video++
		default:
			video++
		}
		tg.body.release()
	}
	// The network never drained: two keyframes and every audio frame
	// are what is left.
	if audio != 4 || keys != 2 || video != 2 || st.audioDropped.Load() != 0 {
		t.Errorf("popped %d video (%d keys) and %d audio, audio dropped %d", video, keys, audio, st.audioDropped.Load())
	}
}

// TestSendQueueSteadyFlow: a queue that is popped as it is pushed, never
// quite empty, keeps its array the size it needs.
func TestSendQueueSteadyFlow(t *testing.T) {
	var st destinationStats
	q := sendQueue{maxLatency: time.Hour, stats: &st}
	q.push(queueTag(flvTagAudio, 0, true, false))
	for i := 1; i < 10000; i++ {
		q.push(queueTag(flvTagAudio, time.Duration(i)*time.Millisecond, true, false))
		tg, _ := q.pop()
		tg.body.release()
	}
	if q.len() != 1 || cap(q.tags) > 8 {
		t.Errorf("len %d, array of %d after a steady flow", q.len(), cap(q.tags))
	}
}
