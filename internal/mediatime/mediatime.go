// Package mediatime converts between counts of ticks (samples, frames,
// encoder clock ticks) and time.Duration, exactly and without overflow for
// any count a stream can reach: n ticks of num/den seconds is
// n*num*1e9/den nanoseconds, computed in 128 bits.
package mediatime

import (
	"math/bits"
	"time"
)

// Duration is n ticks of num/den seconds, rounded up to the nanosecond,
// so that Ticks(Duration(n, num, den), num, den) == n for any tick longer
// than a nanosecond. A negative n gives the negative of -n ticks. It
// saturates at the largest Duration.
func Duration(n, num, den int64) time.Duration {
	if n < 0 {
		return -Duration(-n, num, den)
	}
	q, ok := mulDiv(uint64(n), uint64(num)*uint64(time.Second), uint64(den), uint64(den)-1)
	if !ok || q > uint64(1<<63-1) {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(q)
}

// Ticks is the number of whole ticks of num/den seconds in d, rounded
// down.
func Ticks(d time.Duration, num, den int64) int64 {
	if d < 0 {
		return -ceilTicks(-d, num, den)
	}
	q, _ := mulDiv(uint64(d), uint64(den), uint64(num)*uint64(time.Second), 0)
	return int64(q)
}

// RoundTicks is the number of ticks of num/den seconds nearest to d.
func RoundTicks(d time.Duration, num, den int64) int64 {
	if d < 0 {
		return -RoundTicks(-d, num, den)
	}
	div := uint64(num) * uint64(time.Second)
	q, _ := mulDiv(uint64(d), uint64(den), div, div/2)
	return int64(q)
}

func ceilTicks(d time.Duration, num, den int64) int64 {
	div := uint64(num) * uint64(time.Second)
	q, _ := mulDiv(uint64(d), uint64(den), div, div-1)
	return int64(q)
}

// mulDiv returns (a*b + add) / div in 128-bit arithmetic; ok is false
// when the quotient does not fit 64 bits.
func mulDiv(a, b, div, add uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	var carry uint64
	lo, carry = bits.Add64(lo, add, 0)
	hi += carry
	if hi >= div {
		return 1<<64 - 1, false
	}
	q, _ := bits.Div64(hi, lo, div)
	return q, true
}
