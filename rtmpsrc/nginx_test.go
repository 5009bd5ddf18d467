package rtmpsrc

import (
	"context"
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
	testkit.Poll(5*time.Second, func() bool { recs = ng.RecordingsOf("nginxkey"); return len(recs) > 0 })
	if len(recs) != 1 {
		t.Fatalf("recordings %v\nnginx log:\n%s", recs, ng.Log())
	}
	testkit.CheckRecording(t, recs[0], testkit.Recording{Width: 320, Height: 240, Frames: fps * seconds, SampleRate: 44100, Channels: 2, Aligned: true})
}
