package capture

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/golivecast/golivecast/internal/mediatime"
)

// DefaultChunkFrames is the number of sample frames per chunk of a
// generated source: 1024 is one AAC frame, so the encoder gets whole
// frames without buffering.
const DefaultChunkFrames = 1024

// ToneSource generates a sine wave (or silence) as PCM. It is created by
// Tone or Silence; set ChunkFrames and Duration before the first
// ReadAudio.
//
// It does not sleep: each ReadAudio returns the next chunk at once, and
// the publisher paces the stream against the wall clock. Every channel
// carries the same signal. The phase follows from the sample index, so
// the wave is continuous across chunks whatever their size.
type ToneSource struct {
	// ChunkFrames is the number of sample frames per chunk (the last
	// chunk of a limited source may be shorter). It defaults to
	// DefaultChunkFrames.
	ChunkFrames int
	// Duration, when positive, ends the source with io.EOF after exactly
	// Duration of samples (rounded down to a whole sample frame). It
	// defaults to zero: endless.
	Duration time.Duration

	format    AudioFormat
	freq      float64
	amplitude float64

	mu   sync.Mutex
	next int64 // index of the next sample frame
	buf  []byte
}

// Tone returns an endless sine of freqHz at amplitude (0 to 1 of full
// scale) in format. Invalid parameters (format, a frequency outside
// (0, SampleRate/2), an amplitude outside [0, 1]) make ReadAudio return an
// error wrapping ErrConfig, so Tone can be used inline.
func Tone(format AudioFormat, freqHz, amplitude float64) *ToneSource {
	return &ToneSource{format: format, freq: freqHz, amplitude: amplitude}
}

// Silence returns an endless source of digital silence in format, a Tone
// of zero amplitude. It keeps the audio track alive for a program that
// has nothing to say, since ingest servers drop streams whose audio stops.
func Silence(format AudioFormat) *ToneSource {
	return &ToneSource{format: format}
}

// Format returns the format given at creation.
func (t *ToneSource) Format() AudioFormat { return t.format }

func (t *ToneSource) validate() error {
	if err := t.format.Validate(); err != nil {
		return err
	}
	if t.amplitude < 0 || t.amplitude > 1 || math.IsNaN(t.amplitude) {
		return fmt.Errorf("%w: tone amplitude %g outside [0, 1]", ErrConfig, t.amplitude)
	}
	nyquist := float64(t.format.SampleRate) / 2
	if t.amplitude > 0 && !(t.freq > 0 && t.freq < nyquist) {
		return fmt.Errorf("%w: tone frequency %g Hz outside (0, %g) at %d Hz sampling",
			ErrConfig, t.freq, nyquist, t.format.SampleRate)
	}
	if t.ChunkFrames < 0 {
		return fmt.Errorf("%w: tone chunk of %d frames", ErrConfig, t.ChunkFrames)
	}
	return nil
}

// ReadAudio returns the next chunk. Its Data stays valid until the next
// ReadAudio call; its PTS is the sample index over the sample rate. It
// returns ctx.Err() if ctx has ended, and io.EOF once Duration is reached.
func (t *ToneSource) ReadAudio(ctx context.Context) (AudioChunk, error) {
	if err := ctx.Err(); err != nil {
		return AudioChunk{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.validate(); err != nil {
		return AudioChunk{}, err
	}

	frames := int64(t.ChunkFrames)
	if frames == 0 {
		frames = DefaultChunkFrames
	}
	if t.Duration > 0 {
		left := mediatime.Ticks(t.Duration, 1, int64(t.format.SampleRate)) - t.next
		if left <= 0 {
			return AudioChunk{}, io.EOF
		}
		frames = min(frames, left)
	}

	ch := t.format.Channels
	n := int(frames) * 2 * ch
	if cap(t.buf) < n {
		t.buf = make([]byte, n)
	}
	buf := t.buf[:n]
	if t.amplitude == 0 {
		clear(buf)
	} else {
		t.sine(buf, t.next, int(frames))
	}
	pts := mediatime.Duration(t.next, 1, int64(t.format.SampleRate))
	t.next += frames
	return AudioChunk{Data: buf, PTS: pts}, nil
}

// toneBlock is the number of samples a tone computes from one exact
// phase: sin and cos of the block's first sample, then a rotation by one
// sample's angle per sample. Over a block the rotation drifts by about
// 1e-14, far below a 16-bit step, and each block starts exact again.
const toneBlock = 256

// sine writes frames sample frames of the tone, from sample index from,
// into buf. Every sample is a function of its index alone, whatever the
// chunking: a block that a chunk starts inside of is run from its first
// sample by the same loop, which writes only from the chunk's start.
func (t *ToneSource) sine(buf []byte, from int64, frames int) {
	rate := float64(t.format.SampleRate)
	scale := t.amplitude * math.MaxInt16
	step := 2 * math.Pi * t.freq / rate
	cr, sr := math.Cos(step), math.Sin(step)
	ch := t.format.Channels
	end := from + int64(frames)
	for block := from - from%toneBlock; block < end; block += toneBlock {
		// Reducing f*n modulo the rate before scaling keeps the phase
		// exact for long streams, where 2*pi*f*n/rate would lose
		// precision.
		cycles := math.Mod(t.freq*float64(block), rate) / rate
		s, c := math.Sincos(2 * math.Pi * cycles)
		for k := block; k < block+toneBlock && k < end; k++ {
			if k >= from {
				v := uint16(int16(math.Round(scale * s)))
				o := int(k-from) * ch * 2
				for range ch {
					buf[o], buf[o+1] = byte(v), byte(v>>8)
					o += 2
				}
			}
			c, s = c*cr-s*sr, s*cr+c*sr
		}
	}
}
