package testkit

import (
	"math"
	"testing"
	"time"
)

// The lip-sync pattern: the picture flashes white for the first 100 ms of
// every second of media time while the sound beeps (1 kHz) for the same
// 100 ms. An independent decoder (ffmpeg) must find each beep starting
// within LipSyncTolerance of its flash.

// LipSyncTolerance is the largest beep-to-flash distance CheckLipSync
// accepts.
const LipSyncTolerance = 5 * time.Millisecond

// CheckLipSync decodes path and compares every beep onset with its flash
// onset. The recording holds seconds of the pattern from its start, or,
// when seconds is 0, a stretch from the middle of a stream (a viewer that
// joined late): then onsets cut by the ends are left out and at least two
// must pair up.
//
// Both are placed on the stream's own timeline (the timestamps in the
// file, as ffprobe reports them):
//   - VideoLuma reports pts_time after ffmpeg's start-time
//     shift (ffmpeg subtracts the file's start time unless -copyts); the
//     shift is undone with the first video packet's PTS from ff
//   - AudioPCM is the decoder's output written back to back, with no
//     timestamps: ffmpeg neither pads the start to PTS 0 nor trims the
//     priming (FLV carries no skip information). Its sample 0 is therefore
//     the first sample of the first audio packet, at that packet's PTS;
//     this is checked by requiring exactly 1024 samples per packet.
func CheckLipSync(t testing.TB, path string, fps, seconds int) {
	t.Helper()
	const rate = 44100
	if errs := DecodeErrors(t, path); errs != "" {
		t.Errorf("decode errors: %s", errs)
	}
	vp, ap := Packets(t, path, "v"), Packets(t, path, "a")
	if len(vp) == 0 || len(ap) == 0 {
		t.Fatalf("%d video and %d audio packets", len(vp), len(ap))
	}
	luma := VideoLuma(t, path, 32, 24)
	pcm := AudioPCM(t, path, rate)
	t.Logf("first video packet %v, first audio packet %v, first decoded frame %v; %d frames, %d samples, %d audio packets",
		vp[0].PTS, ap[0].PTS, luma[0].PTS, len(luma), len(pcm), len(ap))
	if len(pcm) != 1024*len(ap) {
		t.Fatalf("%d decoded samples for %d AAC packets: the PCM is not aligned to the first packet", len(pcm), len(ap))
	}
	if n := len(luma); seconds > 0 && (n < fps*seconds-1 || n > fps*seconds+1) {
		t.Errorf("%d frames decoded, want %d±1", n, fps*seconds)
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
	beeps := BeepOnsets(pcm, rate, seconds > 0)
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
				if o >= first-LipSyncTolerance && o <= last+LipSyncTolerance {
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
		if d := beeps[k] - flashes[k]; d.Abs() > LipSyncTolerance {
			t.Errorf("second %d: beep at %v, flash at %v: %v apart (limit %v)", k, beeps[k], flashes[k], d, LipSyncTolerance)
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

// BeepOnsets finds where each beep starts in mono PCM: the first sample
// at which the energy of the last 1 ms rises above a tenth of the
// loudest 1 ms (-10 dB in amplitude, well above AAC pre-echo and
// quantisation noise), after at least 300 ms of quiet. The 1 ms window
// makes the onset late by at most a fraction of a millisecond. With
// fromStart, the start counts as after quiet; otherwise a beep cut by
// the start is not an onset.
func BeepOnsets(pcm []int16, rate int, fromStart bool) []time.Duration {
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
