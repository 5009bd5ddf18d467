package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/golivecast/golivecast/internal/testkit"
	"github.com/golivecast/golivecast/rtmptest"
)

// These tests run the example as a user does: its command line, its exit
// status and what it prints, and the stream checked by an independent
// decoder (ffprobe, ffmpeg).

// The program is this test binary itself (see testkit.AsProgram): it is
// built once, by go test, with the test's flags (-race included).
func TestMain(m *testing.M) {
	testkit.AsProgram(main)
	goleak.VerifyTestMain(m)
}

// The stream the tests ask for: small, so that the race-enabled encoder
// keeps up on a small machine.
const (
	testW, testH = 320, 240
	testFPS      = 30
)

// checkRecording decodes an FLV and checks it carries H.264 of the test
// size (frames of it when frames > 0) and 44.1 kHz stereo AAC, and
// decodes without an error.
func checkRecording(t *testing.T, path string, frames int) {
	t.Helper()
	testkit.CheckRecording(t, path, testkit.Recording{Width: testW, Height: testH, Frames: frames, SampleRate: 44100, Channels: 2})
}

// finalCount reads a counter from the last status line, such as
// "updates=173".
func finalCount(t *testing.T, stderr, name string) int {
	t.Helper()
	status := strings.Split(testkit.Lines(stderr), "\n")
	for i := len(status) - 1; i >= 0; i-- {
		_, rest, ok := strings.Cut(status[i], " "+name+"=")
		if !ok {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(rest, "%d", &n); err == nil {
			return n
		}
	}
	t.Fatalf("no %s= in the status:\n%s", name, testkit.Lines(stderr))
	return 0
}

// With no -url the example records through its in-process server. The
// game updates 45 to 75 times a second, yet the recording has exactly 30
// frames per second, and every bounce sound starts with the flash of the
// wall the ball hit.
func TestDefaultMode(t *testing.T) {
	testkit.RequireFFmpeg(t)
	out := filepath.Join(t.TempDir(), "g.flv")
	const seconds = 3
	r := testkit.RunProgram(t, 15*time.Second, "-duration", fmt.Sprint(seconds, "s"), "-size", fmt.Sprint(testW, "x", testH), "-out", out)
	r.RequireOK(t)
	if want := "play it with: ffplay " + out; !strings.Contains(r.Stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, testkit.Lines(r.Stderr))
	}
	// The producer's rate is its own: about 60 updates a second, not 30.
	if n := finalCount(t, r.Stderr, "updates"); n < 40*seconds || n > 76*seconds {
		t.Errorf("%d game updates in %d s, want 45 to 75 a second", n, seconds)
	}
	// The game ends at 3 s, an instant after the frame of 3 s is due:
	// that frame is in too.
	checkRecording(t, out, testFPS*seconds+1)
	checkFrameRate(t, out)
	checkBounces(t, out, finalCount(t, r.Stderr, "bounces"))
}

// checkFrameRate checks that the pictures are evenly spaced, 1/30 s
// apart (33 or 34 ms, as FLV counts whole milliseconds): none missing,
// none doubled, whatever the game's update rate.
func checkFrameRate(t *testing.T, path string) {
	t.Helper()
	var pts []time.Duration
	for _, p := range testkit.Packets(t, path, "v") {
		pts = append(pts, p.PTS)
	}
	slices.Sort(pts)
	for i := 1; i < len(pts); i++ {
		if d := pts[i] - pts[i-1]; d < 33*time.Millisecond || d > 34*time.Millisecond {
			t.Errorf("frames %d and %d are %v apart, want 1/%d s", i-1, i, d, testFPS)
		}
	}
}

// A bounce sound starts at the exact sample of the hit. The picture can
// show the lit wall only from the next update on (up to 22 ms later), and
// from the next frame tick (up to 33 ms). So the flash comes after the
// sound, by at most lateFlash.
const lateFlash = 60 * time.Millisecond

// checkBounces finds every wall flash in the picture and every bounce
// sound in the audio, on the stream's timeline, and checks that they pair
// up: as many as the game counted, each flash shortly after its sound.
func checkBounces(t *testing.T, path string, want int) {
	t.Helper()
	const rate = 44100
	vp, ap := testkit.Packets(t, path, "v"), testkit.Packets(t, path, "a")
	luma := testkit.VideoLuma(t, path, 64, 48)
	pcm := testkit.AudioPCM(t, path, rate)
	if len(vp) == 0 || len(ap) == 0 || len(luma) == 0 {
		t.Fatalf("%d video packets, %d audio packets, %d frames decoded", len(vp), len(ap), len(luma))
	}
	// ffmpeg shifts decoded video to start at 0 and writes PCM back to
	// back from the first audio packet: both go back to the file's
	// timestamps here.
	if len(pcm) != 1024*len(ap) {
		t.Fatalf("%d decoded samples for %d AAC packets: the PCM is not aligned to the first packet", len(pcm), len(ap))
	}
	shift := vp[0].PTS - luma[0].PTS
	var flashes []time.Duration
	for i := 1; i < len(luma); i++ {
		for wall := range 4 {
			if wallLit(luma[i], wall) && !wallLit(luma[i-1], wall) {
				flashes = append(flashes, luma[i].PTS+shift)
			}
		}
	}
	slices.Sort(flashes)
	sounds := soundOnsets(pcm, rate)
	for i := range sounds {
		sounds[i] += ap[0].PTS
	}
	t.Logf("wall flashes %v", flashes)
	t.Logf("bounce sounds %v", sounds)
	if want < 3 {
		t.Fatalf("the game counted %d bounces, want at least 3 in the test's time", want)
	}
	if len(flashes) != want || len(sounds) != want {
		t.Fatalf("%d flashes and %d sounds, want %d bounces of each", len(flashes), len(sounds), want)
	}
	for k := range flashes {
		// 5 ms of slack before the sound: the onset is found within a
		// millisecond, and AAC smears a sharp attack a little.
		if d := flashes[k] - sounds[k]; d < -5*time.Millisecond || d > lateFlash {
			t.Errorf("bounce %d: sound at %v, flash at %v: the flash is %v after the sound, want 0 to %v", k, sounds[k], flashes[k], d, lateFlash)
		}
	}
}

// wallLit reports whether a wall is white in a 64x48 frame: the walls
// are 2 pixels thick at that scale, grey (luma about 90) unless lit. The
// corners, which two walls share, are left out.
func wallLit(f testkit.LumaFrame, wall int) bool {
	const w, h = 64, 48
	sum, n := 0, 0
	if wall == wallLeft || wall == wallRight {
		x := 0
		if wall == wallRight {
			x = w - 1
		}
		for y := 4; y < h-4; y++ {
			sum, n = sum+int(f.Pix[y*w+x]), n+1
		}
	} else {
		y := 0
		if wall == wallBottom {
			y = h - 1
		}
		for x := 4; x < w-4; x++ {
			sum, n = sum+int(f.Pix[y*w+x]), n+1
		}
	}
	return sum > 170*n
}

// soundOnsets finds where each bounce sound starts in mono PCM: where the
// peak of the last millisecond first exceeds a tenth of full scale (well
// above AAC noise), after at least 100 ms of quiet.
func soundOnsets(pcm []int16, rate int) []time.Duration {
	const threshold = 3276
	win := rate / 1000
	var onsets []time.Duration
	quiet := 0 // samples since the last loud one
	for i := 0; i+win <= len(pcm); i += win {
		loud := false
		for _, s := range pcm[i : i+win] {
			if int(s) > threshold || int(s) < -threshold {
				loud = true
				break
			}
		}
		if loud && quiet >= rate/10 {
			onsets = append(onsets, time.Duration(i)*time.Second/time.Duration(rate))
		}
		if loud {
			quiet = 0
		} else {
			quiet += win
		}
	}
	return onsets
}

// startServer starts an in-process RTMP server that records each publish
// into dir.
func startServer(t *testing.T, dir string) *rtmptest.Server {
	t.Helper()
	srv, err := rtmptest.Start(rtmptest.Config{
		DropPayloads: true,
		Record: func(app, key string) (io.WriteCloser, error) {
			return os.Create(filepath.Join(dir, app+".flv"))
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// count returns how many events satisfy match.
func count(events []rtmptest.Event, match func(rtmptest.Event) bool) int {
	n := 0
	for _, e := range events {
		if match(e) {
			n++
		}
	}
	return n
}

// checkUnpublished checks that the publisher ended its stream with an
// unpublish, then closed the connection itself.
func checkUnpublished(t *testing.T, srv *rtmptest.Server) []rtmptest.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	events, err := srv.WaitClosed(ctx)
	if err != nil {
		t.Fatalf("waiting for the connection to close: %v", err)
	}
	if count(events, func(e rtmptest.Event) bool { return e.Kind == rtmptest.KindDeleteStream }) != 1 {
		t.Errorf("no deleteStream: the stream did not end with an unpublish")
	}
	for _, e := range events {
		if e.Kind == rtmptest.KindClose && e.Err != nil {
			t.Errorf("connection ended with %v, want a clean hang-up", e.Err)
		}
	}
	return events
}

// With -url the game publishes to that server: here one the test runs.
func TestPublishToServer(t *testing.T) {
	testkit.RequireFFmpeg(t)
	const key = "gameSecretKey7"
	dir := t.TempDir()
	srv := startServer(t, dir)
	r := testkit.RunProgram(t, 15*time.Second, "-url", srv.URL("arena", key), "-duration", "2s", "-size", fmt.Sprint(testW, "x", testH))
	r.RequireOK(t)
	if strings.Contains(r.Stdout+r.Stderr, key) {
		t.Errorf("the stream key is in the output:\n%s%s", r.Stdout, testkit.Lines(r.Stderr))
	}
	events := checkUnpublished(t, srv)
	// 2 s of frames and the one due at 2 s, as in TestDefaultMode.
	if n := count(events, rtmptest.Event.VideoFrame); n < 2*testFPS || n > 2*testFPS+2 {
		t.Errorf("the server received %d video frames, want %d±1", n, 2*testFPS+1)
	}
	if n := count(events, rtmptest.Event.AudioFrame); n < 80 {
		t.Errorf("the server received %d AAC frames, want about 2 s of them (86)", n)
	}
	checkRecording(t, filepath.Join(dir, "arena.flv"), 2*testFPS+1)
}

// An endless game ends on SIGINT or SIGTERM with an unpublish, quickly,
// and exit status 0.
func TestSignals(t *testing.T) {
	testkit.RequireFFmpeg(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			srv := startServer(t, dir)
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			cmd := testkit.Program(t, ctx, "-url", srv.URL("live", "sig"), "-size", fmt.Sprint(testW, "x", testH))
			run := testkit.StartProgram(t, cmd)

			// A second of the game on the server, then the signal.
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
			err := srv.WaitFor(wctx, func(ev []rtmptest.Event) bool { return count(ev, rtmptest.Event.VideoFrame) >= testFPS })
			wcancel()
			if err != nil {
				run.Kill()
				t.Fatalf("no second of video: %v; stderr:\n%s", err, testkit.Lines(run.Stderr()))
			}
			run.Interrupt(t, sig)
			checkUnpublished(t, srv)
			checkRecording(t, filepath.Join(dir, "live.flv"), 0)
		})
	}
}

// Each failure ends the program quickly with status 1 and a single
// "game: …" line on stderr that never shows the stream key.
func TestFailures(t *testing.T) {
	const key = "gameSecretKey9"
	tests := []struct {
		name string
		args []string
		want string // in the error line
	}{
		{"nothing listening", []string{"-url", fmt.Sprintf("rtmp://127.0.0.1:%d/live/%s", testkit.FreePort(t), key)}, "connection refused"},
		{"bad URL", []string{"-url", "rtmp://host/live"}, "invalid URL"},
		{"odd size", []string{"-size", "321x240"}, "even"},
		{"bad rate", []string{"-rate", "75-45"}, "-rate \"75-45\""},
		{"extra argument", []string{"extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Endless (no -duration): the failure itself must end the run.
			args := append([]string{"-size", "320x240", "-out", filepath.Join(t.TempDir(), "f.flv")}, tt.args...)
			r := testkit.RunProgram(t, 10*time.Second, args...)
			t.Logf("after %v: status %d: %q", r.Took.Round(time.Millisecond), r.Code, r.Stderr)
			if r.Code != 1 {
				t.Errorf("exit status %d, want 1", r.Code)
			}
			if strings.Contains(r.Stdout+r.Stderr, key) {
				t.Errorf("the stream key is in the output")
			}
			msg := strings.TrimSuffix(r.Stderr, "\n")
			if r.Stdout != "" || strings.ContainsAny(msg, "\r\n") || !strings.HasPrefix(msg, "game: ") {
				t.Errorf("output is not one \"game: …\" line on stderr:\n%s%s", r.Stdout, testkit.Lines(r.Stderr))
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
		})
	}
}
