package capture

import (
	"encoding/binary"
	"math"
	"testing"
)

// Signal analysis shared by the tone and microphone tests.

// channel extracts one channel of interleaved s16le PCM as float64.
func channel(pcm []byte, channels, c int) []float64 {
	n := len(pcm) / (2 * channels)
	out := make([]float64, n)
	for i := range n {
		out[i] = float64(int16(binary.LittleEndian.Uint16(pcm[(i*channels+c)*2:])))
	}
	return out
}

// goertzelPower is the power of x at freq Hz (Goertzel algorithm),
// normalized so that a full-window sine of amplitude A gives about A²/4·n².
func goertzelPower(x []float64, freq float64, rate int) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s0 := v + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - coeff*s1*s2
}

// dominantFrequency scans [lo, hi] Hz in step Hz and returns the frequency
// of highest Goertzel power.
func dominantFrequency(x []float64, rate int, lo, hi, step float64) float64 {
	best, bestP := lo, -1.0
	for f := lo; f <= hi; f += step {
		if p := goertzelPower(x, f, rate); p > bestP {
			best, bestP = f, p
		}
	}
	return best
}

// zeroCrossingFrequency estimates the frequency of a clean sine from the
// time between its first and last rising zero crossings.
func zeroCrossingFrequency(x []float64, rate int) float64 {
	first, last, n := -1.0, -1.0, 0
	for i := 1; i < len(x); i++ {
		if x[i-1] < 0 && x[i] >= 0 {
			// Interpolate the crossing between the two samples.
			t := float64(i-1) + -x[i-1]/(x[i]-x[i-1])
			if first < 0 {
				first = t
			} else {
				n++
			}
			last = t
		}
	}
	if n == 0 {
		return 0
	}
	return float64(n) * float64(rate) / (last - first)
}

func rms(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(max(len(x), 1)))
}

func TestSignalHelpers(t *testing.T) {
	const rate = 48000
	x := make([]float64, rate)
	for i := range x {
		x[i] = 1000 * math.Sin(2*math.Pi*1234.5*float64(i)/rate)
	}
	if f := dominantFrequency(x, rate, 1000, 1500, 0.5); math.Abs(f-1234.5) > 0.5 {
		t.Errorf("dominantFrequency = %v Hz, want 1234.5", f)
	}
	if f := zeroCrossingFrequency(x, rate); math.Abs(f-1234.5) > 0.1 {
		t.Errorf("zeroCrossingFrequency = %v Hz, want 1234.5", f)
	}
	if r := rms(x); math.Abs(r-1000/math.Sqrt2) > 1 {
		t.Errorf("rms = %v, want %v", r, 1000/math.Sqrt2)
	}
}
