package capture

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"testing"
	"time"

	"github.com/golivecast/golivecast/internal/mediatime"
	"github.com/golivecast/golivecast/internal/testkit"
)

// readAll reads src until io.EOF or until it has at least frames sample
// frames, and returns the PCM and the chunks' PTS and sizes.
func readAll(t *testing.T, src AudioSource, frames int) (pcm []byte, pts []time.Duration, sizes []int) {
	t.Helper()
	ctx := testContext(t)
	bpf := src.Format().BytesPerFrame()
	for len(pcm) < frames*bpf {
		c, err := src.ReadAudio(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pcm = append(pcm, c.Data...) // Data is valid until the next call
		pts = append(pts, c.PTS)
		sizes = append(sizes, len(c.Data)/bpf)
	}
	return pcm, pts, sizes
}

func TestToneFrequency(t *testing.T) {
	tests := []struct {
		format    AudioFormat
		freq, amp float64
	}{
		{AudioFormat{SampleRate: 48000, Channels: 2}, 440, 0.5},
		{AudioFormat{SampleRate: 44100, Channels: 1}, 1000, 1},
		{AudioFormat{SampleRate: 8000, Channels: 2}, 261.63, 0.1},
	}
	for _, tt := range tests {
		src := Tone(tt.format, tt.freq, tt.amp)
		pcm, _, _ := readAll(t, src, tt.format.SampleRate) // one second
		for c := range tt.format.Channels {
			x := testkit.Channel(pcm, tt.format.Channels, c)
			if f := testkit.DominantFrequency(x, tt.format.SampleRate, tt.freq-50, tt.freq+50, 0.25); math.Abs(f-tt.freq) > 0.5 {
				t.Errorf("%+v %v Hz channel %d: Goertzel peak at %v Hz", tt.format, tt.freq, c, f)
			}
			if f := testkit.ZeroCrossingFrequency(x, tt.format.SampleRate); math.Abs(f-tt.freq) > 0.1 {
				t.Errorf("%+v %v Hz channel %d: zero crossings give %v Hz", tt.format, tt.freq, c, f)
			}
			want := tt.amp * math.MaxInt16 / math.Sqrt2
			if r := testkit.RMS(x); math.Abs(r-want) > want/100+1 {
				t.Errorf("%+v %v Hz channel %d: RMS %v, want %v", tt.format, tt.freq, c, r, want)
			}
		}
		if tt.format.Channels == 2 && !bytes.Equal(
			i16bytes(testkit.Channel(pcm, 2, 0)), i16bytes(testkit.Channel(pcm, 2, 1))) {
			t.Errorf("%+v: channels differ", tt.format)
		}
	}
}

func i16bytes(x []float64) []byte {
	b := make([]byte, 0, 2*len(x))
	for _, v := range x {
		b = append(b, byte(int16(v)), byte(uint16(int16(v))>>8))
	}
	return b
}

// TestTonePhaseContinuity checks that chunking does not disturb the wave:
// any chunk size gives the same samples, and no step between neighbours
// exceeds the sine's steepest slope.
func TestTonePhaseContinuity(t *testing.T) {
	f := AudioFormat{SampleRate: 48000, Channels: 1}
	const freq, amp = 440.0, 0.8
	ref := Tone(f, freq, amp)
	want, _, _ := readAll(t, ref, 48000)
	want = want[:48000*2]
	for _, chunk := range []int{1, 7, 480, 1023, 4096} {
		src := Tone(f, freq, amp)
		src.ChunkFrames = chunk
		got, _, sizes := readAll(t, src, 48000)
		got = got[:48000*2]
		if !bytes.Equal(got, want) {
			t.Errorf("chunk %d: samples differ from chunk %d", chunk, DefaultChunkFrames)
		}
		if sizes[0] != chunk {
			t.Errorf("chunk %d: first chunk has %d frames", chunk, sizes[0])
		}
	}
	x := testkit.Channel(want, 1, 0)
	maxStep := 2*math.Pi*freq/48000*amp*math.MaxInt16 + 1
	for i := 1; i < len(x); i++ {
		if d := math.Abs(x[i] - x[i-1]); d > maxStep {
			t.Fatalf("jump of %v between samples %d and %d, sine allows %v", d, i-1, i, maxStep)
		}
	}
}

func TestToneDuration(t *testing.T) {
	tests := []struct {
		name       string
		src        *ToneSource
		duration   time.Duration
		chunk      int
		wantFrames int
		wantLast   int
	}{
		{"1s at 48k", Tone(stereo48k, 440, 0.5), time.Second, 0, 48000, 48000 % 1024},
		{"rounds down to a frame", Tone(AudioFormat{SampleRate: 44100, Channels: 1}, 440, 0.5), 10500 * time.Microsecond, 100, 463, 63},
		{"exact chunks", Silence(stereo48k), 40 * time.Millisecond, 480, 1920, 480},
		{"shorter than a chunk", Silence(stereo48k), time.Millisecond, 0, 48, 48},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Duration, tt.src.ChunkFrames = tt.duration, tt.chunk
			pcm, pts, sizes := readAll(t, tt.src, math.MaxInt32)
			bpf := tt.src.Format().BytesPerFrame()
			if got := len(pcm) / bpf; got != tt.wantFrames {
				t.Errorf("%d sample frames, want %d", got, tt.wantFrames)
			}
			if last := sizes[len(sizes)-1]; last != tt.wantLast {
				t.Errorf("last chunk %d frames, want %d", last, tt.wantLast)
			}
			var frames int
			for i, p := range pts {
				if want := mediatime.Duration(int64(frames), 1, int64(tt.src.Format().SampleRate)); p != want {
					t.Errorf("chunk %d PTS %v, want %v", i, p, want)
				}
				frames += sizes[i]
			}
			if _, err := tt.src.ReadAudio(context.Background()); err != io.EOF {
				t.Errorf("ReadAudio after the end = %v, want io.EOF", err)
			}
		})
	}
}

func TestSilence(t *testing.T) {
	src := Silence(AudioFormat{SampleRate: 16000, Channels: 1})
	pcm, _, sizes := readAll(t, src, 16000)
	if !bytes.Equal(pcm, make([]byte, len(pcm))) {
		t.Error("Silence produced non-zero samples")
	}
	if sizes[0] != DefaultChunkFrames {
		t.Errorf("chunk of %d frames, want %d", sizes[0], DefaultChunkFrames)
	}
	if src.Format() != (AudioFormat{SampleRate: 16000, Channels: 1}) {
		t.Errorf("Format() = %+v", src.Format())
	}
}

func TestToneInvalid(t *testing.T) {
	tests := []struct {
		name string
		src  *ToneSource
	}{
		{"zero format", Tone(AudioFormat{}, 440, 0.5)},
		{"zero frequency", Tone(stereo48k, 0, 0.5)},
		{"negative frequency", Tone(stereo48k, -440, 0.5)},
		{"at Nyquist", Tone(stereo48k, 24000, 0.5)},
		{"NaN frequency", Tone(stereo48k, math.NaN(), 0.5)},
		{"amplitude above 1", Tone(stereo48k, 440, 1.5)},
		{"negative amplitude", Tone(stereo48k, 440, -0.1)},
		{"NaN amplitude", Tone(stereo48k, 440, math.NaN())},
		{"negative chunk", func() *ToneSource { s := Silence(stereo48k); s.ChunkFrames = -1; return s }()},
		{"silence, bad format", Silence(AudioFormat{SampleRate: 48000, Channels: 6})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.src.ReadAudio(context.Background())
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("ReadAudio = %v, want ErrConfig", err)
			}
		})
	}
}

func TestToneContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Tone(stereo48k, 440, 0.5).ReadAudio(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadAudio with a cancelled context = %v, want Canceled", err)
	}
}

// TestToneExact compares the tone with each sample computed on its own
// from its index (sin of the phase reduced modulo the sample rate), at the
// start and ten hours in: the rotation between exact blocks may round a
// sample one step the other way, and no further.
func TestToneExact(t *testing.T) {
	const rate, freq, amp = 48000, 997.0, 0.8
	src := Tone(AudioFormat{SampleRate: rate, Channels: 1}, freq, amp)
	for _, from := range []int64{0, 10 * 3600 * rate} {
		buf := make([]byte, 2*rate)
		src.sine(buf, from, rate)
		differ := 0
		for i := range rate {
			n := from + int64(i)
			cycles := math.Mod(freq*float64(n), rate) / rate
			want := int16(math.Round(amp * math.MaxInt16 * math.Sin(2*math.Pi*cycles)))
			got := int16(binary.LittleEndian.Uint16(buf[2*i:]))
			if d := int(got) - int(want); d != 0 {
				differ++
				if d < -1 || d > 1 {
					t.Fatalf("sample %d: %d, exact %d", n, got, want)
				}
			}
		}
		t.Logf("from sample %d: %d of %d samples one step off the exact value", from, differ, rate)
		if differ > rate/1000 {
			t.Errorf("from sample %d: %d samples off the exact value", from, differ)
		}
	}
}
