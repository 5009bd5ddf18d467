package testkit

import (
	"math"
	"testing"
	"time"
)

// Recording is what CheckRecording expects of an FLV (or other) file a
// stream was recorded into.
type Recording struct {
	// Width and Height of the H.264 picture.
	Width, Height int
	// Frames is the number of pictures, ±1; 0 asks only for some.
	Frames int
	// SampleRate and Channels of the AAC audio.
	SampleRate, Channels int
	// Aligned asks that both tracks start together, once the AAC
	// encoder delay (Priming samples) is allowed for, and end within one
	// AAC frame of each other.
	Aligned bool
	// Priming is the AAC encoder delay in samples, for Aligned. It
	// defaults to 1600 (vo-aacenc's).
	Priming int
}

// CheckRecording decodes the file at path with ffprobe and ffmpeg and
// checks it against want: H.264 and AAC present with the right
// parameters, the frame count, a keyframe first, no decode errors, and
// optionally the alignment of the tracks.
func CheckRecording(t testing.TB, path string, want Recording) {
	t.Helper()
	var hasV, hasA bool
	for _, s := range Streams(t, path) {
		switch s.CodecType {
		case "video":
			hasV = true
			if s.CodecName != "h264" || s.Width != want.Width || s.Height != want.Height {
				t.Errorf("%s: video stream %+v, want h264 %dx%d", path, s, want.Width, want.Height)
			}
			if n := s.NbReadFrames; want.Frames > 0 && (n < want.Frames-1 || n > want.Frames+1) || n == 0 {
				t.Errorf("%s: %d video frames decoded, want %d±1", path, n, want.Frames)
			}
		case "audio":
			hasA = true
			if s.CodecName != "aac" || s.SampleRate != want.SampleRate || s.Channels != want.Channels {
				t.Errorf("%s: audio stream %+v, want aac %d Hz %d channels", path, s, want.SampleRate, want.Channels)
			}
		}
	}
	if !hasV || !hasA {
		t.Fatalf("%s: video %v, audio %v; want both", path, hasV, hasA)
	}
	if errs := DecodeErrors(t, path); errs != "" {
		t.Errorf("%s: decode errors: %s", path, errs)
	}
	vp, ap := Packets(t, path, "v"), Packets(t, path, "a")
	if !vp[0].Keyframe {
		t.Errorf("%s does not start with a keyframe", path)
	}
	if !want.Aligned {
		return
	}
	// The first audio packet carries the encoder delay, so the first
	// sound is heard that long after it, when the first picture shows.
	primingSamples := want.Priming
	if primingSamples == 0 {
		primingSamples = 1600
	}
	priming := time.Duration(primingSamples) * time.Second / time.Duration(want.SampleRate)
	vStart, aStart := vp[0].PTS, ap[0].PTS+priming
	if d := vStart - aStart; d.Abs() > 2*time.Millisecond {
		t.Errorf("%s: video starts at %v, the first sound at %v", path, vStart, aStart)
	}
	vEnd := vp[len(vp)-1].PTS + vp[len(vp)-1].Duration
	aEnd := ap[len(ap)-1].PTS + ap[len(ap)-1].Duration
	frame := time.Duration(math.Ceil(float64(time.Second) * 1024 / float64(want.SampleRate)))
	if d := vEnd - (aEnd - priming); d.Abs() > frame+time.Millisecond {
		t.Errorf("%s: video ends at %v, audio at %v (less priming %v): more than one audio frame apart", path, vEnd, aEnd-priming, priming)
	}
}
