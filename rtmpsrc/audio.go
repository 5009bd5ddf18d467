package rtmpsrc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/mediatime"
)

// silenceGap is how far audio may fall behind the wall clock on a live
// stream before silence fills the gap: ingest servers drop a stream whose
// audio stops.
const silenceGap = 300 * time.Millisecond

// endGrace is how long the audio source may stay quiet, once the picture
// has ended, before the rest of the audio up to the picture's end is
// filled with silence: a file stream has no wall clock to tell a slow
// source from a stalled one.
const endGrace = time.Second

// audioChunks is how many chunks the reader may hold ready.
const audioChunks = 4

// audioLoop reads PCM and encodes it. Audio time is the count of samples
// consumed, so it cannot drift from the stream's media time. The audio
// never runs past the video horizon (see videoHorizon).
type audioLoop struct {
	src     capture.AudioSource
	enc     *encode.AAC
	out     *track
	clock   *mediaClock
	horizon *videoHorizon // nil for a stream without video
	// cut ends the audio where the picture ends (EndWithVideo).
	cut   bool
	stats *pipelineStats
	stop  <-chan struct{} // closed by Shutdown

	format  capture.AudioFormat
	bpf     int   // bytes per sample frame
	samples int64 // per channel, consumed so far
	silence []byte
	drift   *driftCorrector

	// The reader copies each chunk into a buffer from free and hands it
	// over on chunks; the loop gives it back once encoded.
	chunks  chan capture.AudioChunk
	free    chan []byte
	readErr chan error
}

func (a *audioLoop) run(ctx context.Context) error {
	defer close(a.out.ch)
	a.format = a.src.Format()
	a.bpf = a.format.BytesPerFrame()
	a.silence = make([]byte, a.bpf*encode.AACFrameSamples)
	a.drift = newDriftCorrector(a.format.SampleRate, a.bpf)
	a.chunks, a.readErr = make(chan capture.AudioChunk, audioChunks), make(chan error, 1)
	a.free = make(chan []byte, audioChunks+2) // queued, encoding, being read
	for range cap(a.free) {
		a.free <- nil
	}
	rctx, stopReading := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stopReading(); wg.Wait() }()
	wg.Go(func() { a.read(rctx) })

	var tick <-chan time.Time
	if a.clock.live {
		t := time.NewTicker(silenceGap / 3)
		defer t.Stop()
		tick = t.C
	}
	var videoOver <-chan struct{} // fires when the picture ends, if that ends the audio
	if a.horizon != nil && a.cut {
		videoOver = a.horizon.over()
	}
	grace := time.NewTimer(time.Hour)
	grace.Stop()
	defer grace.Stop()
	stop := a.stop
	for {
		var (
			over bool
			err  error
		)
		select {
		case c := <-a.chunks:
			data := c.Data
			if a.clock.live {
				data = a.drift.correct(data, c.Captured)
			}
			over, err = a.feed(ctx, data)
			a.free <- c.Data
		case err := <-a.readErr:
			if err := sourceEnd(err, "audio"); !errors.Is(err, io.EOF) {
				return err
			}
			return a.drain(ctx)
		case <-stop:
			// Shutdown: the audio ends with the picture, or now.
			stop = nil
			if a.horizon == nil {
				return a.finish(ctx)
			}
			a.cut, videoOver = true, a.horizon.over()
		case <-videoOver:
			videoOver = nil
			if end, _ := a.horizon.get(); a.time() >= end {
				return a.finish(ctx)
			}
			grace.Reset(endGrace)
		case <-grace.C:
			// The picture is over and the audio source has gone quiet.
			end, _ := a.horizon.get()
			if _, err = a.fillTo(ctx, end); err == nil {
				over = true
			}
		case <-tick:
			over, err = a.fillLate(ctx)
		case <-ctx.Done():
			return ctx.Err()
		}
		if err != nil {
			return err
		}
		if over {
			return a.finish(ctx)
		}
	}
}

// read asks the source for PCM and copies each chunk, which the source
// may reuse from its next call on.
func (a *audioLoop) read(ctx context.Context) {
	for {
		c, err := a.src.ReadAudio(ctx)
		if err != nil {
			a.readErr <- err
			return
		}
		var buf []byte
		select {
		case buf = <-a.free:
		case <-ctx.Done():
			return
		}
		c.Data = append(buf[:0], c.Data...)
		select {
		case a.chunks <- c:
		case <-ctx.Done():
			return
		}
	}
}

func (a *audioLoop) time() time.Duration {
	return mediatime.Duration(a.samples, 1, int64(a.format.SampleRate))
}

// feed encodes PCM, never past the video horizon: it encodes what the
// horizon allows and waits for the picture to go on. It reports whether
// the audio reached the end of a picture that is over.
func (a *audioLoop) feed(ctx context.Context, data []byte) (bool, error) {
	rate := int64(a.format.SampleRate)
	for len(data) > 0 {
		n, over := len(data), false
		if a.horizon != nil {
			// Wait until the horizon allows one more sample.
			h, ended, err := a.horizon.wait(ctx, mediatime.Duration(a.samples+1, 1, rate))
			if err != nil {
				return false, err
			}
			if ended && !a.cut {
				a.horizon = nil // the audio goes on alone
			} else if allowed := (mediatime.Ticks(h, 1, rate) - a.samples) * int64(a.bpf); allowed < int64(n) || ended && allowed == int64(n) {
				n, over = int(max(allowed, 0)), ended
			}
		}
		if n > 0 {
			pkts, err := a.enc.Encode(data[:n])
			if err != nil {
				return false, fmt.Errorf("rtmpsrc: audio: %w", err)
			}
			a.samples += int64(n / a.bpf)
			if err := a.out.send(ctx, pkts); err != nil {
				return false, err
			}
			data = data[n:]
		}
		if over {
			return true, nil
		}
	}
	return false, nil
}

// fillTo encodes silence up to media time end, a frame at a time.
func (a *audioLoop) fillTo(ctx context.Context, end time.Duration) (bool, error) {
	rate := int64(a.format.SampleRate)
	for {
		n := min(int64(encode.AACFrameSamples), mediatime.Ticks(end, 1, rate)-a.samples)
		if n <= 0 {
			return false, nil
		}
		over, err := a.feed(ctx, a.silence[:n*int64(a.bpf)])
		if err != nil || over {
			return over, err
		}
		a.drift.written += n
		a.stats.silence.Add(int64(mediatime.Duration(n, 1, rate)))
	}
}

// fillLate fills with silence a live stream whose audio source is late:
// up to shortly behind the wall clock, and never past the picture, so
// that the silence cannot hold up real audio that arrives meanwhile.
func (a *audioLoop) fillLate(ctx context.Context) (bool, error) {
	if len(a.chunks) > 0 {
		// The source is not late; this loop is (waiting for the picture,
		// or for the muxer).
		return false, nil
	}
	target := a.clock.elapsed() - silenceGap
	if a.horizon != nil {
		h, _ := a.horizon.get()
		target = min(target, h)
	}
	return a.fillTo(ctx, target)
}

// drain encodes what the reader queued before it reported the end of the
// source, then flushes.
func (a *audioLoop) drain(ctx context.Context) error {
	for {
		select {
		case c := <-a.chunks:
			over, err := a.feed(ctx, c.Data)
			if err != nil {
				return err
			}
			if over {
				return a.finish(ctx)
			}
		default:
			return a.finish(ctx)
		}
	}
}

// finish flushes the encoder: the last partial frame, padded, and the
// encoder delay.
func (a *audioLoop) finish(ctx context.Context) error {
	pkts, err := a.enc.Flush()
	if err != nil {
		return fmt.Errorf("rtmpsrc: flushing audio: %w", err)
	}
	return a.out.send(ctx, pkts)
}
