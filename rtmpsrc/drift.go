package rtmpsrc

import "time"

// driftCorrector keeps audio from a device clock locked to media time. A
// device's nominal rate is never the wall clock's (a "48 kHz" card may
// deliver 48 050 samples a second); counted in samples, its audio would
// slowly run ahead of the video, or behind, and latency would pile up in
// the queues. The corrector compares the audio written so far with the
// wall time at which each chunk was captured, and drops or repeats a few
// sample frames per chunk (at most 0.5%, inaudible) to hold the
// difference within a few milliseconds.
type driftCorrector struct {
	rate      int
	frameSize int // bytes per sample frame

	started  bool
	origin   time.Time // capture time of the first sample
	written  int64     // sample frames let through so far
	smoothed float64   // seconds, low-pass filtered offset
	buf      []byte
	// Corrections made, in sample frames.
	dropped, inserted int64
}

const (
	driftDeadband = 2 * time.Millisecond
	// driftMaxRate is the largest share of a chunk that may be dropped
	// or repeated.
	driftMaxRate = 0.005
	// driftSmoothing is the weight of one chunk's measurement; capture
	// times jitter by a device period, so the offset is averaged over
	// about a hundred chunks.
	driftSmoothing = 0.01
)

func newDriftCorrector(rate, frameSize int) *driftCorrector {
	return &driftCorrector{rate: rate, frameSize: frameSize}
}

// correct returns the chunk with frames dropped or repeated as needed.
// The result is valid until the next call.
func (d *driftCorrector) correct(data []byte, captured time.Time) []byte {
	frames := len(data) / d.frameSize
	if frames == 0 || captured.IsZero() {
		d.written += int64(frames)
		return data
	}
	if !d.started {
		d.started = true
		d.origin = captured
	}
	// Positive: more audio written than wall time has passed.
	offset := float64(d.written)/float64(d.rate) - captured.Sub(d.origin).Seconds()
	d.smoothed += driftSmoothing * (offset - d.smoothed)
	n := 0
	if limit := max(1, int(float64(frames)*driftMaxRate)); d.smoothed > driftDeadband.Seconds() {
		n = -min(limit, int(d.smoothed*float64(d.rate)))
	} else if d.smoothed < -driftDeadband.Seconds() {
		n = min(limit, int(-d.smoothed*float64(d.rate)))
	}
	if n == 0 {
		d.written += int64(frames)
		return data
	}
	// Spread the changes over the chunk: each drops or repeats one
	// frame at an even step.
	d.buf = d.buf[:0]
	k := n
	if k < 0 {
		k = -k
	}
	step := frames / (k + 1)
	for i := 0; i < frames; i++ {
		f := data[i*d.frameSize : (i+1)*d.frameSize]
		if k > 0 && step > 0 && i > 0 && i%step == 0 {
			k--
			if n < 0 {
				continue // drop this frame
			}
			d.buf = append(d.buf, f...) // repeat it
		}
		d.buf = append(d.buf, f...)
	}
	out := len(d.buf) / d.frameSize
	if out < frames {
		d.dropped += int64(frames - out)
	} else {
		d.inserted += int64(out - frames)
	}
	// The correction takes effect at once in the estimate, so it is not
	// repeated while the average catches up.
	d.smoothed += float64(out-frames) / float64(d.rate)
	d.written += int64(out)
	return d.buf
}
