package main

import (
	"context"
	"encoding/binary"
	"io"
	"math"
	"time"

	"github.com/golivecast/golivecast/capture"
)

// beeps is the lip-sync sound: a 1 kHz beep for the first 100 ms of every
// second of media time, silence otherwise. The picture flashes white at
// the same moments.
type beeps struct {
	format capture.AudioFormat
	limit  int64 // sample frames; 0 = endless
	next   int64
	mute   bool
	buf    []byte
}

func newBeeps(f capture.AudioFormat, d time.Duration, mute bool) *beeps {
	return &beeps{format: f, limit: int64(d.Seconds() * float64(f.SampleRate)), mute: mute,
		buf: make([]byte, 1024*f.BytesPerFrame())}
}

func (b *beeps) Format() capture.AudioFormat { return b.format }

func (b *beeps) ReadAudio(ctx context.Context) (capture.AudioChunk, error) {
	if err := ctx.Err(); err != nil {
		return capture.AudioChunk{}, err
	}
	n := int64(1024)
	if b.limit > 0 {
		if b.next >= b.limit {
			return capture.AudioChunk{}, io.EOF
		}
		n = min(n, b.limit-b.next)
	}
	rate := int64(b.format.SampleRate)
	out := b.buf[:int(n)*b.format.BytesPerFrame()]
	for i := int64(0); i < n; i++ {
		s := b.next + i
		v := 0.0
		if !b.mute && s%rate < rate/10 {
			v = 0.5 * math.Sin(2*math.Pi*1000*float64(s%rate)/float64(rate))
		}
		for c := 0; c < b.format.Channels; c++ {
			binary.LittleEndian.PutUint16(out[(int(i)*b.format.Channels+c)*2:], uint16(int16(v*32767)))
		}
	}
	chunk := capture.AudioChunk{Data: out, PTS: time.Duration(b.next * int64(time.Second) / rate)}
	b.next += n
	return chunk, nil
}

// limitAudio ends a live source after d of audio (0: never).
func limitAudio(src capture.AudioSource, d time.Duration) capture.AudioSource {
	if d <= 0 {
		return src
	}
	f := src.Format()
	left := int64(d.Seconds()*float64(f.SampleRate)) * int64(f.BytesPerFrame())
	return capture.AudioSourceFunc(f, func(ctx context.Context) (capture.AudioChunk, error) {
		if left <= 0 {
			return capture.AudioChunk{}, io.EOF
		}
		c, err := src.ReadAudio(ctx)
		if err != nil {
			return c, err
		}
		if int64(len(c.Data)) > left {
			c.Data = c.Data[:left]
		}
		left -= int64(len(c.Data))
		return c, nil
	})
}
