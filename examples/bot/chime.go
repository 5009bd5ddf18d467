package main

import (
	"context"
	"encoding/binary"
	"math"
	"sync"
	"time"

	"github.com/golivecast/golivecast/capture"
)

const (
	chimeFor   = 300 * time.Millisecond
	chimeDecay = 70 * time.Millisecond
	chunkSize  = capture.DefaultChunkFrames // one AAC frame per read
)

// chimes is the bot's sound, an audio source the publisher pulls: silence,
// with a short chime wherever ring was called.
//
// Unlike capture.Tone, which makes its samples as fast as it is asked,
// chimes makes each chunk only once the chunk's last sample is due on the
// wall clock (counted from the first read, when the stream starts). A
// chime rung at any moment therefore falls in a chunk not made yet, and
// starts at the sample of that moment, with the card it announces.
type chimes struct {
	format capture.AudioFormat
	timer  *time.Timer
	buf    []byte

	mu     sync.Mutex
	origin time.Time // when sample 0 was due; zero before the first read
	made   int64     // sample frames made so far
	rings  []int64   // the first sample of each chime not over yet
}

func newChimes(format capture.AudioFormat) *chimes {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &chimes{format: format, timer: t}
}

func (c *chimes) Format() capture.AudioFormat { return c.format }

// ring starts a chime now. Before the stream starts it does nothing.
func (c *chimes) ring() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.origin.IsZero() {
		return
	}
	at := int64(time.Since(c.origin).Seconds() * float64(c.format.SampleRate))
	c.rings = append(c.rings, max(at, c.made))
}

// ReadAudio returns the next chunk once its last sample is due.
func (c *chimes) ReadAudio(ctx context.Context) (capture.AudioChunk, error) {
	rate := int64(c.format.SampleRate)
	c.mu.Lock()
	if c.origin.IsZero() {
		c.origin = time.Now()
	}
	due := c.origin.Add(time.Duration((c.made + chunkSize) * int64(time.Second) / rate))
	c.mu.Unlock()

	c.timer.Reset(time.Until(due))
	select {
	case <-c.timer.C:
	case <-ctx.Done():
		c.timer.Stop()
		return capture.AudioChunk{}, ctx.Err()
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	start := c.made
	c.buf = c.buf[:0]
	for s := start; s < start+chunkSize; s++ {
		v := 0.0
		for _, r := range c.rings {
			v += chime(float64(s-r) / float64(rate))
		}
		for range c.format.Channels {
			c.buf = binary.LittleEndian.AppendUint16(c.buf, uint16(int16(max(-1, min(1, v))*32767)))
		}
	}
	c.made += chunkSize
	keep := c.rings[:0]
	for _, r := range c.rings {
		if time.Duration((c.made-r)*int64(time.Second)/rate) < chimeFor {
			keep = append(keep, r)
		}
	}
	c.rings = keep
	return capture.AudioChunk{Data: c.buf, PTS: time.Duration(start * int64(time.Second) / rate)}, nil
}

// chime is the sound t seconds after it was rung: two bell-like partials
// that fade out.
func chime(t float64) float64 {
	if t < 0 || t >= chimeFor.Seconds() {
		return 0
	}
	env := math.Exp(-t / chimeDecay.Seconds())
	if a := 0.002; t < a { // a 2 ms fade-in avoids a click
		env *= t / a
	}
	return env * (0.35*math.Sin(2*math.Pi*1318.5*t) + 0.2*math.Sin(2*math.Pi*1975.5*t))
}
