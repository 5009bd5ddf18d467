package rtmpsrc

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/mediatime"
)

// videoLoop reads pictures and encodes them. In constant-frame-rate mode
// it makes exactly one picture per frame interval of media time: a live
// stream repeats the last picture when the source has nothing new by the
// time the frame is due; a file waits for the source. In timestamped mode
// each picture keeps the time its producer gave it.
//
// Each picture is copied into a 4:2:0 image the loop owns before the
// source is asked for the next one, since a source may reuse its buffer
// from the next ReadFrame on; the encoder then reads that copy in place.
type videoLoop struct {
	src      capture.VideoSource
	enc      *encode.H264
	out      *track
	clock    *mediaClock
	pace     *pacer
	horizon  *videoHorizon
	stats    *pipelineStats
	keyframe *atomic.Bool    // set to ask for a keyframe
	stop     <-chan struct{} // closed by Shutdown: the picture ends now
	bitrate  *atomic.Int64   // the rate to encode at (DynamicBitrate); nil: fixed

	// The reader goroutine hands pictures over one at a time. It asks
	// for the next one as soon as the last is copied, telling the source
	// when it is due (capture.Due): a source that draws on demand draws
	// while the previous picture encodes, and one that keeps only its
	// newest picture waits until the frame is due to pick it.
	frames  chan capture.Frame
	taken   chan struct{}
	readErr chan error
	due     atomic.Int64 // wall time, unix nanos, the picture asked for is due

	own         *image.YCbCr
	scaler      encode.Scaler // writes pictures of any size into own
	timestamped bool
	rate        encode.Rational
	frame       time.Duration // one frame interval
	lastPTS     time.Duration // of the last picture encoded, -1 before the first
}

func (v *videoLoop) run(ctx context.Context) error {
	defer close(v.out.ch)
	o := v.enc.Options()
	v.pace = v.clock.pacer()
	v.own = image.NewYCbCr(image.Rect(0, 0, o.Width, o.Height), image.YCbCrSubsampleRatio420)
	v.rate, v.frame, v.lastPTS, v.timestamped = o.FrameRate, o.FrameRate.FrameDuration(), -1, o.Timestamped
	rctx, stopReading := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stopReading(); wg.Wait() }()
	v.frames, v.taken, v.readErr = make(chan capture.Frame), make(chan struct{}), make(chan error, 1)
	if v.clock.live && !v.timestamped {
		v.due.Store(v.clock.at(0).UnixNano())
		rctx = capture.WithDue(rctx, func() time.Time { return time.Unix(0, v.due.Load()) })
	}
	wg.Go(func() { v.read(rctx) })

	repeat := time.NewTimer(0)
	repeat.Stop()
	defer repeat.Stop()
	for i := int64(0); ; i++ {
		pts := v.lastPTS
		if !v.timestamped {
			pts = mediatime.Duration(i, int64(v.rate.Den), int64(v.rate.Num))
			if err := v.pace.wait(ctx, pts); err != nil {
				return err
			}
		}
		f, got, err := v.nextFrame(ctx, pts, repeat)
		if errors.Is(err, io.EOF) {
			return v.end(ctx, pts)
		}
		if err != nil {
			return err
		}
		same := !got // nothing new came: the last picture stays
		if got {
			var ok bool
			if pts, ok, same, err = v.take(ctx, f, pts, i); err != nil {
				return fmt.Errorf("rtmpsrc: video frame %d: %w", i, err)
			}
			if !ok {
				i-- // dropped: the frame tick is not used up
				continue
			}
		}
		if err := v.encode(ctx, pts, same); err != nil {
			return fmt.Errorf("rtmpsrc: video frame %d: %w", i, err)
		}
	}
}

// read asks the source for pictures, the next one as soon as the last is
// copied.
func (v *videoLoop) read(ctx context.Context) {
	for {
		f, err := v.src.ReadFrame(ctx)
		if err == nil && f.Image == nil && !f.Unchanged {
			err = errors.New("rtmpsrc: video source returned a frame without an image")
		}
		if err != nil {
			v.readErr <- err
			return
		}
		select {
		case v.frames <- f:
		case <-ctx.Done():
			return
		}
		select {
		case <-v.taken:
		case <-ctx.Done():
			return
		}
	}
}

// nextFrame waits for the source's next picture. A paced live stream
// waits until the next frame is due at most (half a frame at least, for
// a loop that is catching up), then repeats the last picture (got false).
// The end of the source, or Shutdown, is io.EOF.
func (v *videoLoop) nextFrame(ctx context.Context, pts time.Duration, repeat *time.Timer) (f capture.Frame, got bool, err error) {
	select {
	case <-v.stop: // before a picture that is ready too
		return f, false, io.EOF
	default:
	}
	var timeout <-chan time.Time
	if v.lastPTS >= 0 && v.clock.live && !v.timestamped {
		repeat.Reset(max(time.Until(v.clock.at(pts+v.frame)), v.frame/2))
		defer repeat.Stop()
		timeout = repeat.C
	}
	select {
	case f = <-v.frames:
		return f, true, nil
	case err := <-v.readErr:
		return f, false, sourceEnd(err, "video")
	case <-v.stop:
		return f, false, io.EOF
	case <-timeout:
		v.stats.repeated.Add(1)
		return f, false, nil
	case <-ctx.Done():
		return f, false, ctx.Err()
	}
}

// take copies a picture the source gave for frame i into the loop's own
// image, scaled to it when its size differs, and lets the reader go on,
// to the picture of frame i+1. In timestamped mode it returns the
// picture's time, and false for a picture that does not come after the
// last one, which is dropped. A frame marked Unchanged leaves the loop's
// picture as it is, and take says it is the same.
func (v *videoLoop) take(ctx context.Context, f capture.Frame, pts time.Duration, i int64) (time.Duration, bool, bool, error) {
	v.stats.taken.Add(1)
	ok := true
	same := f.Unchanged && v.lastPTS >= 0
	var err error
	if v.timestamped {
		// The encoder counts in 90 kHz ticks: frames closer than one tick
		// are not in order for it.
		pts = f.PTS.Round(time.Second / 90000)
		if ok = pts > v.lastPTS; !ok {
			v.stats.outOfOrder.Add(1)
		}
	}
	switch {
	case !ok || same:
	case f.Image == nil:
		err = errors.New("the first frame is marked Unchanged and has no image")
	default:
		err = v.scaler.ToI420(v.own, f.Image)
	}
	if v.clock.live && !v.timestamped {
		v.due.Store(v.clock.at(mediatime.Duration(i+1, int64(v.rate.Den), int64(v.rate.Num))).UnixNano())
	}
	select {
	case v.taken <- struct{}{}:
	case <-ctx.Done():
		return pts, false, false, ctx.Err()
	}
	return pts, ok, same, err
}

// encode encodes the loop's picture at pts and sends the packets. A
// picture the same as the last one is sent as a repeat, a skip frame
// where the encoder can.
func (v *videoLoop) encode(ctx context.Context, pts time.Duration, same bool) error {
	v.horizon.advance(pts + v.frame)
	if v.keyframe.Swap(false) {
		v.enc.ForceKeyframe()
	}
	if v.bitrate != nil {
		if r := int(v.bitrate.Load()); r != v.enc.Options().Bitrate {
			if err := v.enc.SetBitrate(r); err != nil {
				return err
			}
			v.stats.videoBitrate.Store(int64(r))
		}
	}
	var pkts []encode.Packet
	var err error
	if same {
		pkts, err = v.enc.Repeat(v.own, pts)
	} else {
		pkts, err = v.enc.Encode(v.own, pts)
	}
	if err != nil {
		return err
	}
	for _, p := range pkts {
		if p.Skip {
			v.stats.skipFrames.Add(1)
		}
	}
	v.lastPTS = pts
	return v.out.send(ctx, pkts)
}

// end marks the picture as over where the last one stops showing, and
// flushes the encoder.
func (v *videoLoop) end(ctx context.Context, next time.Duration) error {
	switch {
	case !v.timestamped:
		v.horizon.end(next) // the time of the frame that did not come
	case v.lastPTS >= 0:
		v.horizon.end(v.lastPTS + v.frame)
	default:
		v.horizon.end(0)
	}
	for {
		pkts, err := v.enc.Flush()
		if err != nil {
			return fmt.Errorf("rtmpsrc: flushing video: %w", err)
		}
		if pkts == nil {
			return nil
		}
		if err := v.out.send(ctx, pkts); err != nil {
			return err
		}
	}
}

// sourceEnd turns a source's io.EOF into the end of its track and wraps
// anything else.
func sourceEnd(err error, kind string) error {
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("rtmpsrc: %s source: %w", kind, err)
}
