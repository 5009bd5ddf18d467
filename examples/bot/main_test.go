package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/golivecast/golivecast/internal/testkit"
	"github.com/golivecast/golivecast/rtmptest"
)

// These tests run the example as a user does: its command line, its
// stdin, its exit status and what it prints, and the stream checked by an
// independent decoder (ffprobe, ffmpeg).

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
	frame        = time.Second / testFPS
)

// checkRecording decodes an FLV and checks it carries H.264 of the test
// size (frames of it when frames > 0) and 44.1 kHz stereo AAC, and
// decodes without an error.
func checkRecording(t *testing.T, path string, frames int) {
	t.Helper()
	testkit.CheckRecording(t, path, testkit.Recording{Width: testW, Height: testH, Frames: frames, SampleRate: 44100, Channels: 2})
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

// changes returns the media times of the frames that differ from the
// frame before: where a new card appears. A new card changes its text,
// avatar and colour, many pixels by dozens of levels of luma; a repeated
// picture differs only by coding noise, a few levels.
func changes(t *testing.T, path string) []time.Duration {
	t.Helper()
	luma := testkit.VideoLuma(t, path, 64, 48)
	var at []time.Duration
	for i := 1; i < len(luma); i++ {
		changed := 0
		for j, p := range luma[i].Pix {
			if d := int(p) - int(luma[i-1].Pix[j]); d > 24 || d < -24 {
				changed++
			}
		}
		if changed > len(luma[i].Pix)/50 {
			at = append(at, luma[i].PTS-luma[0].PTS)
		}
	}
	return at
}

// chimeOnsets returns the media times at which a chime starts: where the
// peak of the last millisecond first exceeds a tenth of full scale (well
// above AAC noise), after at least 100 ms of quiet. Sample 0 of the
// decoded PCM is the first audio packet's, and media time 0 is the first
// video packet's.
func chimeOnsets(t *testing.T, path string) []time.Duration {
	t.Helper()
	const rate = 44100
	vp, ap := testkit.Packets(t, path, "v"), testkit.Packets(t, path, "a")
	pcm := testkit.AudioPCM(t, path, rate)
	if len(vp) == 0 || len(ap) == 0 {
		t.Fatalf("%d video and %d audio packets", len(vp), len(ap))
	}
	if len(pcm) != 1024*len(ap) {
		t.Fatalf("%d decoded samples for %d AAC packets: the PCM is not aligned to the first packet", len(pcm), len(ap))
	}
	first := vp[0].PTS
	for _, p := range vp {
		first = min(first, p.PTS)
	}
	const threshold = 3276
	win := rate / 1000
	var onsets []time.Duration
	quiet := rate // the start counts as after quiet
	for i := 0; i+win <= len(pcm); i += win {
		loud := false
		for _, s := range pcm[i : i+win] {
			if int(s) > threshold || int(s) < -threshold {
				loud = true
				break
			}
		}
		if loud && quiet >= rate/10 {
			onsets = append(onsets, time.Duration(i)*time.Second/rate+ap[0].PTS-first)
		}
		if loud {
			quiet = 0
		} else {
			quiet += win
		}
	}
	return onsets
}

// near reports whether got is within [want-early, want+late].
func near(got, want, early, late time.Duration) bool {
	return got >= want-early && got <= want+late
}

// With a script, each message is shown at its time: the card is in the
// frame due then, and its chime starts with it. In between, the bot draws
// nothing, and the stream still has 30 frames a second.
func TestScript(t *testing.T) {
	testkit.RequireFFmpeg(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "chat.txt")
	err := os.WriteFile(script, []byte("# two messages, and one after the end\n"+
		"0.5 alice: hello there\n"+
		"1.5 bob: a second message, long enough to wrap over more than one line\n"+
		"60 carol: never shown\n"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "b.flv")
	r := testkit.RunProgram(t, 15*time.Second, "-script", script, "-duration", "3s", "-size", fmt.Sprint(testW, "x", testH), "-out", out)
	r.RequireOK(t)
	for _, want := range []string{"play it with: ffplay " + out, " cards=2 "} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, testkit.Lines(r.Stderr))
		}
	}
	checkRecording(t, out, 3*testFPS)
	// Between the cards the bot pushes nothing: the repeats of its
	// picture go out as skip frames, all but those on a keyframe.
	last := testkit.Lines(r.Stderr)
	last = last[strings.LastIndex(last, "time="):]
	var repeated, skips int
	if i := strings.Index(last, " repeated="); i < 0 {
		t.Fatalf("no repeated= in %q", last)
	} else if _, err := fmt.Sscanf(last[i:], " repeated=%d skipframes=%d", &repeated, &skips); err != nil {
		t.Fatalf("%q: %v", last, err)
	}
	if repeated < 3*testFPS-3 || skips < repeated-2 {
		t.Errorf("%d frames repeated, %d of them as skip frames, in %d frames: %q", repeated, skips, 3*testFPS, last)
	}

	scripted := []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond}
	cards, chimes := changes(t, out), chimeOnsets(t, out)
	t.Logf("cards at %v, chimes at %v", cards, chimes)
	if len(cards) != len(scripted) || len(chimes) != len(scripted) {
		t.Fatalf("%d cards and %d chimes, want %d of each", len(cards), len(chimes), len(scripted))
	}
	for i, at := range scripted {
		// The frame due at the scripted time, or the next one if drawing
		// the card took long.
		if !near(cards[i], at, 0, frame) {
			t.Errorf("card %d in the frame at %v, want the frame at %v (±1)", i+1, cards[i], at)
		}
		// The chime rings when the card is handed over; the frame that
		// shows it is the one waiting for a picture then, stamped up to
		// a frame before (a frame waits for its picture until the next
		// is due). So the chime starts with its card's frame, or up to a
		// frame after it; one more frame where a busy machine took that
		// frame late (the sound still well within what a viewer sees as
		// in sync).
		if !near(chimes[i], cards[i], 5*time.Millisecond, 2*frame) {
			t.Errorf("chime %d at %v, want within two frames after its card at %v", i+1, chimes[i], cards[i])
		}
		if chimes[i] < at-5*time.Millisecond {
			t.Errorf("chime %d at %v, before its time %v", i+1, chimes[i], at)
		}
	}
}

// Messages typed on stdin are shown as they come. SIGINT ends the stream
// quickly with an unpublish, exit status 0 and a complete recording.
func TestStdinAndInterrupt(t *testing.T) {
	testkit.RequireFFmpeg(t)
	const key = "botSecretKey5"
	dir := t.TempDir()
	srv := startServer(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := testkit.Program(t, ctx, "-url", srv.URL("live", key), "-size", fmt.Sprint(testW, "x", testH))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	run := testkit.StartProgram(t, cmd)
	waitFrames := func(n int) {
		t.Helper()
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		defer wcancel()
		if err := srv.WaitFor(wctx, func(ev []rtmptest.Event) bool { return count(ev, rtmptest.Event.VideoFrame) >= n }); err != nil {
			run.Kill()
			t.Fatalf("waiting for %d frames: %v; stderr:\n%s", n, err, testkit.Lines(run.Stderr()))
		}
	}

	waitFrames(testFPS / 2)
	if _, err := io.WriteString(stdin, "carol: hello from stdin\n"); err != nil {
		run.Kill()
		t.Fatal(err)
	}
	waitFrames(3 * testFPS / 2)
	run.Interrupt(t, syscall.SIGINT)
	if strings.Contains(run.Stderr(), key) {
		t.Errorf("the stream key is in the output:\n%s", testkit.Lines(run.Stderr()))
	}
	for _, want := range []string{"bot: live; type a message", " cards=1 "} {
		if !strings.Contains(run.Stderr(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, testkit.Lines(run.Stderr()))
		}
	}
	checkUnpublished(t, srv)
	path := filepath.Join(dir, "live.flv")
	checkRecording(t, path, 0)
	cards := changes(t, path)
	t.Logf("cards at %v", cards)
	if len(cards) != 1 || cards[0] < 500*time.Millisecond-frame {
		t.Errorf("cards at %v, want one, after the first half second", cards)
	}
}

// Each failure ends the program quickly with status 1 and a single
// "bot: …" line on stderr that never shows the stream key.
func TestFailures(t *testing.T) {
	const key = "botSecretKey9"
	dir := t.TempDir()
	script := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		args []string
		want string // in the error line
	}{
		{"nothing listening", []string{"-url", fmt.Sprintf("rtmp://127.0.0.1:%d/live/%s", testkit.FreePort(t), key)}, "connection refused"},
		{"no script", []string{"-script", filepath.Join(dir, "missing.txt")}, "no such file"},
		{"bad script line", []string{"-script", script("bad.txt", "1 alice: hi\nsoon bob: hey\n")}, "bad.txt:2"},
		{"script out of order", []string{"-script", script("order.txt", "2 alice: hi\n1 bob: hey\n")}, "before the line above"},
		{"odd size", []string{"-size", "321x240"}, "even"},
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
			if r.Stdout != "" || strings.ContainsAny(msg, "\r\n") || !strings.HasPrefix(msg, "bot: ") {
				t.Errorf("output is not one \"bot: …\" line on stderr:\n%s%s", r.Stdout, testkit.Lines(r.Stderr))
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
		})
	}
}
