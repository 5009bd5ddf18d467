package testkit

// ffprobe and ffmpeg as an independent decoder of what a publisher or a
// server produced: streams, packet timestamps, decode errors, decoded luma
// and PCM. They are test tools only; the library never runs them. Every
// command is bounded by a timeout.

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Timeout bounds each ffprobe or ffmpeg run.
const Timeout = 60 * time.Second

const missingHint = "ffprobe and ffmpeg are needed (Debian: apt-get install ffmpeg)"

// RequireFFmpeg fails the test under CI=true, and skips it otherwise,
// when ffprobe or ffmpeg cannot be found. Every helper here calls it
// first.
func RequireFFmpeg(t testing.TB) {
	t.Helper()
	RequireTools(t, missingHint, "ffprobe", "ffmpeg")
}

// run executes name with args and returns its stdout and stderr; a
// non-zero exit or the timeout fails the test with stderr in the message.
func run(t testing.TB, name string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("testkit: %s timed out after %v: %s %s", name, Timeout, name, strings.Join(args, " "))
	}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("testkit: %s: %v", name, err)
		}
		t.Fatalf("testkit: %s %s: %v\n%s", name, strings.Join(args, " "), err, errOut.String())
	}
	return out.Bytes(), errOut.Bytes()
}
