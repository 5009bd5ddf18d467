package rtmpsrc

import (
	"testing"
	"time"

	"github.com/golivecast/golivecast/encode"
)

// TestClockArithmeticLongStreams: frame and sample times stay exact and
// positive far past the 53 h where a plain n*1e9 overflows.
func TestClockArithmeticLongStreams(t *testing.T) {
	const hours = 1000
	ntsc := encode.Rational{Num: 30000, Den: 1001}
	frames := int64(hours * 3600 * 30000 / 1001)
	got := frameTime(frames, ntsc)
	want := time.Duration(float64(frames) * 1001 / 30000 * float64(time.Second))
	if d := (got - want).Abs(); d > time.Millisecond || got <= 0 {
		t.Errorf("frame %d at 30000/1001: %v, want %v", frames, got, want)
	}
	if frameTime(3, ntsc) != 100100000*time.Nanosecond {
		t.Errorf("frame 3: %v", frameTime(3, ntsc))
	}
	samples := int64(hours * 3600 * 48000)
	if got := samplesToDuration(samples+24000, 48000); got != hours*time.Hour+500*time.Millisecond {
		t.Errorf("samples: %v", got)
	}
}
