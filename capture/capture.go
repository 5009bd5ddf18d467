// Package capture defines the producers that feed a golivecast stream:
// video sources that yield images and audio sources that yield PCM, with
// Func adapters, push adapters for programs that own their loop, and ready
// sources (tone, silence, images from a function). It is pure Go; the
// microphone, which links miniaudio's C code, is package
// capture/microphone.
//
// A source ends by returning io.EOF. Any other error ends the stream with
// that error.
//
// # Pictures that do not change
//
// A picture shown again costs almost nothing when the publisher knows it
// is the same: it sends a skip frame, a few bytes that tell the decoder to
// show the last picture again, instead of encoding it (see
// encode.H264.Repeat). The publisher knows in two cases, and never guesses
// from the pixels, which a producer may have changed in place, nor from
// the image pointer, which a producer may reuse for a new picture:
//
//   - its own repeats: a newest-only source (VideoPush, Latest) that has
//     nothing new when a frame is due, or any source that is late on a
//     live stream, leaves the last picture on screen for that frame;
//   - a producer's word: a Frame with Unchanged set (Images: fn returns
//     Unchanged) is the picture of the frame before, unchanged since.
//
// A program that draws only when something happens, such as a bot or a
// dashboard, gets both for free with VideoPush: it writes a picture when
// there is a new one, and writes nothing in between.
package capture

import (
	"context"
	"fmt"
	"image"
	"time"

	"github.com/golivecast/golivecast/internal/mediatime"
)

// Frame is one picture handed to the publisher.
type Frame struct {
	// Image is the picture. The publisher reads it before it asks the
	// source for the next frame; the source must not change it until then.
	Image image.Image
	// PTS is the media time of the frame when the producer stamps its own
	// frames (timestamped mode). It is ignored in constant-frame-rate mode.
	PTS time.Duration
	// Unchanged says the picture is, pixel for pixel, the one of the
	// source's previous frame: the publisher shows that picture again
	// without reading Image, which may be nil, and sends it as a skip
	// frame where it can. Set it only when the producer knows nothing
	// changed; the first frame of a source must carry an image.
	Unchanged bool
}

// VideoSource yields frames. ReadFrame blocks until the next frame is
// ready, the context ends, or the source ends (io.EOF). It must return
// soon after ctx is done: a publisher waits for it to stop.
//
// The publisher asks for one frame per output frame interval, as soon as
// it has copied the previous one, and tells when the frame is due through
// the context (see Due). A source that draws on demand draws at once, so
// that drawing overlaps the encoding of the previous picture. A source
// that keeps only the newest picture of a producer running on its own
// clock (VideoPush, Latest) waits until the frame is due before it
// chooses, so that the picture sent is the newest at that moment. A
// wrapper that passes its context on keeps either behaviour.
type VideoSource interface {
	ReadFrame(ctx context.Context) (Frame, error)
}

// VideoSourceFunc returns a VideoSource whose ReadFrame calls read.
func VideoSourceFunc(read func(ctx context.Context) (Frame, error)) VideoSource {
	return videoFunc(read)
}

type videoFunc func(ctx context.Context) (Frame, error)

func (f videoFunc) ReadFrame(ctx context.Context) (Frame, error) { return f(ctx) }

// AudioFormat describes PCM: signed 16-bit little-endian samples,
// interleaved by channel.
type AudioFormat struct {
	// SampleRate in Hz.
	SampleRate int
	// Channels is 1 (mono) or 2 (stereo).
	Channels int
}

// BytesPerFrame is the size of one sample for every channel.
func (f AudioFormat) BytesPerFrame() int { return 2 * f.Channels }

// Duration is the media time covered by n bytes of PCM in this format.
func (f AudioFormat) Duration(n int) time.Duration {
	if f.SampleRate <= 0 || f.Channels <= 0 {
		return 0
	}
	return mediatime.Duration(int64(n/f.BytesPerFrame()), 1, int64(f.SampleRate))
}

// Validate reports whether the format is one golivecast can carry. The
// error wraps ErrConfig.
func (f AudioFormat) Validate() error {
	if f.SampleRate < 8000 || f.SampleRate > 96000 {
		return fmt.Errorf("%w: sample rate %d Hz out of range [8000, 96000]", ErrConfig, f.SampleRate)
	}
	if f.Channels != 1 && f.Channels != 2 {
		return fmt.Errorf("%w: %d channels: only 1 (mono) or 2 (stereo) are supported", ErrConfig, f.Channels)
	}
	return nil
}

// AudioChunk is a run of PCM in the source's format.
type AudioChunk struct {
	// Data holds signed 16-bit little-endian samples, interleaved; its
	// length is a whole number of sample frames. The publisher copies it
	// before the next ReadAudio call.
	Data []byte
	// PTS is the media time of the first sample when the producer stamps
	// its chunks; the publisher derives audio time from sample counts.
	PTS time.Duration
	// Captured is the wall-clock time the first sample was captured, for
	// audio that runs on a device's clock (a microphone); it is zero for
	// generated audio. A device's "48 kHz" is never exactly the wall
	// clock's, and the publisher uses this to keep audio locked to media
	// time over hours.
	Captured time.Time
}

// AudioSource yields PCM. ReadAudio blocks until the next chunk is ready,
// the context ends, or the source ends (io.EOF). It must return soon
// after ctx is done: a publisher waits for it to stop.
type AudioSource interface {
	// Format is the format of every chunk; it does not change, since
	// the encoder is configured from it once.
	Format() AudioFormat
	ReadAudio(ctx context.Context) (AudioChunk, error)
}

// AudioSourceFunc returns an AudioSource of format whose ReadAudio calls
// read.
func AudioSourceFunc(format AudioFormat, read func(ctx context.Context) (AudioChunk, error)) AudioSource {
	return &audioFunc{format: format, read: read}
}

type audioFunc struct {
	format AudioFormat
	read   func(ctx context.Context) (AudioChunk, error)
}

func (a *audioFunc) Format() AudioFormat                               { return a.format }
func (a *audioFunc) ReadAudio(ctx context.Context) (AudioChunk, error) { return a.read(ctx) }
