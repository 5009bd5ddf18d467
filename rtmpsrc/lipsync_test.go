package rtmpsrc

import (
	"context"
	"math"
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
	// lipTolerance is the largest beep-to-flash distance accepted.
	lipTolerance = 5 * time.Millisecond
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
	clkCheckLipSync(t, path, lipSeconds)
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
	clkCheckLipSync(t, recs[0], lipSeconds)
}

// clkCheckLipSync decodes path and compares every beep onset with its flash
// onset. The recording holds seconds of the pattern from its start, or,
// when seconds is 0, a stretch from the middle of a stream (a viewer that
// joined late): then onsets cut by the ends are left out and at least two
// must pair up.
//
// Both are placed on the stream's own timeline (the timestamps in the
// file, as ffprobe reports them):
//   - testkit.VideoLuma reports pts_time after ffmpeg's start-time
//     shift (ffmpeg subtracts the file's start time unless -copyts); the
//     shift is undone with the first video packet's PTS from ffprobe.
//   - testkit.AudioPCM is the decoder's output written back to back, with no
//     timestamps: ffmpeg neither pads the start to PTS 0 nor trims the
//     priming (FLV carries no skip information). Its sample 0 is therefore
//     the first sample of the first audio packet, at that packet's PTS;
//     this is checked by requiring exactly 1024 samples per packet.
func clkCheckLipSync(t *testing.T, path string, seconds int) {
	t.Helper()
	const rate = 44100
	if errs := testkit.DecodeErrors(t, path); errs != "" {
		t.Errorf("decode errors: %s", errs)
	}
	vp, ap := testkit.Packets(t, path, "v"), testkit.Packets(t, path, "a")
	if len(vp) == 0 || len(ap) == 0 {
		t.Fatalf("%d video and %d audio packets", len(vp), len(ap))
	}
	luma := testkit.VideoLuma(t, path, 32, 24)
	pcm := testkit.AudioPCM(t, path, rate)
	t.Logf("first video packet %v, first audio packet %v, first decoded frame %v; %d frames, %d samples, %d audio packets",
		vp[0].PTS, ap[0].PTS, luma[0].PTS, len(luma), len(pcm), len(ap))
	if len(pcm) != 1024*len(ap) {
		t.Fatalf("%d decoded samples for %d AAC packets: the PCM is not aligned to the first packet", len(pcm), len(ap))
	}
	if n := len(luma); seconds > 0 && (n < lipFPS*seconds-1 || n > lipFPS*seconds+1) {
		t.Errorf("%d frames decoded, want %d±1", n, lipFPS*seconds)
	}
	shift := vp[0].PTS - luma[0].PTS

	// Flash onsets: a frame brighter than mid-grey after one darker (or
	// the first frame).
	var flashes []time.Duration
	for i, f := range luma {
		if f.Mean > 128 && (i == 0 && seconds > 0 || i > 0 && luma[i-1].Mean <= 128) {
			flashes = append(flashes, f.PTS+shift)
		}
	}
	beeps := clkBeepOnsets(pcm, rate, seconds > 0)
	for i := range beeps {
		beeps[i] += ap[0].PTS
	}
	t.Logf("flash onsets %v", flashes)
	t.Logf("beep onsets  %v", beeps)
	if seconds == 0 {
		// Keep the onsets both tracks cover, whole.
		last := min(flashes[len(flashes)-1], beeps[len(beeps)-1])
		first := max(flashes[0], beeps[0])
		keep := func(on []time.Duration) []time.Duration {
			var out []time.Duration
			for _, o := range on {
				if o >= first-lipTolerance && o <= last+lipTolerance {
					out = append(out, o)
				}
			}
			return out
		}
		flashes, beeps = keep(flashes), keep(beeps)
		if len(flashes) < 2 {
			t.Fatalf("%d flashes in the stretch, want at least 2", len(flashes))
		}
		seconds = len(flashes)
	}
	if len(flashes) != seconds || len(beeps) != seconds {
		t.Fatalf("%d flashes and %d beeps, want %d of each", len(flashes), len(beeps), seconds)
	}
	for k := range flashes {
		if d := beeps[k] - flashes[k]; d.Abs() > lipTolerance {
			t.Errorf("second %d: beep at %v, flash at %v: %v apart (limit %v)", k, beeps[k], flashes[k], d, lipTolerance)
		}
		// Each flash is one second after the previous: the video clock
		// itself is right, so agreeing with it means something.
		if k > 0 {
			if d := flashes[k] - flashes[k-1] - time.Second; d.Abs() > 2*time.Millisecond {
				t.Errorf("flash %d is %v after flash %d", k, flashes[k]-flashes[k-1], k-1)
			}
		}
	}
}

// clkBeepOnsets finds where each beep starts in mono PCM: the first sample
// at which the energy of the last 1 ms rises above a tenth of the
// loudest 1 ms (-10 dB in amplitude, well above AAC pre-echo and
// quantisation noise), after at least 300 ms of quiet. The 1 ms window
// makes the onset late by at most a fraction of a millisecond. With
// fromStart, the start counts as after quiet; otherwise a beep cut by
// the start is not an onset.
func clkBeepOnsets(pcm []int16, rate int, fromStart bool) []time.Duration {
	win := rate / 1000
	var (
		sum, peak float64
		energy    = make([]float64, len(pcm)) // of the window ending at i
	)
	for i, s := range pcm {
		sum += float64(s) * float64(s)
		if i >= win {
			sum -= float64(pcm[i-win]) * float64(pcm[i-win])
		}
		energy[i] = math.Max(sum, 0)
		peak = math.Max(peak, energy[i])
	}
	var onsets []time.Duration
	thr := peak / 10
	quietFor := rate * 3 / 10
	quiet := 0
	if fromStart {
		quiet = quietFor
	}
	for i, e := range energy {
		if e > thr {
			if quiet >= quietFor {
				onsets = append(onsets, time.Duration(i)*time.Second/time.Duration(rate))
			}
			quiet = 0
		} else {
			quiet++
		}
	}
	return onsets
}
