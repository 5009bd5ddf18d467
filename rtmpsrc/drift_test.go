package rtmpsrc

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestDriftCorrector runs a simulated hour of a device whose clock is
// 0.1% fast or slow against the wall clock, with capture times jittered
// by a device period, and requires the audio let through to stay within
// 20 ms of the wall clock all along: lip sync holds and no latency
// accumulates.
func TestDriftCorrector(t *testing.T) {
	for _, c := range []struct {
		name string
		ppm  float64 // device rate error, parts per million
	}{
		{"0.1% fast", 1000},
		{"0.1% slow", -1000},
		{"exact", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			const rate, chunk, frameSize = 48000, 480, 4
			d := newDriftCorrector(rate, frameSize)
			rng := rand.New(rand.NewPCG(7, 9))
			data := make([]byte, chunk*frameSize)
			start := time.Unix(1_000_000, 0)
			deviceRate := rate * (1 + c.ppm/1e6)
			var delivered int64
			var worst time.Duration
			chunks := int(time.Hour.Seconds() * deviceRate / chunk)
			for i := 0; i < chunks; i++ {
				wall := time.Duration(float64(delivered) / deviceRate * float64(time.Second))
				jitter := time.Duration(rng.Float64() * float64(10*time.Millisecond))
				out := d.correct(data, start.Add(wall+jitter))
				delivered += chunk
				if len(out)%frameSize != 0 {
					t.Fatalf("chunk %d: %d bytes, not whole frames", i, len(out))
				}
				// After the first minute the offset must hold: the audio
				// let through against the wall clock at the end of this
				// chunk.
				wallEnd := time.Duration(float64(delivered) / deviceRate * float64(time.Second))
				audio := time.Duration(float64(d.written) / rate * float64(time.Second))
				if off := (audio - wallEnd).Abs(); i > chunks/60 && off > worst {
					worst = off
				}
			}
			t.Logf("worst A/V offset %v; dropped %d, inserted %d sample frames", worst, d.dropped, d.inserted)
			if worst > 20*time.Millisecond {
				t.Fatalf("audio drifted %v from the wall clock", worst)
			}
			// A fast device's surplus is dropped, a slow one's deficit
			// filled: about 0.1% of an hour's samples either way.
			want := -int64(3600 * rate * c.ppm / 1e6)
			if got := d.inserted - d.dropped; got-want > rate/50 || want-got > rate/50 {
				t.Errorf("net correction %d frames, want about %d", got, want)
			}
		})
	}
}
