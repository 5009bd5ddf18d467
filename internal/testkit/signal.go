package testkit

import (
	"encoding/binary"
	"math"
)

// Signal analysis of PCM, for checking decoded audio.

// Channel extracts channel c of interleaved signed 16-bit little-endian
// PCM as float64 samples.
func Channel(pcm []byte, channels, c int) []float64 {
	n := len(pcm) / (2 * channels)
	out := make([]float64, n)
	for i := range n {
		out[i] = float64(int16(binary.LittleEndian.Uint16(pcm[(i*channels+c)*2:])))
	}
	return out
}

// Floats converts samples to float64.
func Floats(s []int16) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// Goertzel is the power of x at freq Hz (the Goertzel algorithm): a
// full-window sine of amplitude A gives about A²·n²/4.
func Goertzel(x []float64, rate int, freq float64) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s0 := v + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - coeff*s1*s2
}

// DominantFrequency scans [lo, hi] Hz in step Hz and returns the
// frequency of highest Goertzel power.
func DominantFrequency(x []float64, rate int, lo, hi, step float64) float64 {
	best, bestP := lo, -1.0
	for f := lo; f <= hi; f += step {
		if p := Goertzel(x, rate, f); p > bestP {
			best, bestP = f, p
		}
	}
	return best
}

// ZeroCrossingFrequency estimates the frequency of a clean sine from the
// time between its first and last rising zero crossings.
func ZeroCrossingFrequency(x []float64, rate int) float64 {
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

// RMS is the root mean square of x.
func RMS(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(max(len(x), 1)))
}
