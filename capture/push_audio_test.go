package capture

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golivecast/golivecast/internal/testkit"

	"github.com/golivecast/golivecast/internal/mediatime"
)

var stereo48k = AudioFormat{SampleRate: 48000, Channels: 2}

// pcmFrames returns n stereo or mono sample frames whose every byte is v.
func pcmFrames(f AudioFormat, n int, v byte) []byte {
	return bytes.Repeat([]byte{v}, n*f.BytesPerFrame())
}

func newAudioPush(t *testing.T, f AudioFormat, maxQueued time.Duration) *AudioPush {
	t.Helper()
	p, err := NewAudioPush(f, maxQueued)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestNewAudioPushInvalid(t *testing.T) {
	tests := []struct {
		name      string
		format    AudioFormat
		maxQueued time.Duration
	}{
		{"zero format", AudioFormat{}, 0},
		{"low rate", AudioFormat{SampleRate: 4000, Channels: 1}, 0},
		{"three channels", AudioFormat{SampleRate: 48000, Channels: 3}, 0},
		{"negative limit", stereo48k, -time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewAudioPush(tt.format, tt.maxQueued)
			if !errors.Is(err, ErrConfig) || p != nil {
				t.Fatalf("NewAudioPush = %v, %v; want nil, ErrConfig", p, err)
			}
			if !strings.HasPrefix(err.Error(), "capture: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestAudioPushBadLengths(t *testing.T) {
	mono := AudioFormat{SampleRate: 44100, Channels: 1}
	tests := []struct {
		name     string
		format   AudioFormat
		write    func(p *AudioPush) error
		wantText []string
	}{
		{"stereo 3 bytes", stereo48k, func(p *AudioPush) error { return p.WriteAudio(make([]byte, 3)) }, []string{"3 bytes", "4-byte frame"}},
		{"stereo 6 bytes", stereo48k, func(p *AudioPush) error { return p.WriteAudio(make([]byte, 6)) }, []string{"6 bytes", "4-byte frame"}},
		{"mono 1 byte", mono, func(p *AudioPush) error { return p.WriteAudio(make([]byte, 1)) }, []string{"1 bytes", "2-byte frame"}},
		{"stereo 3 samples", stereo48k, func(p *AudioPush) error { return p.WriteSamples(make([]int16, 3)) }, []string{"3 samples", "2 channels"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newAudioPush(t, tt.format, 0)
			err := tt.write(p)
			if !errors.Is(err, ErrPartialFrame) {
				t.Fatalf("write = %v, want ErrPartialFrame", err)
			}
			for _, s := range tt.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if s := p.Stats(); s.Written != 0 || s.Queued != 0 {
				t.Errorf("a refused write was queued: %+v", s)
			}
		})
	}
}

func TestAudioPushOverflow(t *testing.T) {
	tests := []struct {
		name      string
		maxQueued time.Duration
		limit     int // sample frames the limit holds at 48 kHz
		wantText  string
	}{
		{"100ms", 100 * time.Millisecond, 4800, "100ms limit"},
		{"default", 0, 96000, "2s limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			p := newAudioPush(t, stereo48k, tt.maxQueued)
			if err := p.WriteAudio(pcmFrames(stereo48k, tt.limit, 1)); err != nil {
				t.Fatalf("write up to the limit: %v", err)
			}
			err := p.WriteAudio(pcmFrames(stereo48k, 48, 2))
			if !errors.Is(err, ErrAudioOverflow) {
				t.Fatalf("write past the limit = %v, want ErrAudioOverflow", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) || !strings.Contains(err.Error(), "1ms") {
				t.Errorf("error %q should name the write (1ms) and the %s", err, tt.wantText)
			}
			s := p.Stats()
			if s.Overflows != 1 || s.Written != int64(tt.limit) {
				t.Errorf("Stats() = %+v, want 1 overflow and %d frames written", s, tt.limit)
			}
			// Nothing of the refused write is queued; the accepted one is intact.
			c, err := p.ReadAudio(ctx)
			if err != nil || !bytes.Equal(c.Data, pcmFrames(stereo48k, tt.limit, 1)) {
				t.Fatalf("ReadAudio = %d bytes, %v; want the %d accepted frames", len(c.Data), err, tt.limit)
			}
			// Room again once read.
			if err := p.WriteAudio(pcmFrames(stereo48k, 48, 2)); err != nil {
				t.Fatalf("write after draining: %v", err)
			}
		})
	}
}

func TestAudioPushOrderAndPTS(t *testing.T) {
	ctx := testContext(t)
	p := newAudioPush(t, stereo48k, 0)
	sizes := []int{480, 1024, 1, 0, 2000}
	for i, n := range sizes {
		if err := p.WriteAudio(pcmFrames(stereo48k, n, byte(i))); err != nil {
			t.Fatal(err)
		}
	}
	if q := p.Stats().Queued; q != stereo48k.Duration(3505*4) {
		t.Errorf("Queued = %v, want %v", q, stereo48k.Duration(3505*4))
	}
	p.Close()
	var frames int
	for i, n := range sizes {
		if n == 0 {
			continue // an empty write queues nothing
		}
		c, err := p.ReadAudio(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c.Data, pcmFrames(stereo48k, n, byte(i))) {
			t.Errorf("chunk %d: got %d bytes of %v, want write %d", i, len(c.Data), c.Data[:1], i)
		}
		if want := mediatime.Duration(int64(frames), 1, int64(48000)); c.PTS != want {
			t.Errorf("chunk %d: PTS %v, want %v", i, c.PTS, want)
		}
		frames += n
	}
	if _, err := p.ReadAudio(ctx); err != io.EOF {
		t.Fatalf("ReadAudio after draining a closed push = %v, want io.EOF", err)
	}
}

func TestAudioPushWriteCopies(t *testing.T) {
	ctx := testContext(t)
	p := newAudioPush(t, stereo48k, 0)
	buf := pcmFrames(stereo48k, 10, 7)
	if err := p.WriteAudio(buf); err != nil {
		t.Fatal(err)
	}
	clear(buf)
	c, err := p.ReadAudio(ctx)
	if err != nil || !bytes.Equal(c.Data, pcmFrames(stereo48k, 10, 7)) {
		t.Fatalf("queued data changed with the caller's buffer: %v %v", c.Data, err)
	}
}

func TestAudioPushWriteSamples(t *testing.T) {
	ctx := testContext(t)
	p := newAudioPush(t, stereo48k, 0)
	if err := p.WriteSamples([]int16{1, -2, 0x1234, -32768}); err != nil {
		t.Fatal(err)
	}
	c, err := p.ReadAudio(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x01, 0x00, 0xfe, 0xff, 0x34, 0x12, 0x00, 0x80}
	if !bytes.Equal(c.Data, want) {
		t.Fatalf("WriteSamples wrote % x, want little-endian % x", c.Data, want)
	}
}

func TestAudioPushClose(t *testing.T) {
	ctx := testContext(t)
	p := newAudioPush(t, stereo48k, 0)
	if err := p.WriteAudio(pcmFrames(stereo48k, 4, 1)); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for name, write := range map[string]func() error{
		"WriteAudio":       func() error { return p.WriteAudio(pcmFrames(stereo48k, 1, 1)) },
		"WriteAudio empty": func() error { return p.WriteAudio(nil) },
		"WriteSamples":     func() error { return p.WriteSamples([]int16{1, 2}) },
	} {
		if err := write(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	if c, err := p.ReadAudio(ctx); err != nil || len(c.Data) != 16 {
		t.Fatalf("ReadAudio after Close = %d bytes, %v; want the queued 16", len(c.Data), err)
	}
	for range 2 {
		if _, err := p.ReadAudio(ctx); err != io.EOF {
			t.Fatalf("ReadAudio when drained = %v, want io.EOF", err)
		}
	}
}

// TestAudioPushReadBlocks checks what wakes a reader that waits for
// audio; synctest.Wait makes sure it is waiting first.
func TestAudioPushReadBlocks(t *testing.T) {
	t.Run("write wakes reader", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newAudioPush(t, stereo48k, 0)
			got := make(chan error, 1)
			go func() {
				c, err := p.ReadAudio(t.Context())
				if err == nil && len(c.Data) != 40 {
					err = errors.New("wrong chunk")
				}
				got <- err
			}()
			synctest.Wait()
			select {
			case err := <-got:
				t.Fatalf("ReadAudio returned %v with nothing written", err)
			default:
			}
			if err := p.WriteAudio(pcmFrames(stereo48k, 10, 1)); err != nil {
				t.Fatal(err)
			}
			if err := <-got; err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("close wakes reader", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newAudioPush(t, stereo48k, 0)
			got := make(chan error, 1)
			go func() {
				_, err := p.ReadAudio(t.Context())
				got <- err
			}()
			synctest.Wait()
			p.Close()
			if err := <-got; err != io.EOF {
				t.Fatalf("ReadAudio blocked across Close = %v, want io.EOF", err)
			}
		})
	})
	t.Run("context ends wait only", func(t *testing.T) {
		p := newAudioPush(t, stereo48k, 0)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := p.ReadAudio(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("ReadAudio = %v, want Canceled", err)
		}
		if err := p.WriteAudio(pcmFrames(stereo48k, 1, 1)); err != nil {
			t.Fatal(err)
		}
		if _, err := p.ReadAudio(testContext(t)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestAudioPushConcurrent checks under -race that concurrent writers and
// a reader lose nothing: every writer's frames arrive, in that writer's
// order.
func TestAudioPushConcurrent(t *testing.T) {
	ctx := testContext(t)
	mono := AudioFormat{SampleRate: 48000, Channels: 1}
	p := newAudioPush(t, mono, 10*time.Second)
	const writers, perWriter = 4, 500
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				// Sample value: writer in the high byte, sequence in the low.
				s := int16(w<<12 | i)
				if err := p.WriteSamples([]int16{s, s}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		p.Close()
	}()
	next := make([]int, writers)
	for {
		c, err := p.ReadAudio(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		x := testkit.Channel(c.Data, 1, 0)
		for _, v := range x {
			w, i := int(v)>>12, int(v)&0xfff
			if i != next[w]/2 {
				t.Fatalf("writer %d: sample %d arrived, want %d", w, i, next[w]/2)
			}
			next[w]++
		}
	}
	for w, n := range next {
		if n != 2*perWriter {
			t.Errorf("writer %d: %d samples arrived, want %d", w, n, 2*perWriter)
		}
	}
}
