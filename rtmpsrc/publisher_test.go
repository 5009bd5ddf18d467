package rtmpsrc

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/rtmptest"
)

// TestPublishToGoRTMPServer publishes a short stream to an in-process
// go-rtmp server and checks what arrived: command order, metadata,
// sequence headers before media, and timestamps.
func TestPublishToGoRTMPServer(t *testing.T) {
	srv := startServer(t)
	video, audio := testSources(160, 120, 45, 30, 44100, 2)
	p, err := New(Config{
		URL:          srv.URL("live", "secretkey"),
		Video:        video,
		Audio:        audio,
		VideoEncoder: encode.H264Options{Width: 160, Height: 120, Bitrate: 500 * encode.Kbps},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 1400*time.Millisecond {
		t.Errorf("1.5 s of media took %v: not paced", el)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer wcancel()
	if err := srv.WaitFor(wctx, func(ev []rtmptest.Event) bool {
		for _, e := range ev {
			if e.Kind == rtmptest.KindClose {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	checkEvents(t, srv.Events(), 45)
	st := p.Stats()
	if st.Video.Muxed != 45 || st.Video.Taken != 45 || st.Video.Keyframes < 1 || st.Audio.Muxed < 60 {
		t.Errorf("stats: %+v", st)
	}
}

// checkEvents checks one publishing session as the server saw it.
func checkEvents(t *testing.T, ev []rtmptest.Event, frames int) {
	t.Helper()
	var order []rtmptest.Kind
	for _, e := range ev {
		if e.Kind != rtmptest.KindAudio && e.Kind != rtmptest.KindVideo && (len(order) == 0 || order[len(order)-1] != e.Kind) {
			order = append(order, e.Kind)
		}
		if e.Kind == rtmptest.KindConnect {
			c := e.Connect
			if c == nil || c.App != "live" || !strings.HasSuffix(c.TCURL, "/live") || c.FlashVer == "" || c.Type != "nonprivate" {
				t.Errorf("connect object %+v", c)
			}
		}
		if e.Kind == rtmptest.KindSetDataFrame {
			for _, k := range []string{"duration", "fileSize", "width", "height", "framerate", "videocodecid", "videodatarate", "audiocodecid", "audiosamplerate", "audiosamplesize", "audiochannels", "stereo", "audiodatarate", "encoder"} {
				if _, ok := e.Metadata[k]; !ok {
					t.Errorf("onMetaData lacks %s: %v", k, e.Metadata)
				}
			}
			if e.Metadata["videocodecid"] != 7.0 || e.Metadata["audiocodecid"] != 10.0 || e.Metadata["stereo"] != (e.Metadata["audiochannels"] == 2.0) ||
				e.Metadata["duration"] != 0.0 || e.Metadata["fileSize"] != 0.0 {
				t.Errorf("codec ids in %v", e.Metadata)
			}
		}
	}
	want := []rtmptest.Kind{rtmptest.KindConnect, rtmptest.KindReleaseStream, rtmptest.KindFCPublish,
		rtmptest.KindCreateStream, rtmptest.KindPublish, rtmptest.KindSetDataFrame,
		rtmptest.KindFCUnpublish, rtmptest.KindDeleteStream, rtmptest.KindClose}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("command order %v, want %v", order, want)
	}

	var (
		seenVideoHdr, seenAudioHdr bool
		lastV, lastA, lastAny      = int64(-1), int64(-1), int64(-1)
		firstV, firstA             = int64(-1), int64(-1)
		videoFrames                int
	)
	for _, e := range ev {
		ts := int64(e.Timestamp)
		switch e.Kind {
		case rtmptest.KindVideo:
			if e.Video.AVCPacketType == 0 {
				seenVideoHdr = true
				continue
			}
			if !seenVideoHdr || !seenAudioHdr {
				t.Fatal("video before both sequence headers")
			}
			videoFrames++
			if firstV < 0 {
				firstV = ts
				if e.Video.FrameType != 1 {
					t.Error("first video frame is not a keyframe")
				}
			}
			if ts < lastV {
				t.Errorf("video DTS goes back: %d after %d", ts, lastV)
			}
			lastV = ts
		case rtmptest.KindAudio:
			if e.Audio.AACPacketType == 0 {
				seenAudioHdr = true
				continue
			}
			if !seenVideoHdr || !seenAudioHdr {
				t.Fatal("audio before both sequence headers")
			}
			if firstA < 0 {
				firstA = ts
			}
			if ts < lastA {
				t.Errorf("audio DTS goes back: %d after %d", ts, lastA)
			}
			lastA = ts
		default:
			continue
		}
		if ts < lastAny {
			t.Errorf("DTS goes back across tracks: %d after %d", ts, lastAny)
		}
		lastAny = ts
	}
	if videoFrames != frames {
		t.Errorf("%d video frames arrived, want %d", videoFrames, frames)
	}
	// Both tracks start at media time 0: audio's first packet at 0, and
	// video shifted by exactly the AAC encoder delay (1600 samples at
	// 44.1 kHz = 36 ms), so the first picture and the first real audio
	// sample are presented together.
	if firstA != 0 || firstV != 36 {
		t.Errorf("first audio at %d ms, first video at %d ms; want 0 and 36", firstA, firstV)
	}
}
