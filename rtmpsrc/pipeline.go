package rtmpsrc

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"sync"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
)

// runVideo reads pictures and encodes them. In constant-frame-rate mode
// it makes exactly one picture per frame interval of media time: a live
// stream repeats the last picture when the source has nothing new by the
// time the frame is due; a file waits for the source.
//
// Each picture is copied into a 4:2:0 image the publisher owns before the
// source is asked for the next one, since a source may reuse its buffer
// from the next ReadFrame on; the encoder then reads that copy in place.
func (p *Publisher) runVideo(ctx context.Context, clock *mediaClock, enc *encode.H264, t *track, horizon *videoHorizon) error {
	defer close(t.ch)
	o := enc.Options()
	own := image.NewYCbCr(image.Rect(0, 0, o.Width, o.Height), image.YCbCrSubsampleRatio420)
	frames := make(chan capture.Frame)
	taken := make(chan struct{})
	readErr := make(chan error, 1)
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	wg.Add(1)
	go func() {
		// The reader asks for the next picture as soon as the last one
		// is copied, so a source that draws on demand draws while the
		// previous picture encodes.
		defer wg.Done()
		for {
			f, err := p.cfg.Video.ReadFrame(rctx)
			if err == nil && f.Image == nil {
				err = errors.New("rtmpsrc: video source returned a frame without an image")
			}
			if err != nil {
				readErr <- err
				return
			}
			select {
			case frames <- f:
			case <-rctx.Done():
				return
			}
			select {
			case <-taken:
			case <-rctx.Done():
				return
			}
		}
	}()

	fd := o.FrameRate
	frameDur := fd.FrameDuration()
	paced := clock.live && !p.cfg.Timestamped
	var (
		have    bool
		lastPTS = time.Duration(-1)
		pts     time.Duration
	)
	end := func() error {
		// The picture ends where the last one stops showing.
		switch {
		case !p.cfg.Timestamped:
			horizon.end(pts) // the time of the frame that did not come
		case lastPTS >= 0:
			horizon.end(lastPTS + frameDur)
		default:
			horizon.end(0)
		}
		for {
			pkts, err := enc.Flush()
			if err != nil {
				return fmt.Errorf("rtmpsrc: flushing video: %w", err)
			}
			if pkts == nil {
				return nil
			}
			if err := send(ctx, t, flvTagVideo, pkts); err != nil {
				return err
			}
		}
	}
	repeatTimer := time.NewTimer(0)
	repeatTimer.Stop()
	defer repeatTimer.Stop()
	for i := int64(0); ; i++ {
		if !p.cfg.Timestamped {
			pts = frameTime(i, fd)
			if err := clock.wait(ctx, pts+p.cfg.StartTime); err != nil {
				return err
			}
		}
		var (
			f   capture.Frame
			got bool
		)
		var timeout <-chan time.Time
		if have && paced {
			// Wait for a new picture until the next frame is due (half a
			// frame at least, for a loop that is catching up); only then
			// repeat the last one.
			repeatTimer.Reset(max(time.Until(clock.at(pts+frameDur+p.cfg.StartTime)), frameDur/2))
			timeout = repeatTimer.C
		}
		select {
		case f = <-frames:
			got = true
		case err := <-readErr:
			if err := sourceEnd(err, "video"); err != nil {
				return err
			}
			return end()
		case <-timeout:
			p.stats.repeated.Add(1)
		case <-ctx.Done():
			return ctx.Err()
		}
		repeatTimer.Stop()
		if got {
			p.stats.framesIn.Add(1)
			if p.cfg.Timestamped {
				// The encoder counts in 90 kHz ticks: frames closer than
				// one tick are not in order for it.
				f.PTS = f.PTS.Round(time.Second / 90000)
			}
			if p.cfg.Timestamped && f.PTS <= lastPTS {
				p.stats.drop(DropNotMonotonic)
				if err := ack(ctx, taken); err != nil {
					return err
				}
				continue
			}
			if p.cfg.Timestamped {
				pts = f.PTS
			}
			err := encode.ToI420(own, f.Image)
			if e := ack(ctx, taken); e != nil {
				return e
			}
			if err != nil {
				return fmt.Errorf("rtmpsrc: video frame %d: %w", i, err)
			}
			have = true
		}
		horizon.advance(pts + frameDur)
		if p.forceKey.Swap(false) {
			enc.ForceKeyframe()
		}
		pkts, err := enc.Encode(own, pts)
		if err != nil {
			return fmt.Errorf("rtmpsrc: video frame %d: %w", i, err)
		}
		lastPTS = pts
		if err := send(ctx, t, flvTagVideo, pkts); err != nil {
			return err
		}
	}
}

// ack lets the reader go on to the next picture.
func ack(ctx context.Context, taken chan<- struct{}) error {
	select {
	case taken <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sourceEnd turns a source's io.EOF into a normal end and wraps anything
// else.
func sourceEnd(err error, kind string) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("rtmpsrc: %s source: %w", kind, err)
}

// silenceGap is how far audio may fall behind the wall clock on a live
// stream before silence fills the gap: ingest servers drop a stream whose
// audio stops.
const silenceGap = 300 * time.Millisecond

// endGrace is how long the audio source may stay silent, once the
// picture has ended, before the rest of the audio up to the picture's end
// is filled with silence: a file stream has no wall clock to tell a slow
// source from a stalled one.
const endGrace = time.Second

// runAudio reads PCM and encodes it. Audio time is the count of samples
// consumed, so it cannot drift from the stream's media time. The audio
// never runs past the video horizon (see videoHorizon); horizon is nil
// for a stream without video.
func (p *Publisher) runAudio(ctx context.Context, clock *mediaClock, enc *encode.AAC, t *track, horizon *videoHorizon) error {
	defer close(t.ch)
	src := p.cfg.Audio
	format := src.Format()
	chunks := make(chan capture.AudioChunk, 4)
	readErr := make(chan error, 1)
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := src.ReadAudio(rctx)
			if err != nil {
				readErr <- err
				return
			}
			select {
			case chunks <- capture.AudioChunk{Data: append([]byte(nil), c.Data...), Captured: c.Captured}:
			case <-rctx.Done():
				return
			}
		}
	}()

	bpf := format.BytesPerFrame()
	var samples int64 // per channel, consumed so far
	audioTime := func() time.Duration { return samplesToDuration(samples, format.SampleRate) }
	var tick <-chan time.Time
	if clock.live {
		tk := time.NewTicker(silenceGap / 3)
		defer tk.Stop()
		tick = tk.C
	}
	// videoOver fires when the picture ends, if that ends the audio too.
	var videoOver <-chan struct{}
	if horizon != nil && p.cfg.End == EndWithVideo {
		videoOver = horizon.over()
	}
	var graceTimer *time.Timer
	var grace <-chan time.Time
	defer func() {
		if graceTimer != nil {
			graceTimer.Stop()
		}
	}()
	silence := make([]byte, bpf*encode.AACFrameSamples)
	drift := newDriftCorrector(format.SampleRate, bpf)

	// feed encodes PCM, never past the video horizon: it encodes what
	// the horizon allows and waits for the picture to go on. It reports
	// whether the audio reached the end of a picture that is over.
	feed := func(data []byte) (bool, error) {
		for len(data) > 0 {
			n := len(data)
			over := false
			if horizon != nil {
				// Wait until the horizon allows one more sample (the
				// nanosecond past the rounded-down time makes sure of it).
				h, ended, err := horizon.wait(ctx, samplesToDuration(samples+1, format.SampleRate)+1)
				if err != nil {
					return false, err
				}
				if ended && p.cfg.End != EndWithVideo {
					horizon = nil // audio goes on alone
				} else if allowed := (durationToSamples(h, format.SampleRate) - samples) * int64(bpf); allowed < int64(n) || ended && allowed == int64(n) {
					n, over = int(max(allowed, 0)), ended
				}
			}
			if n > 0 {
				pkts, err := enc.Encode(data[:n])
				if err != nil {
					return false, fmt.Errorf("rtmpsrc: audio: %w", err)
				}
				samples += int64(n / bpf)
				if err := send(ctx, t, flvTagAudio, pkts); err != nil {
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
	fillTo := func(end time.Duration) (bool, error) {
		for audioTime() < end {
			n := min(int64(encode.AACFrameSamples), durationToSamples(end, format.SampleRate)-samples)
			if n <= 0 {
				break
			}
			over, err := feed(silence[:n*int64(bpf)])
			if err != nil || over {
				return over, err
			}
			drift.written += n
			p.stats.silence.Add(int64(samplesToDuration(n, format.SampleRate)))
		}
		return false, nil
	}
	finish := func() error {
		pkts, err := enc.Flush()
		if err != nil {
			return fmt.Errorf("rtmpsrc: flushing audio: %w", err)
		}
		return send(ctx, t, flvTagAudio, pkts)
	}
	for {
		var (
			over bool
			err  error
		)
		select {
		case c := <-chunks:
			data := c.Data
			if clock.live {
				data = drift.correct(data, c.Captured)
			}
			over, err = feed(data)
		case err := <-readErr:
			if err := sourceEnd(err, "audio"); err != nil {
				return err
			}
			// The reader queued its last chunks before it reported the
			// end: encode them all before flushing.
			for drained := false; !drained && !over; {
				select {
				case c := <-chunks:
					if over, err = feed(c.Data); err != nil {
						return err
					}
				default:
					drained = true
				}
			}
			return finish()
		case <-videoOver:
			videoOver = nil
			end, _ := horizon.get()
			if audioTime() >= end {
				return finish()
			}
			graceTimer = time.NewTimer(endGrace)
			grace = graceTimer.C
		case <-grace:
			// The picture is over and the audio source has gone quiet.
			end, _ := horizon.get()
			over, err = fillTo(end)
			over = true
		case <-tick:
			if len(chunks) > 0 {
				// The source is not late; this loop is (waiting for the
				// picture, or for the muxer).
				continue
			}
			// The source is late: fill with silence up to shortly
			// behind the wall clock, and never past the picture, so the
			// silence cannot hold up real audio that arrives meanwhile.
			target := clock.elapsed() - p.cfg.StartTime - silenceGap
			if horizon != nil {
				h, _ := horizon.get()
				target = min(target, h)
			}
			over, err = fillTo(target)
		case <-ctx.Done():
			return ctx.Err()
		}
		if err != nil {
			return err
		}
		if over {
			return finish()
		}
	}
}

// durationToSamples is the number of whole samples in d, the inverse of
// samplesToDuration rounded down.
func durationToSamples(d time.Duration, rate int) int64 {
	r := int64(rate)
	return int64(d/time.Second)*r + int64(d%time.Second)*r/int64(time.Second)
}

// samplesToDuration converts a sample count without overflowing for any
// stream length.
func samplesToDuration(n int64, rate int) time.Duration {
	r := int64(rate)
	return time.Duration(n/r*int64(time.Second) + n%r*int64(time.Second)/r)
}

// frameTime is the media time of frame i at a rational frame rate,
// without overflowing for any stream length.
func frameTime(i int64, fps encode.Rational) time.Duration {
	num, den := int64(fps.Num), int64(fps.Den)
	return time.Duration(i/num*den*int64(time.Second) + i%num*den*int64(time.Second)/num)
}
