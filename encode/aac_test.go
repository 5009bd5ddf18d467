package encode

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"sync"
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
			if want := time.Duration((int64(i)*AACFrameSamples*int64(time.Second) + int64(c.rate) - 1) / int64(c.rate)); p != want { // rounded up
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

// TestAACConcurrent runs four encoders at once, each on its own tone:
// every one decodes (with ffmpeg) to the frequency it was given, and its
// bytes are those the same encoder makes alone, so the encoders share no
// state.
func TestAACConcurrent(t *testing.T) {
	freqs := []float64{440, 550, 660, 770}
	const rate, channels, n = 44100, 2, 44100 * 2
	encodeAll := func(freq float64) ([][]byte, error) {
		a, err := NewAAC(AACOptions{SampleRate: rate, Channels: channels})
		if err != nil {
			return nil, err
		}
		defer a.Close()
		var frames [][]byte
		pcm := tone(rate, channels, n, 0, freq)
		for off := 0; off <= len(pcm); off += 4096 {
			var pk []Packet
			if off < len(pcm) {
				pk, err = a.Encode(pcm[off:min(off+4096, len(pcm))])
			} else {
				pk, err = a.Flush()
			}
			if err != nil {
				return nil, err
			}
			for _, p := range pk {
				frames = append(frames, append([]byte(nil), p.Data...))
			}
		}
		return frames, nil
	}
	alone := make([][][]byte, len(freqs))
	for i, f := range freqs {
		var err error
		if alone[i], err = encodeAll(f); err != nil {
			t.Fatal(err)
		}
	}
	together := make([][][]byte, len(freqs))
	errs := make([]error, len(freqs))
	var wg sync.WaitGroup
	for i, f := range freqs {
		wg.Go(func() { together[i], errs[i] = encodeAll(f) })
	}
	wg.Wait()
	for i, f := range freqs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !slices.EqualFunc(alone[i], together[i], bytes.Equal) {
			t.Errorf("%g Hz: the encoder run beside three others made other bytes than alone", f)
		}
		dec := decodeMono(t, writeADTS(t, rate, channels, together[i]), rate)
		body := dec[rate/2 : rate/2+rate]
		want := goertzel(body, rate, f)
		for _, g := range freqs {
			if g != f && goertzel(body, rate, g)*20 > want {
				t.Errorf("the %g Hz stream holds %g Hz", f, g)
			}
		}
	}

	// Closing one leaves another working; Close twice is harmless.
	a, err := NewAAC(AACOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewAAC(AACOptions{SampleRate: 48000, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	a.Close()
	if _, err := b.Encode(make([]byte, 2*4096)); err != nil {
		t.Fatalf("after closing another encoder: %v", err)
	}
	if _, err := a.Encode(make([]byte, 4)); !errors.Is(err, ErrClosed) {
		t.Errorf("Encode after Close: %v", err)
	}
	b.Close()
}

func TestAACBadInput(t *testing.T) {
	// NewAAC refuses what Validate refuses, with the same error.
	for _, c := range invalidAAC {
		a, err := NewAAC(c.opts)
		if err == nil {
			a.Close()
		}
		if want := c.opts.Validate(); err == nil || err.Error() != want.Error() {
			t.Errorf("%s: NewAAC: %v, Validate: %v", c.name, err, want)
		}
	}
	a, err := NewAAC(AACOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Encode(make([]byte, 7)); !errors.Is(err, ErrPartialFrame) || !strings.Contains(err.Error(), "7 bytes") {
		t.Errorf("odd PCM: %v", err)
	}
}
