package rtmpsrc

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/internal/testkit"
)

// TestPublishToNginx publishes three seconds to a real nginx-rtmp and
// decodes its recording with ffprobe/ffmpeg.
func TestPublishToNginx(t *testing.T) {
	testkit.RequireFFmpeg(t)
	ng := testkit.StartNginx(t, nginx.Options{})
	const fps, seconds = 30, 3
	video, audio := testSources(320, 240, fps*seconds, fps, 44100, 2)
	// An endless tone: the stream ends with the picture, which a slow
	// source (a loaded machine) may lengthen by a repeated frame.
	audio.(*capture.ToneSource).Duration = 0
	p, err := New(Config{
		URL:          ng.URL("live", "nginxkey"),
		Video:        video,
		Audio:        audio,
		VideoEncoder: encode.H264Options{Width: 320, Height: 240, Bitrate: 800 * encode.Kbps},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatalf("%v\nnginx log:\n%s", err, ng.Log())
	}
	var recs []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if recs = ng.RecordingsOf("nginxkey"); len(recs) > 0 {
			break
		}
	}
	if len(recs) != 1 {
		t.Fatalf("recordings %v\nnginx log:\n%s", recs, ng.Log())
	}
	checkRecording(t, recs[0], fps*seconds, 320, 240)
}

// checkRecording decodes a recorded FLV: H.264 and AAC present, the
// frame count, no decode errors, and both tracks starting and ending
// together.
func checkRecording(t *testing.T, path string, frames, w, h int) {
	t.Helper()
	var hasV, hasA bool
	for _, s := range testkit.Streams(t, path) {
		switch s.CodecType {
		case "video":
			hasV = true
			if s.CodecName != "h264" || s.Width != w || s.Height != h {
				t.Errorf("video stream %+v", s)
			}
			if s.NbReadFrames < frames-1 || s.NbReadFrames > frames+1 {
				t.Errorf("%d video frames decoded, want %d±1", s.NbReadFrames, frames)
			}
		case "audio":
			hasA = true
			if s.CodecName != "aac" || s.SampleRate != 44100 || s.Channels != 2 {
				t.Errorf("audio stream %+v", s)
			}
		}
	}
	if !hasV || !hasA {
		t.Fatalf("video %v audio %v in %s", hasV, hasA, path)
	}
	if errs := testkit.DecodeErrors(t, path); errs != "" {
		t.Errorf("decode errors: %s", errs)
	}
	vp, ap := testkit.Packets(t, path, "v"), testkit.Packets(t, path, "a")
	if !vp[0].Keyframe {
		t.Error("recording does not start with a keyframe")
	}
	// Audio's first packet carries 1600 samples of encoder delay, so
	// the first sound is heard 36 ms after it, when the first picture
	// shows.
	const priming = 1600 * time.Second / 44100
	vStart, aStart := vp[0].PTS, ap[0].PTS+priming
	if d := vStart - aStart; d.Abs() > 2*time.Millisecond {
		t.Errorf("video starts at %v, first sound at %v", vStart, aStart)
	}
	vEnd := vp[len(vp)-1].PTS + vp[len(vp)-1].Duration
	aEnd := ap[len(ap)-1].PTS + ap[len(ap)-1].Duration
	frame := time.Duration(math.Ceil(float64(time.Second) * 1024 / 44100))
	if d := vEnd - (aEnd - priming); d.Abs() > frame+time.Millisecond {
		t.Errorf("video ends at %v, audio at %v (less priming %v): more than one audio frame apart", vEnd, aEnd-priming, priming)
	}
}
