package microphone

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/internal/mediatime"
	"github.com/golivecast/golivecast/internal/testkit"
)

// These tests use miniaudio's null backend, a fake device that captures
// silence in real time, so they run anywhere. The PulseAudio test in
// microphone_pulse_test.go captures a real signal.

// nullDeviceName is what miniaudio calls its null capture device.
const nullDeviceName = "NULL Capture Device"

func openNull(t *testing.T, opts Options) *Microphone {
	t.Helper()
	opts.Backend = BackendNull
	m, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestMicrophoneNull(t *testing.T) {
	tests := []struct {
		name   string
		opts   Options
		format capture.AudioFormat
	}{
		{"defaults", Options{}, capture.AudioFormat{SampleRate: 48000, Channels: 2}},
		{"by name, 44.1k mono", Options{Device: nullDeviceName, Format: capture.AudioFormat{SampleRate: 44100, Channels: 1}}, capture.AudioFormat{SampleRate: 44100, Channels: 1}},
		{"rate only", Options{Format: capture.AudioFormat{SampleRate: 16000}}, capture.AudioFormat{SampleRate: 16000, Channels: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			m := openNull(t, tt.opts)
			if m.Format() != tt.format {
				t.Errorf("Format() = %+v, want %+v", m.Format(), tt.format)
			}
			if d := m.Device(); d.Name != nullDeviceName || d.Backend != BackendNull {
				t.Errorf("Device() = %+v, want the null device", d)
			}
			// Read 200 ms of audio.
			want := tt.format.SampleRate / 5
			var frames int64
			for frames < int64(want) {
				c, err := m.ReadAudio(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(c.Data)%tt.format.BytesPerFrame() != 0 || len(c.Data) == 0 {
					t.Fatalf("chunk of %d bytes", len(c.Data))
				}
				if wantPTS := mediatime.Duration(frames, 1, int64(tt.format.SampleRate)); c.PTS != wantPTS {
					t.Fatalf("PTS %v, want %v", c.PTS, wantPTS)
				}
				if !bytes.Equal(c.Data, make([]byte, len(c.Data))) {
					t.Fatal("the null device captured non-silence")
				}
				frames += int64(len(c.Data) / tt.format.BytesPerFrame())
			}
			s := m.Stats()
			if s.Read != frames || s.Captured < s.Read || s.Dropped != 0 {
				t.Errorf("Stats() = %+v after reading %d frames", s, frames)
			}
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			if err := m.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			// Drains what was captured, then ends.
			for {
				_, err := m.ReadAudio(ctx)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if _, err := m.ReadAudio(ctx); err != io.EOF {
				t.Fatalf("ReadAudio after draining = %v, want io.EOF", err)
			}
		})
	}
}

func TestMicrophoneCloseWakesReader(t *testing.T) {
	ctx := testContext(t)
	m := openNull(t, Options{})
	got := make(chan error, 1)
	var reads atomic.Int64
	go func() {
		for {
			if _, err := m.ReadAudio(ctx); err != nil {
				got <- err
				return
			}
			reads.Add(1)
		}
	}()
	// Three chunks read: the reader has waited for the device at least
	// twice, and is reading on when Close comes.
	testkit.Eventually(t, 10*time.Second, "the reader to read three chunks", func() bool { return reads.Load() >= 3 })
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != io.EOF {
		t.Fatalf("reader ended with %v, want io.EOF", err)
	}
}

func TestMicrophoneContext(t *testing.T) {
	m := openNull(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// The first reads may find audio already captured; an empty queue
	// must then give the context's error, never block.
	for range 1000 {
		_, err := m.ReadAudio(ctx)
		if errors.Is(err, context.Canceled) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("ReadAudio with a cancelled context kept returning audio")
}

// TestMicrophoneDrops leaves a tiny queue unread: the capture thread must
// drop and count, not block.
func TestMicrophoneDrops(t *testing.T) {
	ctx := testContext(t)
	m := openNull(t, Options{MaxQueued: 10 * time.Millisecond})
	testkit.Eventually(t, 10*time.Second, "dropped audio", func() bool { return m.Stats().Dropped > 0 })
	s := m.Stats()
	if s.Queued > 10*time.Millisecond {
		t.Errorf("Queued %v beyond the 10ms limit", s.Queued)
	}
	if _, err := m.ReadAudio(ctx); err != nil {
		t.Fatalf("ReadAudio after drops: %v", err)
	}
}

func TestOpenMicrophoneErrors(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		want     error
		wantText []string
	}{
		{"unknown device", Options{Backend: BackendNull, Device: "Studio Mic"},
			ErrNoDevice, []string{`"Studio Mic"`, nullDeviceName, "null"}},
		{"bad channels", Options{Backend: BackendNull, Format: capture.AudioFormat{SampleRate: 48000, Channels: 5}},
			capture.ErrConfig, []string{"5 channels"}},
		{"bad rate", Options{Backend: BackendNull, Format: capture.AudioFormat{SampleRate: 1000, Channels: 1}},
			capture.ErrConfig, []string{"1000 Hz"}},
		{"negative queue", Options{Backend: BackendNull, MaxQueued: -time.Second},
			capture.ErrConfig, []string{"-1s"}},
		{"unknown backend", Options{Backend: Backend(99)},
			ErrNoBackend, []string{"Backend(99)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Open(tt.opts)
			if err == nil {
				m.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open = %v, want %v", err, tt.want)
			}
			for _, s := range append(tt.wantText, "microphone: ") {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestBackendString(t *testing.T) {
	for b, want := range map[Backend]string{
		BackendAuto: "auto", BackendPulseAudio: "pulseaudio", BackendALSA: "alsa",
		BackendNull: "null", Backend(99): "Backend(99)",
	} {
		if got := b.String(); got != want {
			t.Errorf("Backend(%d).String() = %q, want %q", int(b), got, want)
		}
	}
	if got := backendInfo[BackendNull].malgo; got != 14 {
		t.Errorf("null backend maps to malgo.Backend(%d), want miniaudio's ma_backend_null (14)", got)
	}
}

func TestFindDevice(t *testing.T) {
	devs := []DeviceInfo{
		{Name: "Built-in", ID: "hw:0,0"},
		{Name: "USB", ID: "hw:1,0"},
		{Name: "USB", ID: "hw:2,0"},
		{Name: "hw:1,0", ID: "odd"},
	}
	tests := []struct {
		want    string
		index   int
		errText string
	}{
		{"hw:0,0", 0, ""},
		{"Built-in", 0, ""},
		{"hw:1,0", 1, ""}, // an ID wins over a name
		{"USB", -1, "several"},
		{"nope", -1, `"Built-in" (id "hw:0,0")`},
	}
	for _, tt := range tests {
		i, err := findDevice(devs, tt.want)
		if tt.errText != "" {
			if !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("findDevice(%q) = %d, %v; want ErrNoDevice mentioning %s", tt.want, i, err, tt.errText)
			}
			continue
		}
		if err != nil || i != tt.index {
			t.Errorf("findDevice(%q) = %d, %v; want %d", tt.want, i, err, tt.index)
		}
	}
}

// TestMicrophoneEnds drives the end-of-stream logic without a device:
// captured audio comes first, then the reason the stream ended.
func TestMicrophoneEnds(t *testing.T) {
	format := capture.AudioFormat{SampleRate: 8000, Channels: 1}
	tests := []struct {
		name     string
		stall    time.Duration
		end      func(m *Microphone)
		want     error
		wantText string
	}{
		{"device stopped", -1, func(m *Microphone) { m.onStop() }, ErrDeviceStopped, `"Test Mic"`},
		{"stall", 30 * time.Millisecond, func(*Microphone) {}, ErrDeviceStopped, "no audio for 30ms"},
		{"closed", -1, func(m *Microphone) { close(m.done) }, io.EOF, "EOF"},
		{"stop caused by Close", -1, func(m *Microphone) {
			m.closing.Store(true)
			m.onStop()
			close(m.done)
		}, io.EOF, "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			m := newMicrophone(format, time.Second, tt.stall, slog.New(slog.DiscardHandler))
			m.device = DeviceInfo{Name: "Test Mic", Backend: BackendNull}
			m.onData(nil, []byte{1, 0, 2, 0}, 2)
			tt.end(m)
			c, err := m.ReadAudio(ctx)
			if err != nil || !bytes.Equal(c.Data, []byte{1, 0, 2, 0}) {
				t.Fatalf("ReadAudio = % x, %v; want the captured audio first", c.Data, err)
			}
			_, err = m.ReadAudio(ctx)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("ReadAudio = %v, want %v mentioning %s", err, tt.want, tt.wantText)
			}
		})
	}
}
