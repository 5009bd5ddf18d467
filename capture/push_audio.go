package capture

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/golivecast/golivecast/internal/mediatime"
)

// DefaultMaxQueuedAudio is the queue limit of an AudioPush created with a
// zero maxQueued: long enough to absorb a stalled frame or a garbage
// collection in the producer, short enough that an overflow surfaces a
// producer that writes faster than real time within seconds.
const DefaultMaxQueuedAudio = 2 * time.Second

// maxFreeAudioBuffers bounds the PCM buffers an AudioPush keeps for reuse.
const maxFreeAudioBuffers = 8

// AudioPushStats counts audio through an AudioPush.
type AudioPushStats struct {
	// Written is the number of sample frames accepted by writes.
	Written int64
	// Read is the number of sample frames handed to the reader.
	Read int64
	// Overflows is the number of writes refused with ErrAudioOverflow.
	Overflows int64
	// Queued is the media time waiting to be read.
	Queued time.Duration
}

// AudioPush is an AudioSource fed by a program that owns its loop: the
// program writes PCM when it has it and the publisher reads it in order.
//
// Unlike video, audio is never dropped: a gap is audible and shifts every
// later sample. A write that would queue more than the limit is refused
// with ErrAudioOverflow, so the producer learns that it runs ahead of real
// time (or that the publisher stalled) and decides what to do.
//
// Writes are safe from any goroutine and keep their order. ReadAudio is
// meant for one reader, the publisher.
type AudioPush struct {
	format    AudioFormat
	maxQueued time.Duration
	maxFrames int64

	wake chan struct{} // capacity 1: a write wakes a waiting reader
	done chan struct{} // closed by Close

	mu     sync.Mutex
	queue  [][]byte
	queued int64  // sample frames in queue
	held   []byte // buffer returned by the last ReadAudio
	free   [][]byte
	closed bool
	stats  AudioPushStats
}

// NewAudioPush returns an open AudioPush for PCM in format. maxQueued
// limits how much audio may wait to be read; zero means
// DefaultMaxQueuedAudio. The error wraps ErrConfig for an unusable
// format or a negative limit.
func NewAudioPush(format AudioFormat, maxQueued time.Duration) (*AudioPush, error) {
	if err := format.Validate(); err != nil {
		return nil, err
	}
	if maxQueued < 0 {
		return nil, fmt.Errorf("%w: audio push: negative queue limit %v", ErrConfig, maxQueued)
	}
	if maxQueued == 0 {
		maxQueued = DefaultMaxQueuedAudio
	}
	return &AudioPush{
		format:    format,
		maxQueued: maxQueued,
		maxFrames: mediatime.Ticks(maxQueued, 1, int64(format.SampleRate)),
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
	}, nil
}

// Format returns the format given to NewAudioPush.
func (p *AudioPush) Format() AudioFormat { return p.format }

// WriteAudio queues a copy of pcm (signed 16-bit little-endian,
// interleaved), so the caller may reuse pcm at once. An empty pcm is a
// no-op.
//
// It returns an error wrapping ErrPartialFrame when len(pcm) is not a
// multiple of the sample frame size, ErrAudioOverflow when the queue would
// exceed its limit (nothing of pcm is queued then), and ErrClosed after
// Close.
func (p *AudioPush) WriteAudio(pcm []byte) error {
	bpf := p.format.BytesPerFrame()
	if len(pcm)%bpf != 0 {
		return fmt.Errorf("%w: audio push: %d bytes is not a multiple of the %d-byte frame (%d channels x 16 bits)",
			ErrPartialFrame, len(pcm), bpf, p.format.Channels)
	}
	return p.enqueue(len(pcm)/bpf, func(dst []byte) { copy(dst, pcm) })
}

// WriteSamples is WriteAudio for samples already held as int16,
// interleaved by channel; len(pcm) must be a multiple of the channel
// count.
func (p *AudioPush) WriteSamples(pcm []int16) error {
	ch := p.format.Channels
	if len(pcm)%ch != 0 {
		return fmt.Errorf("%w: audio push: %d samples is not a multiple of %d channels",
			ErrPartialFrame, len(pcm), ch)
	}
	return p.enqueue(len(pcm)/ch, func(dst []byte) {
		for i, s := range pcm {
			dst[2*i] = byte(s)
			dst[2*i+1] = byte(uint16(s) >> 8)
		}
	})
}

func (p *AudioPush) enqueue(frames int, fill func(dst []byte)) error {
	if frames == 0 {
		return p.checkOpen()
	}
	n := frames * p.format.BytesPerFrame()

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return p.errClosed()
	}
	if p.queued+int64(frames) > p.maxFrames {
		p.stats.Overflows++
		queued := mediatime.Duration(p.queued, 1, int64(p.format.SampleRate))
		p.mu.Unlock()
		return fmt.Errorf("%w: writing %v onto %v already queued would exceed the %v limit",
			ErrAudioOverflow, mediatime.Duration(int64(frames), 1, int64(p.format.SampleRate)), queued, p.maxQueued)
	}
	// The copy runs under the lock: a few kilobytes cost microseconds, and
	// it keeps the queue and its length in step for the reader.
	buf := p.takeBuffer(n)
	fill(buf)
	p.queue = append(p.queue, buf)
	p.queued += int64(frames)
	p.stats.Written += int64(frames)
	p.mu.Unlock()

	select {
	case p.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	return nil
}

// takeBuffer returns a buffer of n bytes, reusing a spare one when it is
// large enough. Called with p.mu held.
func (p *AudioPush) takeBuffer(n int) []byte {
	for i := len(p.free) - 1; i >= 0; i-- {
		if b := p.free[i]; cap(b) >= n {
			p.free[i] = p.free[len(p.free)-1]
			p.free = p.free[:len(p.free)-1]
			return b[:n]
		}
	}
	return make([]byte, n)
}

func (p *AudioPush) checkOpen() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return p.errClosed()
	}
	return nil
}

func (p *AudioPush) errClosed() error {
	return fmt.Errorf("%w: audio push: write after Close", ErrClosed)
}

// ReadAudio returns the oldest queued write as one chunk, waiting for
// one if the queue is empty. Its Data stays valid until the next
// ReadAudio call; its PTS counts the sample frames read before it. After
// Close it drains the queue, then returns io.EOF. The context bounds the
// wait only.
func (p *AudioPush) ReadAudio(ctx context.Context) (AudioChunk, error) {
	for {
		p.mu.Lock()
		if len(p.queue) > 0 {
			buf := p.queue[0]
			p.queue[0] = nil
			p.queue = p.queue[1:]
			frames := int64(len(buf) / p.format.BytesPerFrame())
			pts := mediatime.Duration(p.stats.Read, 1, int64(p.format.SampleRate))
			p.queued -= frames
			p.stats.Read += frames
			if p.held != nil && len(p.free) < maxFreeAudioBuffers {
				p.free = append(p.free, p.held[:0])
			}
			p.held = buf
			p.mu.Unlock()
			return AudioChunk{Data: buf, PTS: pts}, nil
		}
		closed := p.closed
		p.mu.Unlock()
		if closed {
			return AudioChunk{}, io.EOF
		}
		select {
		case <-p.wake:
		case <-p.done:
		case <-ctx.Done():
			return AudioChunk{}, ctx.Err()
		}
	}
}

// Close ends the source: writes fail with ErrClosed and ReadAudio returns
// io.EOF once the queue is drained. Close is idempotent, safe from any
// goroutine, and always returns nil.
func (p *AudioPush) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		close(p.done)
	}
	return nil
}

// Stats returns a snapshot of the counters.
func (p *AudioPush) Stats() AudioPushStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Queued = mediatime.Duration(p.queued, 1, int64(p.format.SampleRate))
	return s
}
