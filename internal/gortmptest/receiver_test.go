package gortmptest

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/golivecast/golivecast/internal/testkit"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestFFmpegPublish checks the receiver against ffmpeg as the publisher.
func TestFFmpegPublish(t *testing.T) {
	testkit.RequireFFmpeg(t)
	rcv, err := Start(Options{Deadline: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
		"-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
		"-t", "3", "-c:v", "libx264", "-preset", "veryfast", "-g", "60",
		"-c:a", "aac", "-f", "flv", rcv.URL("live", "test"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}

	res := rcv.Wait(10 * time.Second)
	if !res.Finished {
		t.Fatal("receiver did not finish after publisher exit")
	}
	if res.Err != nil {
		t.Fatalf("receiver error: %v", res.Err)
	}
	t.Logf("url=%s app=%s key=%s flashVer=%q cmds=%v", res.URL, res.App, res.StreamKey, res.FlashVer, res.Commands)
	t.Logf("video: %d AUs, %d IDR, %d seq headers, SPS=%x PPS=%x",
		len(res.Video), res.Keyframes, res.VideoConfigs, res.SPS, res.PPS)
	t.Logf("audio: %d AUs, %d seq headers, ASC=%x %+v", len(res.Audio), res.AudioConfigs, res.AudioConfigB, res.AudioConfig)
	t.Logf("metadata: %v", res.Metadata)

	if res.App != "live" || res.StreamKey != "test" {
		t.Errorf("app/key = %q/%q", res.App, res.StreamKey)
	}
	if !res.HasVideo || !res.HasAudio {
		t.Fatalf("tracks: video=%v audio=%v", res.HasVideo, res.HasAudio)
	}
	if len(res.SPS) == 0 || len(res.PPS) == 0 || len(res.AudioConfigB) == 0 {
		t.Error("missing decoder config")
	}
	if n := len(res.Video); n < 89 || n > 91 {
		t.Errorf("video frames = %d, want 90±1", n)
	}
	if len(res.Video) > 0 && !res.Video[0].Key {
		t.Error("first video AU is not IDR")
	}
	if res.Keyframes < 2 { // -g 60 over 90 frames
		t.Errorf("keyframes = %d", res.Keyframes)
	}
	for i, v := range res.Video {
		if v.Key != v.FLVKey {
			t.Errorf("video %d: IDR=%v but FLV keyframe flag=%v", i, v.Key, v.FLVKey)
		}
		if v.PTS < v.DTS {
			t.Errorf("video %d: PTS %v < DTS %v", i, v.PTS, v.DTS)
		}
		if i > 0 && v.DTS < res.Video[i-1].DTS {
			t.Errorf("video %d: DTS went back %v -> %v", i, res.Video[i-1].DTS, v.DTS)
		}
	}
	if len(res.Audio) < 100 { // 3s at 44.1kHz / 1024 ≈ 129
		t.Errorf("audio AUs = %d", len(res.Audio))
	}
	for i := 1; i < len(res.Audio); i++ {
		if res.Audio[i].PTS < res.Audio[i-1].PTS {
			t.Errorf("audio %d: PTS went back %v -> %v", i, res.Audio[i-1].PTS, res.Audio[i].PTS)
		}
	}
	if res.AudioConfig == nil || res.AudioConfig.SampleRate != 44100 {
		t.Errorf("ASC = %+v", res.AudioConfig)
	}
	if err := rcv.Close(); err != nil { // idempotent
		t.Error(err)
	}
}

// TestDeadlineAndClose: the receiver stops by itself, and Close is
// idempotent.
func TestDeadlineAndClose(t *testing.T) {
	// Nobody connects: deadline fires.
	rcv, err := Start(Options{Deadline: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	res := rcv.Wait(5 * time.Second)
	if !errors.Is(res.Err, ErrDeadline) {
		t.Errorf("err = %v, want ErrDeadline", res.Err)
	}
	rcv.Close()
	rcv.Close()

	// A silent TCP client, then Close.
	rcv, err = Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", rcv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	testkit.Eventually(t, 5*time.Second, "the receiver to accept the client", rcv.accepted)
	rcv.Close()
	if res := rcv.Result(); !errors.Is(res.Err, ErrClosed) {
		t.Errorf("err = %v, want ErrClosed", res.Err)
	}

	// Idle timeout during handshake.
	rcv, err = Start(Options{IdleTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := net.Dial("tcp", rcv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	res = rcv.Wait(5 * time.Second)
	if res.Err == nil {
		t.Error("expected idle timeout error")
	}
	t.Logf("idle: %v", res.Err)
	rcv.Close()
}
