package microphone

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gen2brain/malgo"
	"github.com/golivecast/golivecast/capture"
	"github.com/golivecast/golivecast/internal/mediatime"
)

// defaultFormat is the format a Microphone delivers when
// Options.Format is left zero: 48 kHz stereo, the rate video
// platforms recommend and AAC encodes natively.
var defaultFormat = capture.AudioFormat{SampleRate: 48000, Channels: 2}

// DefaultQueue is the capture buffer of a Microphone when
// Options.MaxQueued is zero.
const DefaultQueue = time.Second

// DefaultStallTimeout is Options.StallTimeout when
// left zero: far above any capture period, short enough that a dead
// device ends the stream before a viewer gives up.
const DefaultStallTimeout = 5 * time.Second

// Options configures Open. The zero value opens the
// default capture device of the first audio system that starts.
type Options struct {
	// Device selects the capture device by ID or name, as List
	// reports them. It defaults to "": the backend's default device.
	Device string

	// Format is the PCM delivered by ReadAudio; the audio system converts
	// from the device's own rate and channel count. A zero SampleRate
	// defaults to 48000 Hz, the rate video platforms recommend; zero
	// Channels defaults to 2.
	Format capture.AudioFormat

	// Backend selects the audio system. It defaults to BackendAuto.
	Backend Backend

	// MaxQueued bounds the audio captured but not yet read. Audio that
	// arrives while it is full is dropped and counted in Stats, because
	// the capture thread must never wait for the reader. It defaults to
	// DefaultQueue.
	MaxQueued time.Duration

	// StallTimeout ends a waiting ReadAudio with an error wrapping
	// ErrDeviceStopped when the device delivers nothing for this long.
	// A live device delivers audio, silence included, in real time, but
	// some failures are never reported: a killed PulseAudio server leaves
	// the capture waiting forever. It defaults to
	// DefaultStallTimeout; a negative value waits forever.
	StallTimeout time.Duration

	// Logger receives open, drop and audio-system messages. It defaults
	// to nil: no logging.
	Logger *slog.Logger
}

// Stats counts sample frames through a Microphone.
type Stats struct {
	// Captured is the number of sample frames the device delivered.
	Captured int64
	// Read is the number of sample frames returned by ReadAudio.
	Read int64
	// Dropped is the number of sample frames lost because the queue was
	// full: the reader fell behind by more than MaxQueued.
	Dropped int64
	// Queued is the captured audio waiting to be read.
	Queued time.Duration
}

// Microphone is an AudioSource that captures from an audio input device
// (or a monitor of an output, on PulseAudio) through miniaudio.
//
// Audio is captured on the audio system's thread into a bounded ring
// from the moment Open returns; ReadAudio takes it out. ReadAudio
// is meant for one reader, the publisher.
type Microphone struct {
	format  capture.AudioFormat
	device  DeviceInfo
	log     *slog.Logger
	stall   time.Duration
	ac      *audioContext
	dev     *malgo.Device
	ring    *pcmRing
	wake    chan struct{} // capacity 1: the capture thread wakes the reader
	done    chan struct{} // closed by Close once the device is released
	stopped chan struct{} // closed when the device stops on its own

	closing  atomic.Bool // set by Close before it stops the device
	captured atomic.Int64
	// lastWrite is when the capture thread last wrote to the ring, with
	// the sample frames the ring had taken by then: the reader dates its
	// chunks from it.
	lastWrite atomic.Pointer[ringMark]
	dropped   atomic.Int64
	read      atomic.Int64 // sample frames returned by ReadAudio
	stopOnce  sync.Once

	readMu      sync.Mutex  // serializes readers; never taken by Close or Stats
	out         []byte      // Data of the last chunk, reused
	lastDropped int64       // drops already logged
	stallTimer  *time.Timer // reused by every wait

	closeOnce sync.Once
	closeErr  error
}

// Open opens a capture device and starts capturing. The error
// names the device and backend and wraps ErrNoBackend when no audio
// system starts, or ErrNoDevice when the device is missing or fails to
// open (with the list of devices that exist).
//
// Without a sound card, ALSA fails to open its default device and
// libasound prints its complaint on standard error, which this package
// cannot silence.
func Open(opts Options) (*Microphone, error) {
	format := opts.Format
	if format.SampleRate == 0 {
		format.SampleRate = defaultFormat.SampleRate
	}
	if format.Channels == 0 {
		format.Channels = defaultFormat.Channels
	}
	if err := format.Validate(); err != nil {
		return nil, fmt.Errorf("microphone: %w", err)
	}
	maxQueued := opts.MaxQueued
	if maxQueued < 0 {
		return nil, fmt.Errorf("microphone: %w: negative queue limit %v", capture.ErrConfig, maxQueued)
	}
	if maxQueued == 0 {
		maxQueued = DefaultQueue
	}
	stall := opts.StallTimeout
	if stall == 0 {
		stall = DefaultStallTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	ac, err := openAudioContext(opts.Backend, opts.Logger)
	if err != nil {
		return nil, err
	}
	m := newMicrophone(format, maxQueued, stall, log)
	err = m.openDevice(ac, opts.Device)
	if err != nil {
		ac.close()
		return nil, err
	}
	log.Info("microphone: open", "device", m.device.Name, "id", m.device.ID,
		"backend", ac.backend, "rate", format.SampleRate, "channels", format.Channels)
	return m, nil
}

// newMicrophone returns a Microphone with its queue and no device yet.
func newMicrophone(format capture.AudioFormat, maxQueued, stall time.Duration, log *slog.Logger) *Microphone {
	frames := max(int(mediatime.Ticks(maxQueued, 1, int64(format.SampleRate))), 1)
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Microphone{
		format:  format,
		log:     log,
		stall:   stall,
		ring:    newPCMRing(frames, format.BytesPerFrame()),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
		// A chunk of at most 100 ms keeps latency low after a stall
		// without many tiny reads.
		out:        make([]byte, max(format.SampleRate/10, 1)*format.BytesPerFrame()),
		stallTimer: t,
	}
}

// openDevice opens and starts the device named want on ac.
func (m *Microphone) openDevice(ac *audioContext, want string) error {
	format := m.format
	infos, ids, err := ac.devices()
	if err != nil && want != "" {
		return err
	}
	// The default device needs no list: a backend that fails to
	// enumerate may still open it.
	cfg := malgo.DefaultDeviceConfig(malgo.Capture)
	cfg.Capture.Format = malgo.FormatS16
	cfg.Capture.Channels = uint32(format.Channels)
	cfg.SampleRate = uint32(format.SampleRate)

	device := DeviceInfo{Name: "default capture device", Backend: ac.backend}
	var pin runtime.Pinner
	defer pin.Unpin() // miniaudio copies the ID during InitDevice
	if want != "" {
		i, err := findDevice(infos, want)
		if err != nil {
			return fmt.Errorf("%w; backend %s", err, ac.describe())
		}
		device = infos[i]
		id := &ids[i]
		pin.Pin(id)
		cfg.Capture.DeviceID = unsafe.Pointer(id)
	} else {
		for _, d := range infos {
			if d.IsDefault {
				device = d
			}
		}
	}

	m.device, m.ac = device, ac
	dev, err := malgo.InitDevice(ac.ctx.Context, cfg, malgo.DeviceCallbacks{Data: m.onData, Stop: m.onStop})
	if err != nil {
		return fmt.Errorf("%w: open %v on %s: %w; capture devices: %s",
			ErrNoDevice, device, ac.describe(), err, listDevices(infos))
	}
	if err := dev.Start(); err != nil {
		dev.Uninit()
		return fmt.Errorf("%w: start %v on %s: %w", ErrNoDevice, device, ac.describe(), err)
	}
	m.dev = dev
	return nil
}

// onData runs on the audio system's thread, with in pointing to C memory
// valid only during the call: it is copied into the ring and nothing here
// waits.
func (m *Microphone) onData(_, in []byte, frames uint32) {
	n := m.ring.write(in)
	m.captured.Add(int64(frames))
	prev := m.lastWrite.Load()
	written := int64(n / m.format.BytesPerFrame())
	if prev != nil {
		written += prev.frames
	}
	m.lastWrite.Store(&ringMark{at: time.Now(), frames: written})
	if lost := (len(in) - n) / m.format.BytesPerFrame(); lost > 0 {
		m.dropped.Add(int64(lost))
	}
	select {
	case m.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// ringMark dates the ring: frames had been written to it at time at.
type ringMark struct {
	at     time.Time
	frames int64
}

// capturedAt estimates when ring frame index i was captured: the device
// delivers at its own rate, so i is that many frames before the last
// write's end.
func (m *Microphone) capturedAt(i int64) time.Time {
	mark := m.lastWrite.Load()
	if mark == nil {
		return time.Time{}
	}
	return mark.at.Add(-mediatime.Duration(mark.frames-i, 1, int64(m.format.SampleRate)))
}

// onStop runs when the device stops, on its own or by Close.
func (m *Microphone) onStop() {
	if m.closing.Load() {
		return // an orderly end: ReadAudio reports io.EOF
	}
	m.stopOnce.Do(func() { close(m.stopped) })
}

// Format returns the format ReadAudio delivers.
func (m *Microphone) Format() capture.AudioFormat { return m.format }

// Device returns the device that was opened.
func (m *Microphone) Device() DeviceInfo { return m.device }

// ReadAudio returns the audio captured since the last call (at most
// 100 ms of it), waiting for some if none is queued. Data stays valid
// until the next ReadAudio call. PTS counts the sample frames returned
// before this chunk; dropped audio leaves no gap in it, see Stats.
//
// After Close it returns what was captured, then io.EOF. If the device
// stops on its own (unplugged, audio server gone) it returns what was
// captured, then an error wrapping ErrDeviceStopped; so it does when
// nothing arrives for StallTimeout. The context bounds the wait only.
func (m *Microphone) ReadAudio(ctx context.Context) (capture.AudioChunk, error) {
	m.readMu.Lock()
	defer m.readMu.Unlock()
	for {
		// Check the end before reading: once it is seen, the capture
		// thread has stopped, so an empty ring stays empty. Close wins
		// over a device stop, which Close itself can cause.
		var end error
		select {
		case <-m.done:
			end = io.EOF
		default:
			select {
			case <-m.stopped:
				end = fmt.Errorf("%w: %v on %v", ErrDeviceStopped, m.device, m.device.Backend)
			default:
			}
		}
		if n := m.ring.read(m.out); n > 0 {
			m.logDrops()
			frames := int64(n / m.format.BytesPerFrame())
			first := m.read.Add(frames) - frames
			pts := mediatime.Duration(first, 1, int64(m.format.SampleRate))
			return capture.AudioChunk{Data: m.out[:n], PTS: pts, Captured: m.capturedAt(first)}, nil
		}
		if end != nil {
			return capture.AudioChunk{}, end
		}
		var stalled <-chan time.Time
		if m.stall > 0 {
			m.stallTimer.Reset(m.stall)
			stalled = m.stallTimer.C
		}
		select {
		case <-m.wake:
		case <-m.done:
		case <-m.stopped:
		case <-stalled:
			return capture.AudioChunk{}, fmt.Errorf("%w: %v on %v delivered no audio for %v",
				ErrDeviceStopped, m.device, m.device.Backend, m.stall)
		case <-ctx.Done():
			return capture.AudioChunk{}, ctx.Err()
		}
	}
}

// logDrops reports drops from the reader's goroutine, since logging from
// the capture thread could block it.
func (m *Microphone) logDrops() {
	if d := m.dropped.Load(); d > m.lastDropped {
		m.log.Warn("microphone: queue full, audio dropped",
			"device", m.device.Name, "frames", d-m.lastDropped, "total", d)
		m.lastDropped = d
	}
}

// Stats returns a snapshot of the counters.
func (m *Microphone) Stats() Stats {
	return Stats{
		Captured: m.captured.Load(),
		Read:     m.read.Load(),
		Dropped:  m.dropped.Load(),
		Queued:   m.format.Duration(m.ring.len()),
	}
}

// Close stops capturing and releases the device and the audio context;
// ReadAudio then returns the audio still queued, then io.EOF. Close is
// idempotent and safe from any goroutine; it returns the error of the
// first call.
func (m *Microphone) Close() error {
	m.closeOnce.Do(func() {
		// Stop wakes the capture thread out of the backend's wait before
		// Uninit joins it: miniaudio's Uninit alone only sets a flag, and
		// a thread blocked on a dead audio server (PulseAudio killed)
		// would never see it. Its error changes nothing: Uninit follows.
		m.closing.Store(true)
		m.dev.Stop()
		// Uninit waits for the capture thread, so no callback runs after
		// it and the ring is the consumer's alone.
		m.dev.Uninit()
		m.closeErr = m.ac.close()
		close(m.done)
	})
	return m.closeErr
}
