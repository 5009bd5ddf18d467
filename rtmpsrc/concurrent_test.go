package rtmpsrc

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/testkit"
	"github.com/golivecast/golivecast/rtmptest"
)

// TestConcurrentPublishers runs four live publishers with audio in one
// process, as a bot streaming to several channels does: each stream's
// recording decodes to the tone it was given, so the AAC encoders share
// nothing.
func TestConcurrentPublishers(t *testing.T) {
	testkit.RequireFFmpeg(t)
	dir := t.TempDir()
	srv, err := rtmptest.Start(rtmptest.Config{
		DropPayloads: true,
		Record: func(app, key string) (io.WriteCloser, error) {
			return os.Create(filepath.Join(dir, key+".flv"))
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	freqs := []float64{440, 550, 660, 770}
	var wg sync.WaitGroup
	errs := make([]error, len(freqs))
	for i, f := range freqs {
		wg.Go(func() {
			video, _ := testSources(64, 64, 60, 30, 44100, 2)
			p, err := New(Config{
				URL:          srv.URL("live", fmt.Sprintf("tone%.0f", f)),
				Video:        video,
				Audio:        capture.Tone(clkStereo44k, f, 0.5), // ends with the picture
				VideoEncoder: encode.H264Options{Width: 64, Height: 64},
			})
			if err != nil {
				errs[i] = err
				return
			}
			defer p.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			errs[i] = p.Run(ctx)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("publisher %d: %v", i, err)
		}
	}
	testkit.Eventually(t, 5*time.Second, "every recording to close", func() bool {
		n := 0
		for _, e := range srv.Events() {
			if e.Kind == rtmptest.KindClose {
				n++
			}
		}
		return n == len(freqs)
	})
	for _, f := range freqs {
		path := filepath.Join(dir, fmt.Sprintf("tone%.0f.flv", f))
		pcm := testkit.Floats(testkit.AudioPCM(t, path, 44100))
		if len(pcm) < 44100 {
			t.Fatalf("%s: %d samples decoded", path, len(pcm))
		}
		got := testkit.DominantFrequency(pcm[len(pcm)/4:len(pcm)/4+22050], 44100, 300, 900, 1)
		if got < f-2 || got > f+2 {
			t.Errorf("the %.0f Hz stream decodes at %.0f Hz", f, got)
		}
	}
}
