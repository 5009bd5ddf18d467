package rtmpsrc

import (
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"io"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/rtmptest"
)

// Helpers for the clock tests (lipsync_test.go, cadence_test.go,
// timestamped_test.go, longstream_test.go, stall_test.go).

// clkAACDelay is the AAC encoder delay the publisher compensates: 1600
// samples at 44.1 kHz, 36.28 ms. Video goes out this much later than the
// audio of the same media time, so on the wire a picture of media time t
// carries millis(t + clkAACDelay).
const clkAACDelay = 1600 * time.Second / 44100

var clkStereo44k = capture.AudioFormat{SampleRate: 44100, Channels: 2}

// clkSolid is a w x h picture of one colour.
func clkSolid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

// clkInFlash reports whether index i of a signal sampled at rate falls in the
// first 100 ms of a whole second: i/rate - floor(i/rate) < 0.1, in integer
// arithmetic so that frame and sample decisions agree exactly.
func clkInFlash(i int64, rate int64) bool { return (i%rate)*10 < rate }

// clkFlashVideo is frames pictures at fps, white during the first 100 ms of
// every second of media time (frame i is at i/fps) and black otherwise.
func clkFlashVideo(w, h, fps, frames int) capture.VideoSource {
	white := clkSolid(w, h, color.RGBA{255, 255, 255, 255})
	black := clkSolid(w, h, color.RGBA{0, 0, 0, 255})
	return capture.Images(func(i int) image.Image {
		switch {
		case i >= frames:
			return nil
		case clkInFlash(int64(i), int64(fps)):
			return white
		default:
			return black
		}
	})
}

// clkBeepAudio is total sample frames of PCM: a 1 kHz sine at half scale
// during the first 100 ms of every second (sample n is at n/rate), digital
// silence otherwise. Each beep starts at phase 0 on its second.
func clkBeepAudio(format capture.AudioFormat, total int64) capture.AudioSource {
	var next int64
	var buf []byte
	rate := int64(format.SampleRate)
	return capture.AudioSourceFunc(format, func(ctx context.Context) (capture.AudioChunk, error) {
		if err := ctx.Err(); err != nil {
			return capture.AudioChunk{}, err
		}
		n := min(int64(capture.DefaultChunkFrames), total-next)
		if n <= 0 {
			return capture.AudioChunk{}, io.EOF
		}
		fb := format.BytesPerFrame()
		buf = append(buf[:0], make([]byte, int(n)*fb)...)
		for i := int64(0); i < n; i++ {
			s := next + i
			var v int16
			if clkInFlash(s, rate) {
				v = int16(math.Round(0.5 * math.MaxInt16 * math.Sin(2*math.Pi*1000*float64(s%rate)/float64(rate))))
			}
			for c := 0; c < format.Channels; c++ {
				binary.LittleEndian.PutUint16(buf[int(i)*fb+2*c:], uint16(v))
			}
		}
		pts := time.Duration(next) * time.Second / time.Duration(rate)
		next += n
		return capture.AudioChunk{Data: buf, PTS: pts}, nil
	})
}

// media is what the server received on one track: the RTMP timestamps of
// the audio or video messages after the sequence header.
func clkMedia(ev []rtmptest.Event, kind rtmptest.Kind) []uint32 {
	var ts []uint32
	for _, e := range ev {
		if kind == rtmptest.KindVideo && e.VideoFrame() || kind == rtmptest.KindAudio && e.AudioFrame() {
			ts = append(ts, e.Timestamp)
		}
	}
	return ts
}

// clkSeqHeaders returns the timestamps of the AVC and AAC sequence
// headers the server received (-1 when missing).
func clkSeqHeaders(ev []rtmptest.Event) (video, audio int64) {
	video, audio = -1, -1
	for _, e := range ev {
		if e.Kind == rtmptest.KindVideo && e.Video != nil && e.Video.AVCPacketType == 0 && video < 0 {
			video = int64(e.Timestamp)
		}
		if e.Kind == rtmptest.KindAudio && e.Audio != nil && e.Audio.AACPacketType == 0 && audio < 0 {
			audio = int64(e.Timestamp)
		}
	}
	return video, audio
}

// clkWaitClosed waits (bounded) until the server has seen the publisher's
// connection end, so that the event log is complete.
func clkWaitClosed(t *testing.T, srv *rtmptest.Server) []rtmptest.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := srv.WaitClosed(ctx)
	if err != nil {
		t.Fatalf("waiting for the publisher to disconnect: %v", err)
	}
	return ev
}

// clkCheckCadence checks that video timestamps (milliseconds, first at
// first) are those of a constant frame rate: frame j at
// millis(j/fps) after the first, to the millisecond of truncation, so
// consecutive frames are 1000/fps ms apart ±1 ms and strictly
// increasing.
func clkCheckCadence(t *testing.T, ts []uint32, fps int) {
	t.Helper()
	if len(ts) == 0 {
		t.Fatal("no video frames")
	}
	bad := 0
	for j := range ts {
		if j > 0 {
			step := int64(ts[j]) - int64(ts[j-1])
			if lo, hi := int64(1000/fps), int64((1000+fps-1)/fps); step < lo || step > hi {
				if bad++; bad <= 5 {
					t.Errorf("video frame %d: %d ms after frame %d (ts %d, %d), want %d–%d", j, step, j-1, ts[j-1], ts[j], lo, hi)
				}
			}
		}
		want := int64(j) * 1000 / int64(fps)
		if d := int64(ts[j]) - int64(ts[0]) - want; d < -1 || d > 1 {
			if bad++; bad <= 5 {
				t.Errorf("video frame %d at %d ms after the first, want %d±1", j, int64(ts[j])-int64(ts[0]), want)
			}
		}
	}
	if bad > 5 {
		t.Errorf("... %d cadence errors in all, of %d frames", bad, len(ts))
	}
}

// clkCheckAudioSteps checks that AAC frame timestamps are contiguous: each
// one 1024 samples (23.2 ms at 44.1 kHz) after the previous, to the
// millisecond, with no gap and no step back.
func clkCheckAudioSteps(t *testing.T, ts []uint32, rate int) {
	t.Helper()
	if len(ts) == 0 {
		t.Fatal("no audio frames")
	}
	bad := 0
	for j := 1; j < len(ts); j++ {
		want := int64(j) * 1024 * 1000 / int64(rate)
		if d := int64(ts[j]) - int64(ts[0]) - want; d < -1 || d > 1 {
			if bad++; bad <= 5 {
				t.Errorf("audio frame %d at %d ms after the first (%d after the previous), want %d±1",
					j, int64(ts[j])-int64(ts[0]), int64(ts[j])-int64(ts[j-1]), want)
			}
		}
	}
	if bad > 5 {
		t.Errorf("... %d audio timestamp errors in all, of %d frames", bad, len(ts))
	}
}

// clkArrivals notes the wall-clock time at which each server event arrived,
// by watching the event log from a goroutine the test owns. The times are
// as precise as the goroutine's wake-ups: a few milliseconds.
type clkArrivals struct {
	mu     sync.Mutex
	times  []time.Time
	cancel context.CancelFunc
	done   chan struct{}
}

func clkWatchArrivals(t *testing.T, srv *rtmptest.Server) *clkArrivals {
	ctx, cancel := context.WithCancel(context.Background())
	a := &clkArrivals{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		_ = srv.WaitFor(ctx, func(ev []rtmptest.Event) bool {
			now := time.Now()
			a.mu.Lock()
			defer a.mu.Unlock()
			for len(a.times) < len(ev) {
				a.times = append(a.times, now)
			}
			return false
		})
	}()
	t.Cleanup(a.stop)
	return a
}

// stop ends the watcher and returns the arrival time of each event, in
// the order of srv.Events(). It is idempotent.
func (a *clkArrivals) stop() {
	a.cancel()
	<-a.done
}

func (a *clkArrivals) get() []time.Time {
	a.stop()
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]time.Time(nil), a.times...)
}

// clkMaxArrivalGap is the longest wall-clock silence between two
// consecutive media messages of kind (after its sequence header), and
// the index in ev of the message that ended it.
func clkMaxArrivalGap(ev []rtmptest.Event, at []time.Time, kind rtmptest.Kind) (time.Duration, int) {
	var (
		gap  time.Duration
		idx  = -1
		last time.Time
	)
	for i, e := range ev {
		if i >= len(at) || e.Kind != kind {
			continue
		}
		if (e.Video != nil && e.Video.AVCPacketType == 0) || (e.Audio != nil && e.Audio.AACPacketType == 0) {
			continue
		}
		if !last.IsZero() && at[i].Sub(last) > gap {
			gap, idx = at[i].Sub(last), i
		}
		last = at[i]
	}
	return gap, idx
}
