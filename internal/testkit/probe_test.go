package testkit

import (
	"fmt"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// makeFLV runs ffmpeg with args (inputs and filters) and writes an FLV
// with H.264 (libx264, B-frames on) and AAC, returning its path.
func makeFLV(t *testing.T, name string, args ...string) string {
	t.Helper()
	RequireFFmpeg(t)
	out, err := exec.Command("ffmpeg", "-hide_banner", "-encoders").Output()
	if err != nil || !strings.Contains(string(out), "libx264") {
		Missing(t, "ffmpeg has no libx264 encoder (Debian's ffmpeg has it)")
	}
	p := filepath.Join(t.TempDir(), name)
	all := append([]string{"-nostdin", "-hide_banner", "-v", "error"}, args...)
	all = append(all, "-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-g", "25",
		"-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "flv", p)
	run(t, "ffmpeg", all...)
	return p
}

func testsrcFLV(t *testing.T) string {
	return makeFLV(t, "testsrc.flv",
		"-f", "lavfi", "-i", "testsrc=size=160x90:rate=25:duration=1",
		"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100:duration=1",
		"-ac", "2")
}

func TestStreams(t *testing.T) {
	p := testsrcFLV(t)
	streams := Streams(t, p)
	if len(streams) != 2 {
		t.Fatalf("streams = %+v, want 2", streams)
	}
	v, a := streams[0], streams[1]
	if v.CodecType == "audio" {
		v, a = a, v
	}
	if v.CodecName != "h264" || v.Width != 160 || v.Height != 90 || v.NbReadFrames != 25 || v.NbReadPackets != 25 {
		t.Errorf("video = %+v, want h264 160x90 with 25 frames", v)
	}
	// 1 s at 44.1 kHz is 43.07 AAC frames of 1024 samples.
	if a.CodecName != "aac" || a.SampleRate != 44100 || a.Channels != 2 || a.NbReadPackets < 43 || a.NbReadPackets > 45 {
		t.Errorf("audio = %+v, want aac 44100 Hz stereo with about 44 packets", a)
	}
}

func TestPackets(t *testing.T) {
	p := testsrcFLV(t)
	video := Packets(t, p, "v")
	if len(video) != 25 {
		t.Fatalf("%d video packets, want 25", len(video))
	}
	if !video[0].Keyframe || video[0].DTS > video[0].PTS {
		t.Errorf("first video packet = %v, want a keyframe with dts <= pts", video[0])
	}
	reordered := false
	var pts []time.Duration
	for i, pk := range video {
		if !pk.HasPTS || !pk.HasDTS || pk.Size <= 0 {
			t.Errorf("packet %d = %+v", i, pk)
		}
		if i > 0 && pk.DTS < video[i-1].DTS {
			t.Errorf("dts goes back at %d: %v after %v", i, pk, video[i-1])
		}
		if pk.PTS != pk.DTS {
			reordered = true
		}
		if i > 0 && pk.Keyframe {
			t.Errorf("packet %d is a keyframe, want only the first (-g 25)", i)
		}
		pts = append(pts, pk.PTS)
	}
	if !reordered {
		t.Error("no packet has pts != dts; B-frames expected")
	}
	// The presentation times, sorted, are the 25 frame times (FLV has
	// millisecond precision: 40 ms per frame exactly).
	seen := map[time.Duration]bool{}
	for _, d := range pts {
		seen[d] = true
	}
	first := video[0].PTS
	for i := range 25 {
		if d := first + time.Duration(i)*40*time.Millisecond; !seen[d] {
			t.Errorf("no packet with pts %v; pts = %v", d, pts)
		}
	}

	audio := Packets(t, p, "a")
	if len(audio) < 43 {
		t.Fatalf("%d audio packets, want about 44", len(audio))
	}
	for i, pk := range audio {
		if !pk.Keyframe || pk.PTS != pk.DTS {
			t.Errorf("audio packet %d = %v, want keyframe with pts == dts", i, pk)
		}
		// 1024 samples at 44.1 kHz are 23.2 ms; FLV rounds to the ms.
		if i > 0 {
			if step := pk.PTS - audio[i-1].PTS; step < 23*time.Millisecond || step > 24*time.Millisecond {
				t.Errorf("audio step %d = %v, want 23 or 24 ms", i, step)
			}
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	p := testsrcFLV(t)
	if errs := DecodeErrors(t, p); errs != "" {
		t.Errorf("clean file: %q", errs)
	}
	// Overwrite the middle of the file: video slices become garbage.
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(b) / 3; i < len(b)/3+2000 && i < len(b); i++ {
		b[i] = byte(i * 7)
	}
	bad := filepath.Join(t.TempDir(), "bad.flv")
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if errs := DecodeErrors(t, bad); errs == "" {
		t.Error("corrupted file decoded without errors")
	} else {
		t.Logf("corrupted file: %.300s", errs)
	}
}

// A viewer that joins mid-stream records video half a frame off the
// 1/30 s grid; the decode check must not take ffmpeg's re-timing of it for
// an error, and must still see real ones (TestDecodeErrors).
func TestDecodeErrorsOffGrid(t *testing.T) {
	// As golivecast sends it: 30 fps, no B-frames.
	src := makeFLV(t, "grid.flv",
		"-f", "lavfi", "-i", "testsrc=size=160x90:rate=30:duration=2",
		"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100:duration=2",
		"-x264-params", "bframes=0")
	// Video shifted to start at 1.250 s: 1250, 1283, 1317 ms …
	first := -1
	for _, tg := range ReadFLVFile(t, src) {
		if tg.Video != nil && tg.Media() {
			first = int(tg.Timestamp)
			break
		}
	}
	if first < 0 {
		t.Fatal("no video in the source")
	}
	p := filepath.Join(t.TempDir(), "offgrid.flv")
	run(t, "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-i", src, "-map", "0", "-c", "copy",
		"-bsf:v", fmt.Sprintf("setts=pts=PTS+%d:dts=DTS+%d", 1250-first, 1250-first), "-f", "flv", p)
	if v := ReadFLVFile(t, p); !slices.ContainsFunc(v, func(tg FLVTag) bool { return tg.Video != nil && tg.Media() && tg.Timestamp == 1250 }) {
		t.Fatal("no video tag at 1.250 s in the shifted file")
	}
	// ffmpeg's default timing of the null muxer reports the false error
	// on this file: the case is real.
	_, stderr := run(t, "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-i", p, "-f", "null", "-")
	if !strings.Contains(string(stderr), "non monotonically increasing dts") {
		t.Fatalf("the default decode did not report the off-grid timestamps (%q): the case is not reproduced", stderr)
	}
	if errs := DecodeErrors(t, p); errs != "" {
		t.Errorf("off-grid file: %q", errs)
	}
}

func TestVideoLuma(t *testing.T) {
	// Half a second of black, then half a second of white, at 10 fps.
	p := makeFLV(t, "bw.flv",
		"-f", "lavfi", "-i", "color=c=black:size=64x36:rate=10:duration=0.5",
		"-f", "lavfi", "-i", "color=c=white:size=64x36:rate=10:duration=0.5",
		"-f", "lavfi", "-i", "sine=duration=1",
		"-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]", "-map", "2:a")
	frames := VideoLuma(t, p, 16, 9)
	if len(frames) != 10 {
		t.Fatalf("%d frames, want 10", len(frames))
	}
	for i, f := range frames {
		if len(f.Pix) != 16*9 {
			t.Fatalf("frame %d has %d samples", i, len(f.Pix))
		}
		if want := frames[0].PTS + time.Duration(i)*100*time.Millisecond; f.PTS != want {
			t.Errorf("frame %d pts = %v, want %v", i, f.PTS, want)
		}
		if i < 5 && f.Mean > 40 || i >= 5 && f.Mean < 200 {
			t.Errorf("frame %d mean luma = %.1f, want black then white", i, f.Mean)
		}
	}
}

func TestAudioPCM(t *testing.T) {
	p := testsrcFLV(t)
	const rate = 16000
	pcm := AudioPCM(t, p, rate)
	// About one second (AAC pads the last frame).
	if len(pcm) < rate*95/100 || len(pcm) > rate*110/100 {
		t.Fatalf("%d samples, want about %d", len(pcm), rate)
	}
	// A 1 kHz tone: about 2000 zero crossings per second, and loud.
	mid := pcm[len(pcm)/4 : len(pcm)*3/4]
	crossings := 0
	var sum float64
	for i, s := range mid {
		sum += float64(s) * float64(s)
		if i > 0 && (mid[i-1] < 0) != (s < 0) {
			crossings++
		}
	}
	freq := float64(crossings) / 2 / (float64(len(mid)) / rate)
	rms := math.Sqrt(sum / float64(len(mid)))
	if math.Abs(freq-1000) > 20 || rms < 1000 {
		t.Errorf("tone = %.0f Hz rms %.0f, want 1000 Hz and audible", freq, rms)
	}
}

func TestTicks(t *testing.T) {
	for _, c := range []struct {
		n    int64
		tb   string
		want time.Duration
	}{
		{40, "1/1000", 40 * time.Millisecond},
		{-40, "1/1000", -40 * time.Millisecond},
		{1, "1/90000", 11111 * time.Nanosecond},
		{3, "1/90000", 33333 * time.Nanosecond},
		{1024, "1/44100", 23219955 * time.Nanosecond},
	} {
		tb, _ := new(big.Rat).SetString(c.tb)
		if got := ticks(c.n, tb); got != c.want {
			t.Errorf("ticks(%d, %s) = %v, want %v", c.n, c.tb, got, c.want)
		}
	}
}
