package encode

import (
	"testing"
	"time"
)

// WithDefaults must agree with what an opened encoder reports.
func TestWithDefaults(t *testing.T) {
	h := H264Options{Width: 64, Height: 48, Bitrate: 300 * Kbps}.WithDefaults()
	want := H264Options{Width: 64, Height: 48, FrameRate: Rational{30, 1}, Preset: "veryfast", Tune: "zerolatency",
		Profile: "high", CRF: 23, Bitrate: 300 * Kbps, MaxBitrate: 300 * Kbps, BufferSize: 300 * Kbps, KeyframeInterval: 2 * time.Second}
	if x, err := X264Info(); err == nil && x.Backend != X264Bundled {
		want.Threads = 1 // up to 720p on an x264 with assembly
	}
	if h != want {
		t.Errorf("H264Options.WithDefaults() = %+v, want %+v", h, want)
	}
	enc, err := NewH264(H264Options{Width: 64, Height: 48, Bitrate: 300 * Kbps})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	if got := enc.Options(); got != h {
		t.Errorf("NewH264 opened with %+v, WithDefaults says %+v", got, h)
	}

	a := AACOptions{Channels: 1}.WithDefaults()
	if want := (AACOptions{SampleRate: 44100, Channels: 1, Bitrate: 64000}); a != want {
		t.Errorf("AACOptions.WithDefaults() = %+v, want %+v", a, want)
	}
	aac, err := NewAAC(AACOptions{Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer aac.Close()
	if got := aac.Options(); got != a {
		t.Errorf("NewAAC opened with %+v, WithDefaults says %+v", got, a)
	}
}
