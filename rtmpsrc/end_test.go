package rtmpsrc

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/encode"
	"github.com/golivecast/golivecast/internal/testkit"
)

// flvSpan reads an FLV file and returns, per track, the number of media
// tags (sequence headers left out) and the end of the last one: its
// timestamp plus one frame of that track.
func flvSpan(t *testing.T, b []byte, fps, rate int) (videoTags int, videoEnd time.Duration, audioTags int, audioEnd time.Duration) {
	t.Helper()
	for _, tg := range testkit.ReadFLV(t, b) {
		switch {
		case !tg.Media():
		case tg.Video != nil:
			videoTags++
			videoEnd = tg.Time() + time.Second/time.Duration(fps)
		case tg.Audio != nil:
			audioTags++
			audioEnd = tg.Time() + time.Duration(encode.AACFrameSamples)*time.Second/time.Duration(rate)
		}
	}
	return
}

// runToBuffer runs a file-only publisher to the end and returns the FLV.
func runToBuffer(t *testing.T, cfg Config) []byte {
	t.Helper()
	var buf bytes.Buffer
	cfg.Output = &buf
	if cfg.VideoEncoder.Width == 0 {
		cfg.VideoEncoder = encode.H264Options{Width: 64, Height: 64, Preset: "ultrafast"}
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatalf("Run: %v (after %d bytes)", err, buf.Len())
	}
	return buf.Bytes()
}

// The audio's last frame ends, in stream time, up to two AAC frames
// after the picture: the last partial frame is padded, and the encoder
// delay is pushed out by the flush (1600 samples, shifted away by the
// alignment of the tracks).
const audioTail = 2 * 1024 * time.Second / 44100

// TestEndWithVideo: an unpaced stream of a 3 s picture and an endless
// tone ends with the picture, its audio cut there, instead of encoding
// the tone for ever.
func TestEndWithVideo(t *testing.T) {
	video, _ := testSources(64, 64, 90, 30, 44100, 2)
	tone := capture.Tone(clkStereo44k, 440, 0.3) // endless
	start := time.Now()
	b := runToBuffer(t, Config{Video: video, Audio: tone})
	vn, vEnd, an, aEnd := flvSpan(t, b, 30, 44100)
	t.Logf("in %v: %d video tags to %v, %d audio tags to %v", time.Since(start).Round(time.Millisecond), vn, vEnd, an, aEnd)
	if vn != 90 {
		t.Errorf("%d video frames, want 90", vn)
	}
	if aEnd < vEnd || aEnd > vEnd+audioTail {
		t.Errorf("audio ends at %v, want within [%v, %v]", aEnd, vEnd, vEnd+audioTail)
	}
}

// TestEndWithBoth: with EndWithBoth the stream goes on with audio alone
// after a 1 s picture, until its 2 s tone ends.
func TestEndWithBoth(t *testing.T) {
	video, _ := testSources(64, 64, 30, 30, 44100, 2)
	tone := capture.Tone(clkStereo44k, 440, 0.3)
	tone.Duration = 2 * time.Second
	b := runToBuffer(t, Config{Video: video, Audio: tone, End: EndWithBoth})
	vn, vEnd, _, aEnd := flvSpan(t, b, 30, 44100)
	if vn != 30 {
		t.Errorf("%d video frames, want 30", vn)
	}
	// Video is shifted by the AAC delay; the tone's 2 s end there too.
	want := 2*time.Second + 1600*time.Second/44100
	if aEnd < want || aEnd > want+audioTail || vEnd > 1100*time.Millisecond {
		t.Errorf("video ends at %v, audio at %v; want about 1.04 s and within [%v, %v]", vEnd, aEnd, want, want+audioTail)
	}
}

// TestEndAudioFirst: a tone shorter than the picture ends its track; the
// stream goes on with video alone until the picture ends.
func TestEndAudioFirst(t *testing.T) {
	video, _ := testSources(64, 64, 60, 30, 44100, 2)
	tone := capture.Tone(clkStereo44k, 440, 0.3)
	tone.Duration = time.Second
	b := runToBuffer(t, Config{Video: video, Audio: tone})
	vn, _, _, aEnd := flvSpan(t, b, 30, 44100)
	want := time.Second + 1600*time.Second/44100
	if vn != 60 || aEnd < want || aEnd > want+audioTail {
		t.Errorf("%d video frames and audio to %v; want 60 and audio within [%v, %v]", vn, aEnd, want, want+audioTail)
	}
}

// TestEndAudioStalls: when the picture ends and the audio source has
// gone quiet without ending, the audio is filled with silence up to the
// picture's end after a grace period, and the stream ends.
func TestEndAudioStalls(t *testing.T) {
	video, _ := testSources(64, 64, 30, 30, 44100, 2)
	tone := capture.Tone(clkStereo44k, 440, 0.3)
	var given time.Duration // read by the publisher's one reader goroutine
	audio := capture.AudioSourceFunc(clkStereo44k, func(ctx context.Context) (capture.AudioChunk, error) {
		if given >= 500*time.Millisecond {
			<-ctx.Done() // quiet until the publisher stops asking
			return capture.AudioChunk{}, ctx.Err()
		}
		c, err := tone.ReadAudio(ctx)
		given += clkStereo44k.Duration(len(c.Data))
		return c, err
	})
	start := time.Now()
	b := runToBuffer(t, Config{Video: video, Audio: audio})
	el := time.Since(start)
	vn, vEnd, _, aEnd := flvSpan(t, b, 30, 44100)
	t.Logf("in %v: video to %v, audio to %v", el.Round(time.Millisecond), vEnd, aEnd)
	if vn != 30 || aEnd < vEnd || aEnd > vEnd+audioTail {
		t.Errorf("%d video frames to %v, audio to %v; want 30 and audio within one frame of the picture", vn, vEnd, aEnd)
	}
	if el > endGrace+5*time.Second {
		t.Errorf("Run took %v", el)
	}
}
