package encode

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func encodeAAC(t testing.TB, a *AAC, pcm []byte, chunk int) (frames [][]byte, pts []time.Duration) {
	t.Helper()
	keep := func(pk []Packet) {
		for _, p := range pk {
			frames = append(frames, append([]byte(nil), p.Data...))
			pts = append(pts, p.PTS)
		}
	}
	for off := 0; off < len(pcm); off += chunk {
		pk, err := a.Encode(pcm[off:min(off+chunk, len(pcm))])
		if err != nil {
			t.Fatal(err)
		}
		keep(pk)
	}
	pk, err := a.Flush()
	if err != nil {
		t.Fatal(err)
	}
	keep(pk)
	return frames, pts
}

// TestAACToneAndDelay encodes silence then a 440 Hz tone, decodes it with
// ffmpeg, and checks the frequency and that the tone starts exactly
// PrimingSamples late, as the encoder reports.
func TestAACToneAndDelay(t *testing.T) {
	for _, c := range []struct{ rate, channels int }{{44100, 2}, {48000, 1}, {48000, 2}} {
		a, err := NewAAC(AACOptions{SampleRate: c.rate, Channels: c.channels})
		if err != nil {
			t.Fatal(err)
		}
		const lead = 5000
		n := c.rate + 333 // not a whole number of frames: Flush pads
		pcm := tone(c.rate, c.channels, n, lead, 440)
		// Odd chunk sizes: framing is the encoder's job.
		frames, pts := encodeAAC(t, a, pcm, 2*c.channels*777)
		a.Close()

		// Every input frame, plus two of silence that carry the last input
		// samples out of the codec's 1600-sample delay.
		wantFrames := (n+AACFrameSamples-1)/AACFrameSamples + 2
		if len(frames) != wantFrames {
			t.Fatalf("%d Hz: %d frames for %d samples, want %d", c.rate, len(frames), n, wantFrames)
		}
		for i, p := range pts {
			if want := time.Duration(int64(i) * AACFrameSamples * int64(time.Second) / int64(c.rate)); p != want {
				t.Fatalf("frame %d PTS %v, want %v", i, p, want)
			}
		}
		dec := decodeMono(t, writeADTS(t, c.rate, c.channels, frames), c.rate)
		onset := -1
		for i, v := range dec {
			if v > 2000 || v < -2000 {
				onset = i
				break
			}
		}
		// 12000·sin crosses 2000 two samples into the tone at these rates.
		measured := onset - lead - 2
		if measured < a.PrimingSamples()-2 || measured > a.PrimingSamples()+2 {
			t.Errorf("%d Hz %d ch: tone starts %d samples late, encoder reports %d", c.rate, c.channels, measured, a.PrimingSamples())
		}
		body := dec[onset+c.rate/10 : onset+c.rate/10+c.rate/2]
		p440 := goertzel(body, c.rate, 440)
		for _, f := range []float64{400, 430, 450, 480, 880} {
			if p := goertzel(body, c.rate, f); p*20 > p440 {
				t.Errorf("%d Hz: power at %g Hz is %.3g of 440 Hz", c.rate, f, p/p440)
			}
		}
	}
}

func TestAACOneAtATime(t *testing.T) {
	a, err := NewAAC(AACOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := NewAAC(AACOptions{}); !errors.Is(err, ErrAACBusy) {
		if b != nil {
			b.Close()
		}
		t.Fatalf("second encoder: %v, want ErrAACBusy", err)
	}
	// The first is undisturbed.
	if _, err := a.Encode(make([]byte, 4*2048)); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b, err := NewAAC(AACOptions{SampleRate: 48000, Channels: 1})
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	b.Close()
	a.Close() // must not release b's handle
}

func TestAACBadInput(t *testing.T) {
	for _, c := range []struct {
		name string
		opts AACOptions
		want string
	}{
		{"rate", AACOptions{SampleRate: 44000}, "44000 Hz"},
		{"channels", AACOptions{Channels: 6}, "6 channels"},
		{"bitrate", AACOptions{Bitrate: 10}, "bitrate 10"},
	} {
		a, err := NewAAC(c.opts)
		if err == nil {
			a.Close()
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	a, err := NewAAC(AACOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Encode(make([]byte, 7)); !errors.Is(err, ErrPCMLength) || !strings.Contains(err.Error(), "7 bytes") {
		t.Errorf("odd PCM: %v", err)
	}
}
