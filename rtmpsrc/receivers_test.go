package rtmpsrc

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/gortmptest"
	"github.com/golivecast/golivecast/internal/nginx"
	"github.com/golivecast/golivecast/internal/testkit"
)

// The receivers users point a stream at, beyond nginx-rtmp's recorder:
// ffmpeg in listen mode, nginx-rtmp's HLS segmenter, a viewer that joins
// mid-stream, and MediaMTX's RTMP stack. Each gets the flash+beep
// pattern; where a receiver records, the recording must decode cleanly
// and keep the beeps within testkit.LipSyncTolerance of their flashes.

// flashConfig is the lip-sync pattern for seconds of media, live to url.
func flashConfig(url string, seconds int) Config {
	return Config{
		URL:          url,
		Video:        clkFlashVideo(lipW, lipH, lipFPS, lipFPS*seconds),
		Audio:        clkBeepAudio(clkStereo44k, int64(44100*seconds)),
		VideoEncoder: encode.H264Options{Width: lipW, Height: lipH},
		Reconnect:    ReconnectPolicy{Disabled: true},
	}
}

func runPublisher(t *testing.T, cfg Config, limit time.Duration) (*Publisher, error) {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	return p, p.Run(ctx)
}

// TestFFmpegListenReceiver publishes to ffmpeg in listen mode
// (ffmpeg -listen 1 -i rtmp://… -c copy out.flv), the usual way to preview
// a stream locally. ffmpeg 5.1 answers FCPublish with a bare onFCPublish
// command, which a publisher must ignore.
func TestFFmpegListenReceiver(t *testing.T) {
	testkit.RequireFFmpeg(t)
	const seconds = 4
	port := testkit.FreePort(t)
	out := filepath.Join(t.TempDir(), "listen.flv")
	url := "rtmp://127.0.0.1:" + strconv.Itoa(port) + "/live/listenkey"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ff := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
		"-listen", "1", "-i", url, "-c", "copy", "-f", "flv", "-y", out)
	var stderr strings.Builder
	ff.Stderr = &stderr
	if err := ff.Start(); err != nil {
		t.Fatal(err)
	}
	ffDone := make(chan struct{})
	go func() {
		defer close(ffDone)
		_ = ff.Wait() // its complaints are in stderr
	}()
	defer func() {
		_ = ff.Process.Kill()
		<-ffDone
	}()

	// ffmpeg listens once it has started: until then the connection is
	// refused, and the publisher is simply tried again.
	var err error
	testkit.Poll(10*time.Second, func() bool {
		_, err = runPublisher(t, flashConfig(url, seconds), 30*time.Second)
		return !errors.Is(err, syscall.ECONNREFUSED)
	})
	if err != nil {
		t.Fatalf("publishing to ffmpeg -listen: %v\nffmpeg: %s", err, stderr.String())
	}
	select {
	case <-ffDone:
	case <-time.After(10 * time.Second):
		t.Fatal("ffmpeg did not finish after the unpublish")
	}
	// ffmpeg reports the end of its input as an I/O error; anything else
	// is a complaint about what it received.
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if line != "" && !strings.Contains(line, "Input/output error") {
			t.Errorf("ffmpeg: %s", line)
		}
	}
	testkit.CheckLipSync(t, out, lipFPS, seconds)
}

// TestNginxHLS publishes to nginx-rtmp with its HLS segmenter on (2 s
// fragments): every fragment starts with a keyframe, and the playlist
// decodes without errors and in sync.
func TestNginxHLS(t *testing.T) {
	testkit.RequireFFmpeg(t)
	const seconds = 7
	ng := testkit.StartNginx(t, nginx.Options{HLS: true})
	if _, err := runPublisher(t, flashConfig(ng.URL("live", "hlskey"), seconds), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	ng.Stop() // nginx closes the last fragment and writes the playlist
	live := filepath.Join(ng.HLSDir(), "hlskey.m3u8")
	segs := hlsSegments(t, live)
	if len(segs) < seconds/2 {
		t.Fatalf("%d fragments for %d s of 2 s fragments: %v", len(segs), seconds, segs)
	}
	for _, seg := range segs {
		vp := testkit.Packets(t, seg, "v")
		if len(vp) == 0 || !vp[0].Keyframe {
			t.Errorf("%s does not start with a keyframe (%d video packets)", filepath.Base(seg), len(vp))
		}
		if errs := testkit.DecodeErrors(t, seg); errs != "" {
			t.Errorf("%s: decode errors: %s", filepath.Base(seg), errs)
		}
	}
	// nginx leaves the playlist open-ended, as a live one is, and ffmpeg
	// would wait for more: a copy that says the list ended is decoded.
	b, err := os.ReadFile(live)
	if err != nil {
		t.Fatal(err)
	}
	playlist := filepath.Join(ng.HLSDir(), "ended.m3u8")
	if err := os.WriteFile(playlist, append(b, "#EXT-X-ENDLIST\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	testkit.CheckLipSync(t, playlist, lipFPS, seconds)
}

// hlsSegments lists the fragments a playlist names, as paths.
func hlsSegments(t *testing.T, playlist string) []string {
	t.Helper()
	f, err := os.Open(playlist)
	if err != nil {
		t.Fatalf("the playlist: %v", err)
	}
	defer f.Close()
	var segs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			segs = append(segs, filepath.Join(filepath.Dir(playlist), line))
		}
	}
	return segs
}

// TestNginxViewerMidStream: a viewer that pulls the stream from nginx-rtmp
// while it is under way (ffmpeg -i rtmp://… -c copy) gets a recording that
// decodes without errors and in sync.
func TestNginxViewerMidStream(t *testing.T) {
	testkit.RequireFFmpeg(t)
	const seconds, joinAfter, watch = 9, 2500 * time.Millisecond, 4
	ng := testkit.StartNginx(t, nginx.Options{})
	url := ng.URL("live", "viewkey")
	p, err := New(flashConfig(url, seconds))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	pubErr := make(chan error, 1)
	go func() { pubErr <- p.Run(context.Background()) }()
	waitFrames(t, p, int64(joinAfter*lipFPS/time.Second))
	out := filepath.Join(t.TempDir(), "viewer.flv")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	view, err := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
		"-i", url, "-t", strconv.Itoa(watch), "-c", "copy", "-f", "flv", "-y", out).CombinedOutput()
	if err != nil {
		t.Fatalf("the viewer: %v: %s", err, view)
	}
	if err := <-pubErr; err != nil {
		t.Fatal(err)
	}
	// The viewer's picture starts at the next keyframe (2 s apart).
	vp := testkit.Packets(t, out, "v")
	if len(vp) < lipFPS*(watch-2) || !vp[0].Keyframe {
		t.Errorf("the viewer got %d frames in %d s, the first a keyframe: %v", len(vp), watch, len(vp) > 0 && vp[0].Keyframe)
	}
	testkit.CheckLipSync(t, out, lipFPS, 0)
}

// TestGortmplibReceiver publishes to MediaMTX's RTMP stack (gortmplib's
// ServerConn and Reader): both tracks are seen, every frame arrives, and
// no timestamp goes back.
func TestGortmplibReceiver(t *testing.T) {
	const seconds = 3 // gortmplib studies 2 s before it hands media over
	rcv, err := gortmptest.Start(gortmptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	p, err := runPublisher(t, flashConfig(rcv.URL("live", "mtxkey"), seconds), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	res := rcv.Wait(10 * time.Second)
	if res.Err != nil || !res.Unpublished {
		t.Fatalf("receiver: %v (unpublished %v)", res.Err, res.Unpublished)
	}
	if !res.HasVideo || !res.HasAudio {
		t.Fatalf("tracks: video %v, audio %v", res.HasVideo, res.HasAudio)
	}
	if res.StreamKey != "mtxkey" || res.AudioConfig.SampleRate != 44100 || res.AudioConfig.ChannelConfig != 2 {
		t.Errorf("key %q, audio config %+v", res.StreamKey, res.AudioConfig)
	}
	st := p.Stats()
	if int64(len(res.Video)) != st.Video.Muxed || len(res.Video) != lipFPS*seconds {
		t.Errorf("%d frames received, %d sent, want %d", len(res.Video), st.Video.Muxed, lipFPS*seconds)
	}
	if int64(len(res.Audio)) != st.Audio.Muxed {
		t.Errorf("%d AAC frames received, %d sent", len(res.Audio), st.Audio.Muxed)
	}
	if len(res.Video) > 0 && !res.Video[0].Key {
		t.Error("the first frame is not a keyframe")
	}
	for i, v := range res.Video {
		if i > 0 && v.DTS < res.Video[i-1].DTS || v.PTS < v.DTS || v.Key != v.FLVKey {
			t.Errorf("video %d: %+v after %+v", i, v, res.Video[max(i-1, 0)])
		}
	}
	for i := 1; i < len(res.Audio); i++ {
		if res.Audio[i].PTS <= res.Audio[i-1].PTS {
			t.Errorf("audio %d: PTS %v after %v", i, res.Audio[i].PTS, res.Audio[i-1].PTS)
		}
	}
}
