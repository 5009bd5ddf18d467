package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/golivecast/golivecast/internal/faultproxy"
	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/internal/testkit"
	"github.com/golivecast/golivecast/rtmptest"
)

// These tests run the demo as a user does: a built binary, its command
// line, its exit status and what it prints, and the recording checked by an
// independent decoder (ffprobe, ffmpeg).

// The program is this test binary itself (see testkit.AsProgram): it is
// built once, by go test, with the test's flags (-race included).
func TestMain(m *testing.M) {
	testkit.AsProgram(main)
	goleak.VerifyTestMain(m)
}

// checkRecording decodes an FLV and checks it carries H.264 of the given
// size (with frames video frames when frames > 0) and 44.1 kHz stereo AAC,
// and decodes without an error.
func checkRecording(t *testing.T, path string, w, h, frames int) {
	t.Helper()
	testkit.CheckRecording(t, path, testkit.Recording{Width: w, Height: h, Frames: frames, SampleRate: 44100, Channels: 2})
}

// With no -url the demo records through its in-process server.
func TestDefaultMode(t *testing.T) {
	testkit.RequireFFmpeg(t)
	out := filepath.Join(t.TempDir(), "c.flv")
	r := testkit.RunProgram(t, 30*time.Second, "-duration", "2s", "-size", "320x240", "-out", out)
	r.RequireOK(t)
	if want := "play it with: ffplay " + out; !strings.Contains(r.Stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, testkit.Lines(r.Stderr))
	}
	checkRecording(t, out, 320, 240, 60)
}

func TestPublishToNginx(t *testing.T) {
	testkit.RequireFFmpeg(t)
	const key = "counterNginxKey3"
	ng := testkit.StartNginx(t, nginx.Options{})
	r := testkit.RunProgram(t, 30*time.Second, "-url", ng.URL("live", key), "-duration", "2s", "-size", "320x240")
	r.RequireOK(t)
	if strings.Contains(r.Stdout+r.Stderr, key) {
		t.Errorf("the stream key is in the output:\n%s%s", r.Stdout, testkit.Lines(r.Stderr))
	}
	ng.Stop() // the recording is complete once nginx has stopped
	recs := ng.RecordingsOf(key)
	if len(recs) != 1 {
		t.Fatalf("recordings %v, want one of %s", ng.Recordings(), key)
	}
	checkRecording(t, recs[0], 320, 240, 0)
}

// -url more than once publishes one encode to every server.
func TestFanOut(t *testing.T) {
	testkit.RequireFFmpeg(t)
	ng := testkit.StartNginx(t, nginx.Options{})
	r := testkit.RunProgram(t, 30*time.Second, "-url", ng.URL("live", "fanA"), "-url", ng.URL("live", "fanB"),
		"-duration", "2s", "-size", "320x240")
	r.RequireOK(t)
	if n := strings.Count(r.Stderr, ": done, "); n != 2 {
		t.Errorf("%d destinations reported done, want 2:\n%s", n, testkit.Lines(r.Stderr))
	}
	ng.Stop()
	for _, key := range []string{"fanA", "fanB"} {
		recs := ng.RecordingsOf(key)
		if len(recs) != 1 {
			t.Fatalf("recordings of %s: %v", key, ng.Recordings())
		}
		checkRecording(t, recs[0], 320, 240, 60)
	}
}

// An endless stream ends on SIGINT or SIGTERM with an unpublish, so the
// in-process recording is whole. main waits up to 2 s for the server to
// close the recording; a missing unpublish would show as a late exit.
func TestSignals(t *testing.T) {
	testkit.RequireFFmpeg(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "s.flv")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := testkit.Program(t, ctx, "-size", "320x240", "-out", out)
			run := testkit.StartProgram(t, cmd)
			select {
			case <-run.Done():
				t.Fatalf("exited before the signal: %v\n%s", run.Err(), testkit.Lines(run.Stderr()))
			case <-time.After(1500 * time.Millisecond):
			}
			run.Interrupt(t, sig)
			if !strings.Contains(run.Stderr(), "recorded "+out) {
				t.Errorf("stderr does not report the recording:\n%s", testkit.Lines(run.Stderr()))
			}
			checkRecording(t, out, 320, 240, 0)
		})
	}
}

// Each failure ends the demo quickly with a status of 1 and a single
// "counter: …" line on stderr that never shows the stream key.
func TestFailures(t *testing.T) {
	const key = "counterSecretKey9"
	tests := []struct {
		name string
		args func(t *testing.T) []string
		want string // in the error line
	}{
		{"bad URL", func(*testing.T) []string { return []string{"-url", "rtmp://host/live"} }, "invalid URL"},
		{"bad scheme", func(*testing.T) []string { return []string{"-url", "http://127.0.0.1/live/" + key} }, "scheme"},
		{"nothing listening", func(t *testing.T) []string {
			return []string{"-url", fmt.Sprintf("rtmp://127.0.0.1:%d/live/%s", testkit.FreePort(t), key)}
		}, "connection refused"},
		{"publish refused", func(t *testing.T) []string {
			ng := testkit.StartNginx(t, nginx.Options{DenyPublish: true})
			return []string{"-url", ng.URL("live", key)}
		}, "refused"},
		{"odd size", func(*testing.T) []string { return []string{"-size", "641x360"} }, "641x360"},
		{"bad size", func(*testing.T) []string { return []string{"-size", "640by360"} }, "-size"},
		{"bad audio", func(*testing.T) []string { return []string{"-audio", "loud"} }, "-audio \"loud\""},
		{"extra argument", func(*testing.T) []string { return []string{"extra"} }, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Endless (no -duration): the failure itself must end the run.
			// A later -size overrides this one.
			args := append([]string{"-size", "320x240", "-out", filepath.Join(t.TempDir(), "f.flv")}, tt.args(t)...)
			r := testkit.RunProgram(t, 10*time.Second, args...)
			t.Logf("after %v: status %d: %q", r.Took.Round(time.Millisecond), r.Code, r.Stderr)
			if r.Code != 1 {
				t.Errorf("exit status %d, want 1", r.Code)
			}
			if strings.Contains(r.Stdout+r.Stderr, key) {
				t.Errorf("the stream key is in the output")
			}
			if r.Stdout != "" {
				t.Errorf("stdout %q, want nothing", r.Stdout)
			}
			msg := strings.TrimSuffix(r.Stderr, "\n")
			if strings.ContainsAny(msg, "\r\n") || !strings.HasPrefix(msg, "counter: ") {
				t.Errorf("stderr is not one \"counter: …\" line:\n%s", testkit.Lines(r.Stderr))
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			if tt.name == "odd size" && !strings.Contains(msg, "even") {
				t.Errorf("error %q does not say the size must be even", msg)
			}
		})
	}
}

// The lip-sync pattern: white pictures and a beep at each whole second.
func TestFlash(t *testing.T) {
	testkit.RequireFFmpeg(t)
	out := filepath.Join(t.TempDir(), "flash.flv")
	r := testkit.RunProgram(t, 30*time.Second, "-flash", "-duration", "3s", "-audio", "tone", "-size", "320x240", "-out", out)
	r.RequireOK(t)
	checkRecording(t, out, 320, 240, 90)
	frames := testkit.VideoLuma(t, out, 32, 24)
	if len(frames) < 31 {
		t.Fatalf("%d frames decoded", len(frames))
	}
	// 0 and 30 are flashes (the first 100 ms of seconds 0 and 1); 15 is
	// the dark background half-way.
	for _, i := range []int{0, 30} {
		if m := frames[i].Mean; m < 220 {
			t.Errorf("frame %d mean luma %.1f, want white (at least 220)", i, m)
		}
	}
	if m := frames[15].Mean; m > 100 {
		t.Errorf("frame 15 mean luma %.1f, want the dark background", m)
	}
	testkit.CheckLipSync(t, out, 30, 3)
}

func TestStatusLine(t *testing.T) {
	out := filepath.Join(t.TempDir(), "c.flv")
	r := testkit.RunProgram(t, 30*time.Second, "-duration", "1500ms", "-size", "128x96", "-audio", "silence", "-out", out)
	r.RequireOK(t)
	for _, want := range []string{"time=", "fps=", "reconnects=", "frames=45 "} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, testkit.Lines(r.Stderr))
		}
	}
}

// TestMissedEnd cuts the path to the server (no FIN, no RST) while the
// demo streams and keeps it cut past the end: the demo must not say the
// stream ended well. It exits 1, saying which media the server lacks.
func TestMissedEnd(t *testing.T) {
	srv, err := rtmptest.Start(rtmptest.Config{DropPayloads: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	px, err := faultproxy.Start(srv.Addr(), faultproxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := testkit.Program(t, ctx, "-url", "rtmp://"+px.Addr()+"/live/missed", "-duration", "3s", "-size", "160x120")
	run := testkit.StartProgram(t, cmd)
	wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
	defer wcancel()
	if err := srv.WaitFor(wctx, func(ev []rtmptest.Event) bool {
		for _, e := range ev {
			if e.VideoFrame() {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	px.SetBlackhole(faultproxy.Stall)
	err = run.Err()
	stderr := testkit.Lines(run.Stderr())
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "stream incomplete") || !strings.Contains(stderr, "lacks the stream from") {
		t.Errorf("stderr does not say the stream is incomplete:\n%s", stderr)
	}
}
