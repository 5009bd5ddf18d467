package rtmptest

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golivecast/golivecast/internal/testkit"
)

// TestFFmpegPublisher checks the server against an independent publisher:
// ffmpeg's RTMP client pushing H.264 (with B-frames) and AAC. The recording
// must decode cleanly with every frame.
func TestFFmpegPublisher(t *testing.T) {
	for _, c := range []struct {
		name   string
		offset string // -output_ts_offset, seconds
	}{
		{"from zero", "0"},
		// 16777.216 s is 2^24 ms: the stream crosses into extended
		// timestamps.
		{"extended timestamps", "16777"},
	} {
		t.Run(c.name, func(t *testing.T) {
			testkit.RequireFFmpeg(t)
			path := filepath.Join(t.TempDir(), "rec.flv")
			s, err := Start(Config{Record: func(app, key string) (io.WriteCloser, error) { return os.Create(path) }})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()

			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-hide_banner", "-v", "error",
				"-f", "lavfi", "-i", "testsrc=size=160x90:rate=25:duration=1",
				"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100:duration=1",
				"-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-g", "25", "-pix_fmt", "yuv420p",
				"-c:a", "aac", "-output_ts_offset", c.offset,
				"-f", "flv", s.URL("live", "ff"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("ffmpeg: %v\n%s", err, out)
			}
			waitFor(t, s, func(evs []Event) bool { return count(evs, KindClose) > 0 })
			evs := s.Events()
			// ffmpeg ends with an AVC end-of-sequence tag.
			if n := count(evs, KindVideo); n != 27 {
				t.Errorf("%d video events, want 27 (sequence header, 25 frames, end of sequence)", n)
			}
			if e := find(evs, KindClose); e.Err != nil {
				t.Errorf("connection ended with %v", e.Err)
			}
			if e := find(evs, KindConnect); e.Connect == nil || !strings.HasPrefix(e.Connect.FlashVer, "FMLE/3.0") {
				t.Errorf("connect = %v", e)
			}
			for _, e := range evs {
				if e.Err != nil || e.Kind == KindMessage || e.Kind == KindCommand || e.Kind == KindData {
					t.Errorf("unexpected event %v", e)
				}
			}
			if errs := testkit.DecodeErrors(t, path); errs != "" {
				t.Errorf("recording decodes with errors: %s", errs)
			}
			for _, st := range testkit.Streams(t, path) {
				if st.CodecType == "video" && st.NbReadFrames != 25 {
					t.Errorf("recording: %+v, want 25 video frames", st)
				}
			}
			if t.Failed() {
				for _, e := range evs {
					t.Log(e)
				}
			}
		})
	}
}
