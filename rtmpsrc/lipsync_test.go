package rtmpsrc

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/internal/testkit"
)

// Lip sync, end to end: the picture flashes white for the first 100 ms of
// every second of media time while the sound beeps (1 kHz) for the same
// 100 ms. An independent decoder (ffmpeg) must find each beep starting
// within 5 ms of its flash.
//
// How the AAC priming is compensated: vo-aacenc's decoded output starts
// with 1600 samples (36.28 ms at 44.1 kHz) of encoder delay before the
// first input sample, and FLV has no field to say so (no edit list, no
// priming count), so every decoder plays the first real sample 36.28 ms
// after the first audio packet's timestamp. The publisher stamps audio
// packets from the sample count (first packet at 0) and shifts video by
// the same delay (track.offset = align - vDelay, align = AAC Delay), so the
// first picture is stamped 36 ms: picture i is at i/fps + 36.28 ms and
// the sound of sample n at n/rate + 36.28 ms. Without that shift every
// beep would land 36 ms after its flash and this test would fail.

const (
	lipFPS     = 30
	lipSeconds = 4
	lipW, lipH = 320, 240
)

// TestLipSyncFile publishes the flash+beep pattern to an FLV file (no
// URL: as fast as the encoders go) and measures the sync of the file.
func TestLipSyncFile(t *testing.T) {
	testkit.RequireFFmpeg(t)
	path := filepath.Join(t.TempDir(), "lipsync.flv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := New(Config{
		Output:       f,
		Video:        clkFlashVideo(lipW, lipH, lipFPS, lipFPS*lipSeconds),
		Audio:        clkBeepAudio(clkStereo44k, 44100*lipSeconds),
		VideoEncoder: encode.H264Options{Width: lipW, Height: lipH},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d s of media encoded in %v", lipSeconds, time.Since(start))
	testkit.CheckLipSync(t, path, lipFPS, lipSeconds)
}

// TestLipSyncNginx publishes the same pattern live to nginx-rtmp and
// measures the sync of nginx's recording.
func TestLipSyncNginx(t *testing.T) {
	testkit.RequireFFmpeg(t)
	ng := testkit.StartNginx(t, nginx.Options{})
	p, err := New(Config{
		URL:          ng.URL("live", "lipsync"),
		Video:        clkFlashVideo(lipW, lipH, lipFPS, lipFPS*lipSeconds),
		Audio:        clkBeepAudio(clkStereo44k, 44100*lipSeconds),
		VideoEncoder: encode.H264Options{Width: lipW, Height: lipH},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	// The recording is complete once nginx has seen the disconnect;
	// stopping nginx guarantees it.
	ng.Stop()
	recs := ng.RecordingsOf("lipsync")
	if len(recs) != 1 {
		t.Fatalf("recordings %v", recs)
	}
	testkit.CheckLipSync(t, recs[0], lipFPS, lipSeconds)
}
