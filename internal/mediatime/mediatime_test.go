package mediatime

import (
	"math/big"
	"testing"
	"time"
)

// exact is n*num*1e9/den, rounded up, in big integers.
func exact(n, num, den int64) *big.Int {
	v := new(big.Int).Mul(big.NewInt(n), big.NewInt(num))
	v.Mul(v, big.NewInt(int64(time.Second)))
	v.Add(v, big.NewInt(den-1))
	return v.Quo(v, big.NewInt(den))
}

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		n, num, den int64
		want        time.Duration
	}{
		{0, 1, 44100, 0},
		{1, 1, 44100, 22676},                       // 22675.73… ns
		{44100, 1, 44100, time.Second},             // one second of samples
		{1600, 1, 44100, 36281180},                 // the AAC priming
		{30, 1001, 30000, 1001 * time.Millisecond}, // 30 frames at 29.97
		{1, 1, 90000, 11112},
		{-1, 1, 44100, -22676},
	} {
		if got := Duration(c.n, c.num, c.den); got != c.want {
			t.Errorf("Duration(%d, %d, %d) = %d, want %d", c.n, c.num, c.den, got, c.want)
		}
	}
	// A week of 96 kHz samples and of 240 fps frames at 1001/240000,
	// where n*num*1e9 overflows 64 bits.
	for _, c := range [][3]int64{{96000 * 604800, 1, 96000}, {240 * 604800, 1001, 240000}, {1 << 40, 1, 7000}} {
		if got, want := Duration(c[0], c[1], c[2]), exact(c[0], c[1], c[2]); big.NewInt(int64(got)).Cmp(want) != 0 {
			t.Errorf("Duration(%v) = %d, want %v", c, got, want)
		}
	}
	if got := Duration(1<<62, 1000, 1); got != time.Duration(1<<63-1) {
		t.Errorf("Duration past the range = %d, want saturation", got)
	}
}

func TestTicksRoundTrip(t *testing.T) {
	for _, r := range [][2]int64{{1, 44100}, {1, 48000}, {1, 8000}, {1001, 30000}, {1, 30}, {1, 90000}, {1, 96000}} {
		for _, n := range []int64{0, 1, 2, 1023, 1024, 1600, 44099, 1 << 20, 1 << 33, 96000 * 86400 * 30} {
			d := Duration(n, r[0], r[1])
			if got := Ticks(d, r[0], r[1]); got != n {
				t.Errorf("Ticks(Duration(%d, %v)) = %d", n, r, got)
			}
			if got := RoundTicks(d, r[0], r[1]); got != n {
				t.Errorf("RoundTicks(Duration(%d, %v)) = %d", n, r, got)
			}
			if n > 0 {
				if got := Ticks(d-1, r[0], r[1]); got != n-1 {
					t.Errorf("Ticks(Duration(%d, %v) - 1ns) = %d, want %d", n, r, got, n-1)
				}
			}
		}
	}
	if got := RoundTicks(16*time.Millisecond+700*time.Microsecond, 1, 30); got != 1 {
		t.Errorf("RoundTicks(16.7 ms, 1/30) = %d, want 1", got)
	}
	if got := Ticks(-time.Second, 1, 44100); got != -44100 {
		t.Errorf("Ticks(-1 s) = %d", got)
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add(int64(12345), int64(1), int64(44100))
	f.Add(int64(1<<40), int64(1001), int64(30000))
	f.Fuzz(func(t *testing.T, n, num, den int64) {
		if n < 0 || num <= 0 || den <= 0 || num > 1<<20 || den > 1<<20 || n > 1<<50 {
			return
		}
		d := Duration(n, num, den)
		if want := exact(n, num, den); want.IsInt64() && big.NewInt(int64(d)).Cmp(want) != 0 {
			t.Fatalf("Duration(%d, %d, %d) = %d, want %v", n, num, den, d, want)
		}
		if want := exact(n, num, den); want.IsInt64() && num*int64(time.Second) > den { // ticks longer than 1 ns
			if k := Ticks(d, num, den); k != n {
				t.Fatalf("Ticks(Duration(%d, %d, %d)) = %d", n, num, den, k)
			}
		}
	})
}
