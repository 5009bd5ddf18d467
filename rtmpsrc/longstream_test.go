package rtmpsrc

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/internal/testkit"
	"github.com/golivecast/golivecast/rtmptest"
)

// Streams longer than 2^24 ms (4 h 39 min) need RTMP's extended
// timestamp: the 24-bit field holds 0xFFFFFF and the real value follows
// the header, also after every type-3 continuation chunk (RTMP 1.0
// 5.3.1.3). Rather than stream for hours, these tests start the clock 2 s
// before the boundary (Config.StartTime) and stream 4 s across it, with
// 128-byte chunks so that every video message spans continuation chunks.
const (
	longStart   = 0xFFFFFF*time.Millisecond - 2*time.Second
	longSeconds = 4
	longFPS     = 30
)

func longConfig(url string) Config {
	audio := capture.Tone(clkStereo44k, 440, 0.3)
	audio.Duration = longSeconds * time.Second
	return Config{
		URL:          url,
		Video:        clkFlashVideo(160, 120, longFPS, longFPS*longSeconds),
		Audio:        audio,
		StartTime:    longStart,
		ChunkSize:    128,
		VideoEncoder: encode.H264Options{Width: 160, Height: 120},
	}
}

// TestExtendedTimestampsGoRTMP checks the timestamps the in-process
// server reads. go-rtmp alone would misread the extended timestamp a
// conforming client repeats after type-3 headers; rtmptest strips the
// repeats first (rtmptest/exttime.go) when they equal the
// header's, so any other layout shows up here as a wrong timestamp, a
// lost message or a dropped connection.
func TestExtendedTimestampsGoRTMP(t *testing.T) {
	srv, err := rtmptest.Start(rtmptest.Config{DropPayloads: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p, err := New(longConfig(srv.URL("live", "long")))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	ev := clkWaitClosed(t, srv)
	for _, e := range ev {
		if e.Err != nil || e.Kind == rtmptest.KindMessage || e.Kind == rtmptest.KindCommand {
			t.Errorf("server event %v", e)
		}
	}
	base := uint32(longStart / time.Millisecond)
	if v, a := clkSeqHeaders(ev); v != int64(base) || a != int64(base) {
		t.Errorf("sequence headers at %d (video) and %d (audio), want %d", v, a, base)
	}
	video, audio := clkMedia(ev, rtmptest.KindVideo), clkMedia(ev, rtmptest.KindAudio)
	if len(video) != longFPS*longSeconds {
		t.Errorf("%d video frames, want %d", len(video), longFPS*longSeconds)
	}
	if len(video) == 0 || len(audio) == 0 {
		t.Fatalf("%d video and %d audio messages", len(video), len(audio))
	}
	t.Logf("video %d…%d ms, audio %d…%d ms; boundary %d", video[0], video[len(video)-1], audio[0], audio[len(audio)-1], 0xFFFFFF)
	if want := base + uint32(clkAACDelay/time.Millisecond); video[0] != want {
		t.Errorf("first video frame at %d ms, want %d", video[0], want)
	}
	if audio[0] != base {
		t.Errorf("first audio frame at %d ms, want %d", audio[0], base)
	}
	// Both tracks cross the boundary without a jump: the cadence and the
	// audio steps hold on both sides of it.
	for _, ts := range [][]uint32{video, audio} {
		if ts[0] >= 0xFFFFFF || ts[len(ts)-1] <= 0xFFFFFF+1000 {
			t.Errorf("track runs %d…%d ms: does not cross %d", ts[0], ts[len(ts)-1], 0xFFFFFF)
		}
	}
	clkCheckCadence(t, video, longFPS)
	clkCheckAudioSteps(t, audio, 44100)
	// Across tracks, the server sees DTS order.
	var last uint32
	for _, e := range ev {
		if (e.Kind == rtmptest.KindVideo || e.Kind == rtmptest.KindAudio) && e.Timestamp < last {
			t.Errorf("%v after %d ms", e, last)
		}
		if e.Kind == rtmptest.KindVideo || e.Kind == rtmptest.KindAudio {
			last = e.Timestamp
		}
	}
}

// TestExtendedTimestampsNginx publishes across the boundary to
// nginx-rtmp, which reads extended timestamps as the specification says
// and resets the connection when the repeats after type-3 headers are
// missing (internal/nginx TestExtendedTimestamps).
//
// nginx's recording does not keep the absolute timestamps: its record
// module writes each tag at (timestamp - epoch), the epoch being the
// timestamp of the first tag of the recording, so the file starts near 0.
// What is meaningful is that it holds every frame, decodes cleanly and
// runs on without a jump or a step back where the stream crossed 2^24 ms
// (2 s in): a misread extended timestamp would show there.
func TestExtendedTimestampsNginx(t *testing.T) {
	testkit.RequireFFmpeg(t)
	ng := testkit.StartNginx(t, nginx.Options{})
	p, err := New(longConfig(ng.URL("live", "long")))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	ng.Stop()
	recs := ng.RecordingsOf("long")
	if len(recs) != 1 {
		t.Fatalf("recordings %v", recs)
	}
	checkLongRecording(t, recs[0], 0)
}

// TestExtendedTimestampsFile writes the same stream to an FLV file,
// whose tags keep the upper 8 bits of the timestamp in
// TimestampExtended (FLV 10.1 E.4.1): ffprobe must read absolute times
// from just below to above 2^24 ms.
func TestExtendedTimestampsFile(t *testing.T) {
	testkit.RequireFFmpeg(t)
	path := filepath.Join(t.TempDir(), "long.flv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg := longConfig("")
	cfg.Output = f
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	checkLongRecording(t, path, longStart)
}

// checkLongRecording decodes a recording of longConfig's stream: no
// decode errors, every frame, timestamps increasing by one frame at a
// time through the boundary. start is the media time the file should
// start at (0 when the recorder rebases).
func checkLongRecording(t *testing.T, path string, start time.Duration) {
	t.Helper()
	if errs := testkit.DecodeErrors(t, path); errs != "" {
		t.Errorf("decode errors: %s", errs)
	}
	vp, ap := testkit.Packets(t, path, "v"), testkit.Packets(t, path, "a")
	if len(vp) == 0 || len(ap) == 0 {
		t.Fatalf("%d video and %d audio packets", len(vp), len(ap))
	}
	t.Logf("video %v…%v, audio %v…%v (%d and %d packets)", vp[0].DTS, vp[len(vp)-1].DTS, ap[0].DTS, ap[len(ap)-1].DTS, len(vp), len(ap))
	if len(vp) != longFPS*longSeconds {
		t.Errorf("%d video packets, want %d", len(vp), longFPS*longSeconds)
	}
	if d := ap[0].DTS - start; d.Abs() > 40*time.Millisecond {
		t.Errorf("audio starts at %v, want %v", ap[0].DTS, start)
	}
	frame := time.Second / longFPS
	for i := 1; i < len(vp); i++ {
		if step := vp[i].DTS - vp[i-1].DTS; step < frame-time.Millisecond || step > frame+time.Millisecond {
			t.Errorf("video packet %d: DTS %v, %v after the previous, want %v±1ms", i, vp[i].DTS, step, frame)
		}
	}
	aframe := 1024 * time.Second / 44100
	for i := 1; i < len(ap); i++ {
		if step := ap[i].DTS - ap[i-1].DTS; step < aframe-time.Millisecond || step > aframe+time.Millisecond {
			t.Errorf("audio packet %d: DTS %v, %v after the previous, want %v±1ms", i, ap[i].DTS, step, aframe)
		}
	}
	// The whole 4 s are there, from the first to the last frame.
	if span := vp[len(vp)-1].DTS - vp[0].DTS; (span - (longSeconds*time.Second - frame)).Abs() > 2*time.Millisecond {
		t.Errorf("video spans %v", span)
	}
}
