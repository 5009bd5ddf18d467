package rtmpsrc

import (
	"context"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/gortmptest"
	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/internal/testkit"
	"github.com/golivecast/golivecast/rtmptest"
)

// Repeated pictures sent as skip frames, end to end: the lip-sync pattern
// (a flash with a beep every second) drawn by a source that says when its
// picture did not change, and a pushed picture left alone, through the
// FLV file, nginx-rtmp (recording and HLS) and MediaMTX's RTMP stack.
// Every receiver must decode without an error, every skip frame must be
// the picture before it to the bit, and the beeps must stay within
// testkit.LipSyncTolerance of their flashes.

// skipTextured is a picture with detail, bright or dark, each with a
// texture of its own: x264 encoding it again would not give back the same
// pixels, a skip frame does, and going from one to the other takes x264
// kilobytes (were they the same texture, weighted prediction would make
// the change a few bytes). A frame of under 64 bytes is a skip frame.
func skipTextured(w, h int, bright bool) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(10 + (x*7+y*13+x*y/5)%64)
			if bright {
				v = uint8(180 + (x*3+(x^y)*5)%64)
			}
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = v, v/2+40, 255-v, 255
		}
	}
	return img
}

// unchangedFlashVideo is clkFlashVideo's pattern with textured pictures,
// each frame that shows the same picture as the one before marked
// Unchanged.
func unchangedFlashVideo(w, h, fps, frames int) capture.VideoSource {
	bright, dark := skipTextured(w, h, true), skipTextured(w, h, false)
	return capture.Images(func(i int) image.Image {
		switch {
		case i >= frames:
			return nil
		case i > 0 && clkInFlash(int64(i), int64(fps)) == clkInFlash(int64(i-1), int64(fps)):
			return capture.Unchanged
		case clkInFlash(int64(i), int64(fps)):
			return bright
		default:
			return dark
		}
	})
}

// flashChanges counts the frames of the pattern that are new pictures.
func flashChanges(fps, frames int) int {
	n := 0
	for i := range frames {
		if i == 0 || clkInFlash(int64(i), int64(fps)) != clkInFlash(int64(i-1), int64(fps)) {
			n++
		}
	}
	return n
}

// checkSkipRecording decodes a recording of the unchanged flash pattern:
// no decode error, in sync, and each frame that was not a new picture is
// its predecessor to the bit.
func checkSkipRecording(t *testing.T, path string, seconds int) {
	t.Helper()
	testkit.CheckLipSync(t, path, lipFPS, seconds)
	hashes := testkit.FrameHashes(t, path)
	if len(hashes) != lipFPS*seconds {
		t.Fatalf("%d frames decoded, want %d", len(hashes), lipFPS*seconds)
	}
	keyint := 2 * lipFPS // the default keyframe interval
	same := 0
	for i := 1; i < len(hashes); i++ {
		changed := clkInFlash(int64(i), lipFPS) != clkInFlash(int64(i-1), lipFPS)
		if changed || i%keyint == 0 {
			continue
		}
		if hashes[i] != hashes[i-1] {
			t.Fatalf("frame %d repeats frame %d but decodes to other pixels", i, i-1)
		}
		same++
	}
	t.Logf("%d repeated frames decode to the picture before them", same)
}

func skipConfig(url string, seconds int) Config {
	return Config{
		URL:          url,
		Video:        unchangedFlashVideo(lipW, lipH, lipFPS, lipFPS*seconds),
		Audio:        clkBeepAudio(clkStereo44k, int64(44100*seconds)),
		VideoEncoder: encode.H264Options{Width: lipW, Height: lipH},
		Reconnect:    ReconnectPolicy{Disabled: true},
	}
}

// wantSkips is how many frames of the pattern become skip frames: every
// unchanged one but those on a keyframe (every 2 s, which the pattern's
// flashes start anyway).
func wantSkips(seconds int) int64 {
	n := lipFPS * seconds
	skips := n - flashChanges(lipFPS, n)
	for i := 0; i < n; i += 2 * lipFPS {
		if i > 0 && clkInFlash(int64(i), lipFPS) == clkInFlash(int64(i-1), lipFPS) {
			skips--
		}
	}
	return int64(skips)
}

// TestSkipFramesFile records the pattern to an FLV file, as fast as the
// encoders go.
func TestSkipFramesFile(t *testing.T) {
	testkit.RequireFFmpeg(t)
	const seconds = 4
	path := filepath.Join(t.TempDir(), "skip.flv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg := skipConfig("", seconds)
	cfg.Output = f
	p, err := runPublisher(t, cfg, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	if st.Video.SkipFrames != wantSkips(seconds) || st.Video.Taken != lipFPS*seconds || st.Video.Repeated != 0 {
		t.Errorf("%d skip frames, %d frames in, %d repeated; want %d, %d, 0", st.Video.SkipFrames, st.Video.Taken, st.Video.Repeated,
			wantSkips(seconds), lipFPS*seconds)
	}
	checkSkipRecording(t, path, seconds)
}

// TestSkipFramesNginx publishes the pattern live to nginx-rtmp, recording
// and cutting HLS fragments.
func TestSkipFramesNginx(t *testing.T) {
	testkit.RequireFFmpeg(t)
	const seconds = 5
	ng := testkit.StartNginx(t, nginx.Options{HLS: true})
	p, err := runPublisher(t, skipConfig(ng.URL("live", "skipkey"), seconds), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ng.Stop()
	if st := p.Stats(); st.Video.SkipFrames != wantSkips(seconds) {
		t.Errorf("%d skip frames, want %d", st.Video.SkipFrames, wantSkips(seconds))
	}
	recs := ng.RecordingsOf("skipkey")
	if len(recs) != 1 {
		t.Fatalf("recordings %v", recs)
	}
	checkSkipRecording(t, recs[0], seconds)

	live := filepath.Join(ng.HLSDir(), "skipkey.m3u8")
	segs := hlsSegments(t, live)
	if len(segs) < 2 {
		t.Fatalf("%d HLS fragments", len(segs))
	}
	for _, seg := range segs {
		if errs := testkit.DecodeErrors(t, seg); errs != "" {
			t.Errorf("%s: decode errors: %s", filepath.Base(seg), errs)
		}
	}
	b, err := os.ReadFile(live)
	if err != nil {
		t.Fatal(err)
	}
	playlist := filepath.Join(ng.HLSDir(), "ended.m3u8")
	if err := os.WriteFile(playlist, append(b, "#EXT-X-ENDLIST\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	checkSkipRecording(t, playlist, seconds)
}

// TestSkipFramesGortmplib publishes the pattern to MediaMTX's RTMP stack:
// every frame arrives, in order, with no error.
func TestSkipFramesGortmplib(t *testing.T) {
	const seconds = 3
	rcv, err := gortmptest.Start(gortmptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	p, err := runPublisher(t, skipConfig(rcv.URL("live", "mtxskip"), seconds), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	res := rcv.Wait(10 * time.Second)
	if res.Err != nil || !res.Unpublished {
		t.Fatalf("receiver: %v (unpublished %v)", res.Err, res.Unpublished)
	}
	st := p.Stats()
	if st.Video.SkipFrames != wantSkips(seconds) || len(res.Video) != lipFPS*seconds {
		t.Fatalf("%d skip frames (want %d), %d frames received of %d", st.Video.SkipFrames, wantSkips(seconds), len(res.Video), lipFPS*seconds)
	}
	small := 0
	for i, v := range res.Video {
		if i > 0 && (v.DTS <= res.Video[i-1].DTS || v.PTS != v.DTS) {
			t.Fatalf("video %d: %+v after %+v", i, v, res.Video[i-1])
		}
		if v.Size < 64 {
			small++
		}
	}
	if int64(small) != st.Video.SkipFrames {
		t.Errorf("%d frames of under 64 bytes arrived, %d skip frames sent", small, st.Video.SkipFrames)
	}
}

// TestSkipFramesPush: a program that pushes a picture and then nothing
// (a bot between two messages): the publisher repeats it at every frame
// as skip frames, and the server's recording shows it unchanged.
func TestSkipFramesPush(t *testing.T) {
	testkit.RequireFFmpeg(t)
	const w, h = 320, 240
	path := filepath.Join(t.TempDir(), "push.flv")
	srv, err := rtmptest.Start(rtmptest.Config{Record: func(app, key string) (io.WriteCloser, error) { return os.Create(path) }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	push := capture.NewVideoPush()
	defer push.Close()
	if err := push.WriteVideo(capture.Frame{Image: skipTextured(w, h, false)}); err != nil {
		t.Fatal(err)
	}
	p, err := New(Config{
		URL:          srv.URL("live", "push"),
		Video:        push,
		VideoEncoder: encode.H264Options{Width: w, Height: h},
		Reconnect:    ReconnectPolicy{Disabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	waitFrames(t, p, 40)
	if err := push.WriteVideo(capture.Frame{Image: skipTextured(w, h, true)}); err != nil {
		t.Fatal(err)
	}
	waitFrames(t, p, 90)
	push.Close()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	ev := clkWaitClosed(t, srv)
	st := p.Stats()
	// Every repeat but one on a keyframe (frame 60) is a skip frame.
	if st.Video.Taken != 2 || st.Video.Repeated != st.Video.Muxed-2 || st.Video.SkipFrames < st.Video.Repeated-1 || st.Video.SkipFrames < 80 {
		t.Fatalf("%d frames in, %d out, %d repeated, %d skip frames", st.Video.Taken, st.Video.Muxed, st.Video.Repeated, st.Video.SkipFrames)
	}
	var sizes []int
	for _, e := range ev {
		if e.VideoFrame() {
			sizes = append(sizes, len(e.Payload))
		}
	}
	hashes := testkit.FrameHashes(t, path)
	if len(hashes) != len(sizes) || int64(len(sizes)) != st.Video.Muxed {
		t.Fatalf("%d frames decoded, %d arrived, %d sent", len(hashes), len(sizes), st.Video.Muxed)
	}
	skips := 0
	for i := 1; i < len(sizes); i++ {
		if sizes[i] >= 64 { // x264's
			continue
		}
		skips++
		if hashes[i] != hashes[i-1] {
			t.Fatalf("frame %d, a skip frame of %d bytes, decodes to other pixels than frame %d", i, sizes[i], i-1)
		}
	}
	if int64(skips) != st.Video.SkipFrames {
		t.Fatalf("%d skip frames arrived, %d sent", skips, st.Video.SkipFrames)
	}
	if errs := testkit.DecodeErrors(t, path); errs != "" {
		t.Fatalf("decode errors: %s", errs)
	}
}

// TestUnchangedFirstFrame: a source whose first frame says Unchanged, with
// nothing before it to repeat and no image, ends the stream with an error
// that says so.
func TestUnchangedFirstFrame(t *testing.T) {
	src := capture.VideoSourceFunc(func(ctx context.Context) (capture.Frame, error) {
		return capture.Frame{Unchanged: true}, nil
	})
	_, err := runPublisher(t, Config{Output: io.Discard, Video: src, VideoEncoder: encode.H264Options{Width: 64, Height: 48}}, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "first frame is marked Unchanged") {
		t.Fatalf("Run: %v", err)
	}
}
