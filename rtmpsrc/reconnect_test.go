package rtmpsrc

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/internal/testkit"
	"github.com/golivecast/golivecast/rtmptest"
)

// TestReconnectNginx stops nginx mid-stream and starts it again on the
// same port: the publisher reconnects by itself, and the new recording
// starts with a keyframe, carries audio and video, and its timestamps
// continue the stream's media time without going backwards.
func TestReconnectNginx(t *testing.T) {
	testkit.RequireFFmpeg(t)
	ng := testkit.StartNginx(t, nginx.Options{})
	const fps, seconds = 30, 6
	video, audio := testSources(160, 120, fps*seconds, fps, 44100, 2)
	p, err := New(Config{
		URL:          ng.URL("live", "reconnectkey"),
		Video:        video,
		Audio:        audio,
		VideoEncoder: encode.H264Options{Width: 160, Height: 120, Bitrate: 300 * encode.Kbps},
		Reconnect:    ReconnectPolicy{InitialDelay: 300 * time.Millisecond},
		WriteTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- p.Run(context.Background()) }()
	defer p.Close()

	waitFrames(t, p, 45)
	ng.Stop()
	// Down long enough for a failed attempt and frames dropped.
	testkit.Eventually(t, 10*time.Second, "frames dropped while nginx is down", func() bool {
		return p.Stats().Destinations[0].VideoDropped[DropReconnect] >= 10
	})
	ng.Restart()

	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run: %v\n%s", err, ng.Log())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not end")
	}
	st := p.Stats().Destinations[0]
	if st.Reconnects != 1 {
		t.Fatalf("%d reconnects, want 1 (stats %+v)", st.Reconnects, st)
	}
	if st.VideoDropped[DropReconnect] == 0 {
		t.Errorf("no frames counted as dropped while disconnected: %+v", st.VideoDropped)
	}
	recs := ng.RecordingsOf("reconnectkey")
	if len(recs) != 2 {
		t.Fatalf("recordings %v, want the one before the restart and the one after", recs)
	}
	after := recs[1]
	vp, ap := testkit.Packets(t, after, "v"), testkit.Packets(t, after, "a")
	if len(vp) < fps || len(ap) < 40 {
		t.Fatalf("second recording has %d video and %d audio packets", len(vp), len(ap))
	}
	if !vp[0].Keyframe {
		t.Error("the recording after the reconnect does not start with a keyframe")
	}
	for i := 1; i < len(vp); i++ {
		if vp[i].DTS < vp[i-1].DTS {
			t.Fatalf("video DTS goes back at %d: %v after %v", i, vp[i].DTS, vp[i-1].DTS)
		}
	}
	for i := 1; i < len(ap); i++ {
		if ap[i].PTS < ap[i-1].PTS {
			t.Fatalf("audio PTS goes back at %d", i)
		}
	}
	// nginx's recorder rebases each file to start at zero, so media-time
	// continuity is checked against the in-process server
	// (TestReconnectContinuesMediaTime).
	if errs := testkit.DecodeErrors(t, after); errs != "" {
		t.Errorf("decode errors after the reconnect: %s", errs)
	}
}

// TestReconnectContinuesMediaTime drops the connection to an in-process
// server by closing it and starting a new one on the same address: the
// second session carries headers again, starts with a keyframe, and its
// timestamps continue from the first.
func TestReconnectContinuesMediaTime(t *testing.T) {
	srv := startServer(t)
	addr := srv.Addr()
	const fps, seconds = 30, 4
	video, audio := testSources(160, 120, fps*seconds, fps, 44100, 2)
	p, err := New(Config{
		URL:          srv.URL("live", "k"),
		Video:        video,
		Audio:        audio,
		VideoEncoder: encode.H264Options{Width: 160, Height: 120},
		Reconnect:    ReconnectPolicy{InitialDelay: 200 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- p.Run(context.Background()) }()
	defer p.Close()
	waitFrames(t, p, 36)
	first := srv.Events()
	srv.Close()
	srv2, err := rtmptest.Start(rtmptest.Config{Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if n := p.Stats().Destinations[0].Reconnects; n != 1 {
		t.Fatalf("%d reconnects", n)
	}
	var lastFirst uint32
	for _, e := range first {
		if (e.Kind == rtmptest.KindVideo || e.Kind == rtmptest.KindAudio) && e.Timestamp > lastFirst {
			lastFirst = e.Timestamp
		}
	}
	second := srv2.Events()
	var kinds []rtmptest.Kind
	firstVideo := true
	for _, e := range second {
		switch e.Kind {
		case rtmptest.KindSetDataFrame, rtmptest.KindPublish:
			kinds = append(kinds, e.Kind)
		case rtmptest.KindVideo:
			if e.Video.AVCPacketType == 0 {
				kinds = append(kinds, "video-header")
				continue
			}
			if firstVideo && e.Video.FrameType != 1 {
				t.Error("first video frame after the reconnect is not a keyframe")
			}
			firstVideo = false
			fallthrough
		case rtmptest.KindAudio:
			if e.Kind == rtmptest.KindAudio && e.Audio.AACPacketType == 0 {
				kinds = append(kinds, "audio-header")
				continue
			}
			if e.Timestamp <= lastFirst {
				t.Fatalf("second session has media at %d ms, first ended at %d ms", e.Timestamp, lastFirst)
			}
		}
	}
	if fmt.Sprint(kinds) != "[publish setDataFrame video-header audio-header]" {
		t.Errorf("second session: %v", kinds)
	}
	if firstVideo {
		t.Error("no video after the reconnect")
	}
}
