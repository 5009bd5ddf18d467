package rtmpsrc

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/testkit"
)

// A picture of another size than the encoder's, or one whose size
// changes mid-stream, is fitted into the stream's frame: these tests
// record such streams and decode them with ffmpeg.

// fitSegment is a run of frames drawn at one size, in one grey.
type fitSegment struct {
	size image.Point
	grey uint8
}

// fitSource draws each segment's pictures for perSegment frames, then
// ends.
func fitSource(segs []fitSegment, perSegment int) capture.VideoSource {
	pics := make([]*image.RGBA, len(segs))
	for i, s := range segs {
		pics[i] = image.NewRGBA(image.Rectangle{Max: s.size})
		for p := 0; p < len(pics[i].Pix); p += 4 {
			copy(pics[i].Pix[p:], []byte{s.grey, s.grey, s.grey, 255})
		}
	}
	return capture.Images(func(i int) image.Image {
		if i >= len(segs)*perSegment {
			return nil
		}
		return pics[i/perSegment]
	})
}

// recordFit streams the segments, with a tone, to an FLV file and
// returns its path.
func recordFit(t *testing.T, fit encode.Fit, w, h int, segs []fitSegment, perSegment int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fit.flv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tone := capture.Tone(capture.AudioFormat{SampleRate: 44100, Channels: 2}, 440, 0.3)
	tone.Duration = time.Duration(len(segs)*perSegment) * time.Second / 30
	p, err := New(Config{
		Output: f, Video: fitSource(segs, perSegment), Audio: tone, Fit: fit,
		VideoEncoder: encode.H264Options{Width: w, Height: h, Bitrate: 1500 * encode.Kbps},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkBars checks a decoded frame (full-range grey, as testkit.VideoLuma
// gives it: black is 0) column by column and row by row: the mean of each
// column (over the picture's rows) and of each row (over the picture's
// columns) is black outside r and the picture's grey inside it, so that a
// bar one sample too wide or too narrow shows.
func checkBars(t *testing.T, pix []byte, w, h int, r image.Rectangle, luma float64, what string) {
	t.Helper()
	// x264 at 1.5 Mbit/s moves a mean by a level at most here; black
	// bars drawn at Y 20 instead of 16 would be 4.7 off.
	const tolerance = 2.5
	mean := func(x0, x1, y0, y1 int) float64 {
		var sum int
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				sum += int(pix[y*w+x])
			}
		}
		return float64(sum) / float64((x1-x0)*(y1-y0))
	}
	check := func(axis string, i int, got float64, inside bool) {
		want := 0.0
		if inside {
			want = luma
		}
		if math.Abs(got-want) > tolerance {
			t.Fatalf("%s: %s %d has mean luma %.1f, want %.1f (picture at %v)", what, axis, i, got, want, r)
		}
	}
	for x := 0; x < w; x++ {
		check("column", x, mean(x, x+1, r.Min.Y, r.Max.Y), x >= r.Min.X && x < r.Max.X)
	}
	for y := 0; y < h; y++ {
		check("row", y, mean(r.Min.X, r.Max.X, y, y+1), y >= r.Min.Y && y < r.Max.Y)
	}
}

// TestFitSizeChanges streams pictures whose size changes every 20
// frames (the same size, 4:3, 2.4:1, odd, upright, larger) into a
// 320x180 stream, and checks the decoded frames: each shows its own
// picture, on its bars; the stream keeps its size, its keyframes on
// their 2 s schedule (frames 0 and 60, nothing more), its constant frame
// rate and its lip-sync.
func TestFitSizeChanges(t *testing.T) {
	testkit.RequireFFmpeg(t)
	const w, h, per = 320, 180, 20
	segs := []fitSegment{
		{image.Pt(320, 180), 200},
		{image.Pt(640, 480), 120},  // pillarbox
		{image.Pt(1280, 534), 160}, // letterbox
		{image.Pt(161, 91), 90},    // odd
		{image.Pt(90, 160), 230},   // upright
		{image.Pt(1920, 1080), 60}, // larger, same aspect ratio
	}
	// Where Place puts them, as worked out by hand (see encode's
	// TestFitPlace for the rounding).
	want := []image.Rectangle{
		image.Rect(0, 0, 320, 180),
		image.Rect(40, 0, 280, 180),
		image.Rect(0, 22, 320, 156),
		image.Rect(0, 0, 318, 180),
		image.Rect(108, 0, 210, 180),
		image.Rect(0, 0, 320, 180),
	}
	for i, s := range segs {
		if got := encode.FitLetterbox.Place(s.size, image.Pt(w, h)); got != want[i] {
			t.Fatalf("segment %d: Place gives %v, worked out %v", i, got, want[i])
		}
	}
	path := recordFit(t, encode.FitLetterbox, w, h, segs, per)
	n := len(segs) * per
	testkit.CheckRecording(t, path, testkit.Recording{Width: w, Height: h, Frames: n, SampleRate: 44100, Channels: 2, Aligned: true})

	frames := testkit.VideoLuma(t, path, w, h)
	if len(frames) != n {
		t.Fatalf("%d frames decoded, want %d", len(frames), n)
	}
	for i, f := range frames {
		s := i / per
		checkBars(t, f.Pix, w, h, want[s], float64(segs[s].grey), fmt.Sprintf("frame %d (%v)", i, segs[s].size))
	}

	// The video track starts after the AAC encoder's delay; from there
	// every frame is 1/30 s after the last (to FLV's millisecond).
	var keys []int
	packets := testkit.Packets(t, path, "v")
	for i, p := range packets {
		at := packets[0].PTS + time.Duration(i)*time.Second/30
		if d := p.PTS - at; d.Abs() > time.Millisecond {
			t.Errorf("packet %d at %v, want %v: the frame rate changed", i, p.PTS, at)
		}
		if p.Keyframe {
			keys = append(keys, i)
		}
	}
	if fmt.Sprint(keys) != "[0 60]" {
		t.Errorf("keyframes at frames %v, want [0 60] (the 2 s schedule)", keys)
	}
}

// TestFitStretch: with FitStretch a picture of another aspect ratio
// fills the frame, with no bar.
func TestFitStretch(t *testing.T) {
	testkit.RequireFFmpeg(t)
	const w, h = 320, 180
	segs := []fitSegment{{image.Pt(640, 480), 180}, {image.Pt(161, 300), 100}}
	path := recordFit(t, encode.FitStretch, w, h, segs, 10)
	frames := testkit.VideoLuma(t, path, w, h)
	if len(frames) != 20 {
		t.Fatalf("%d frames decoded, want 20", len(frames))
	}
	for i, f := range frames {
		checkBars(t, f.Pix, w, h, image.Rect(0, 0, w, h), float64(segs[i/10].grey), fmt.Sprintf("frame %d", i))
	}
}

// TestFitReject: with FitReject a picture of another size ends the
// stream with an error that names both sizes.
func TestFitReject(t *testing.T) {
	var out strings.Builder
	video := fitSource([]fitSegment{{image.Pt(64, 64), 100}, {image.Pt(640, 360), 100}}, 3)
	p, err := New(Config{Output: &out, Video: video, Fit: encode.FitReject, VideoEncoder: encode.H264Options{Width: 64, Height: 64}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	err = p.Run(context.Background())
	if !errors.Is(err, encode.ErrImageSize) || !strings.Contains(err.Error(), "got 640x360, configured 64x64") || !strings.Contains(err.Error(), "video frame 3") {
		t.Fatalf("Run: %v", err)
	}
}
