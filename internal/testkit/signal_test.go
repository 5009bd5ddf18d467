package testkit

import (
	"math"
	"testing"
)

func TestSignalHelpers(t *testing.T) {
	const rate = 48000
	x := make([]float64, rate)
	for i := range x {
		x[i] = 1000 * math.Sin(2*math.Pi*1234.5*float64(i)/rate)
	}
	if f := DominantFrequency(x, rate, 1000, 1500, 0.5); math.Abs(f-1234.5) > 0.5 {
		t.Errorf("DominantFrequency = %v Hz, want 1234.5", f)
	}
	if f := ZeroCrossingFrequency(x, rate); math.Abs(f-1234.5) > 0.1 {
		t.Errorf("ZeroCrossingFrequency = %v Hz, want 1234.5", f)
	}
	if r := RMS(x); math.Abs(r-1000/math.Sqrt2) > 1 {
		t.Errorf("RMS = %v, want %v", r, 1000/math.Sqrt2)
	}
	if Goertzel(x, rate, 1234.5) < 1e6*Goertzel(x, rate, 2000) {
		t.Error("Goertzel does not single out the sine's frequency")
	}
}
