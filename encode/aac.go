package encode

/*
#include <stdlib.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/gen2brain/aac-go/aacenc"
)

// AACOptions configures an AAC-LC encoder. The zero value works: 44.1 kHz
// stereo at 128 kbit/s.
type AACOptions struct {
	// SampleRate of the PCM in Hz: one of the AAC rates from 8000 to
	// 96000. It defaults to 44100.
	SampleRate int
	// Channels is 1 or 2. It defaults to 2.
	Channels int
	// Bitrate in bit/s. It defaults to 128000 for stereo and 64000 for
	// mono.
	Bitrate int
}

// AACFrameSamples is the number of samples per channel in one AAC-LC
// frame.
const AACFrameSamples = 1024

// aacPrimingSamples is vo-aacenc's encoder delay: the decoded signal of
// the first input sample comes out this many samples into the decoder's
// output: 1024 samples of frame delay plus 576 of block-switching
// lookahead, the classic AAC-LC encoder delay. Measured by decoding the
// encoder's output with an independent decoder (TestAACToneAndDelay).
const aacPrimingSamples = 1600

func (o *AACOptions) setDefaults() {
	if o.SampleRate == 0 {
		o.SampleRate = 44100
	}
	if o.Channels == 0 {
		o.Channels = 2
	}
	if o.Bitrate == 0 {
		o.Bitrate = 64000 * o.Channels
	}
}

func (o *AACOptions) validate() error {
	if _, ok := aacRateIndex(o.SampleRate); !ok {
		return fmt.Errorf("%w: sample rate %d Hz is not an AAC rate (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)", ErrOptions, o.SampleRate)
	}
	if o.Channels != 1 && o.Channels != 2 {
		return fmt.Errorf("%w: %d channels (want 1 or 2)", ErrOptions, o.Channels)
	}
	// vo-aacenc accepts up to 6 bits per sample per second per channel.
	if o.Bitrate < 8000 || o.Bitrate > 6*o.SampleRate*o.Channels || o.Bitrate > 320000*o.Channels {
		return fmt.Errorf("%w: bitrate %d bit/s out of range for %d Hz, %d channels", ErrOptions, o.Bitrate, o.SampleRate, o.Channels)
	}
	return nil
}

// vo-aacenc keeps its state in one process-global handle: a second
// encoder would silently take over the first and closing both aborts the
// process. aacOwner lets one encoder live at a time.
var (
	aacMu    sync.Mutex
	aacOwner *AAC
)

// AAC is an AAC-LC encoder on vo-aacenc's low-level API, producing raw
// frames (no ADTS) for FLV, with packet times counted in samples. Only one
// AAC encoder can be open in a process at a time (ErrAACBusy). It is not
// safe for concurrent use.
type AAC struct {
	opts     AACOptions
	frameLen int // bytes of PCM per AAC frame
	pending  []byte
	samples  int64 // samples per channel handed to the codec
	// unflushed is set while input sits in the codec's delay line.
	unflushed bool
	outCount  int64 // frames produced
	config    []byte
	closed    bool

	in, out unsafe.Pointer // PCM and AAC buffers in C memory, reused
	outCap  int
	// Codec buffer descriptors, in C memory so cgo calls carry no Go
	// pointers and allocate nothing.
	cin, cout *aacenc.VoCodecBuffer
	cinfo     *aacenc.VoAudioOutputinfo
	pkts      []Packet
	data      []byte
}

// NewAAC opens the encoder.
func NewAAC(opts AACOptions) (*AAC, error) {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	aacMu.Lock()
	defer aacMu.Unlock()
	if aacOwner != nil {
		return nil, ErrAACBusy
	}
	if err := aacenc.ErrorFromResult(aacenc.Init(aacenc.VoAudioCodingAac)); err != nil {
		return nil, fmt.Errorf("%w: vo-aacenc init: %w", ErrEncoder, err)
	}
	param := aacenc.Param{
		SampleRate: int32(opts.SampleRate),
		BitRate:    int32(opts.Bitrate),
		NChannels:  int16(opts.Channels),
		AdtsUsed:   0,
	}
	// The parameter block is copied by the codec; pass it in C memory so
	// the cgo call carries no Go pointer.
	cp := C.malloc(C.size_t(unsafe.Sizeof(param)))
	*(*aacenc.Param)(cp) = param
	res := aacenc.SetParam(aacenc.VoPidAacEncparam, cp)
	C.free(cp)
	if err := aacenc.ErrorFromResult(res); err != nil {
		aacenc.Uninit()
		return nil, fmt.Errorf("%w: vo-aacenc rejected %d Hz, %d channels, %d bit/s: %w", ErrEncoder, opts.SampleRate, opts.Channels, opts.Bitrate, err)
	}
	a := &AAC{opts: opts, frameLen: AACFrameSamples * 2 * opts.Channels, outCap: 8192}
	a.config = AudioSpecificConfig(opts.SampleRate, opts.Channels)
	a.in = C.malloc(C.size_t(a.frameLen))
	a.out = C.malloc(C.size_t(a.outCap))
	a.cin = (*aacenc.VoCodecBuffer)(C.calloc(1, C.size_t(unsafe.Sizeof(aacenc.VoCodecBuffer{}))))
	a.cout = (*aacenc.VoCodecBuffer)(C.calloc(1, C.size_t(unsafe.Sizeof(aacenc.VoCodecBuffer{}))))
	a.cinfo = (*aacenc.VoAudioOutputinfo)(C.calloc(1, C.size_t(unsafe.Sizeof(aacenc.VoAudioOutputinfo{}))))
	a.pending = make([]byte, 0, a.frameLen)
	aacOwner = a
	return a, nil
}

// DecoderConfig returns the AudioSpecificConfig (ISO/IEC 14496-3
// 1.6.2.1) for this stream.
func (a *AAC) DecoderConfig() []byte { return a.config }

// Options returns the options in force, defaults filled in.
func (a *AAC) Options() AACOptions { return a.opts }

// PrimingSamples is the encoder delay in samples per channel: a decoder
// outputs this many samples before the first input sample.
func (a *AAC) PrimingSamples() int { return aacPrimingSamples }

// Delay is PrimingSamples as a duration. To line audio up with video,
// a muxer presents video this much later (or audio this much earlier).
func (a *AAC) Delay() time.Duration {
	return scale(aacPrimingSamples, 1, int64(a.opts.SampleRate))
}

// Encode takes PCM of any length (signed 16-bit little-endian,
// interleaved, whole sample frames), and returns the AAC frames it
// completes. A frame's PTS is the time of its first sample, counted from
// the samples consumed since the start. The returned slice and data are
// valid until the next call.
func (a *AAC) Encode(pcm []byte) ([]Packet, error) {
	if a.closed {
		return nil, ErrClosed
	}
	if fs := 2 * a.opts.Channels; len(pcm)%fs != 0 {
		return nil, fmt.Errorf("%w: %d bytes with %d-byte frames (%d channels of 16-bit samples)", ErrPCMLength, len(pcm), fs, a.opts.Channels)
	}
	a.pkts, a.data = a.pkts[:0], a.data[:0]
	for len(pcm) > 0 {
		n := min(a.frameLen-len(a.pending), len(pcm))
		a.pending = append(a.pending, pcm[:n]...)
		pcm = pcm[n:]
		if len(a.pending) == a.frameLen {
			if err := a.encodeFrame(a.pending); err != nil {
				return nil, err
			}
			a.pending = a.pending[:0]
		}
	}
	return a.packets(), nil
}

// Flush encodes the last partial frame padded with silence, then enough
// silence to push the encoder's delay out, so that every sample given to
// Encode reaches the decoder. It returns nil if nothing was given since
// the last Flush.
func (a *AAC) Flush() ([]Packet, error) {
	if a.closed {
		return nil, ErrClosed
	}
	a.pkts, a.data = a.pkts[:0], a.data[:0]
	if len(a.pending) == 0 && !a.unflushed {
		return nil, nil
	}
	n := len(a.pending)
	a.pending = a.pending[:a.frameLen]
	clear(a.pending[n:])
	frames := (aacPrimingSamples + AACFrameSamples - 1) / AACFrameSamples
	if n > 0 {
		frames++
	}
	for i := 0; i < frames; i++ {
		if err := a.encodeFrame(a.pending); err != nil {
			a.pending = a.pending[:0]
			return nil, err
		}
		clear(a.pending)
	}
	a.pending = a.pending[:0]
	a.unflushed = false
	return a.packets(), nil
}

func (a *AAC) encodeFrame(frame []byte) error {
	copy(unsafe.Slice((*byte)(a.in), a.frameLen), frame)
	in := a.cin
	in.Buffer, in.Length = a.in, uint64(a.frameLen)
	if err := aacenc.ErrorFromResult(aacenc.SetInputData(in)); err != nil {
		return fmt.Errorf("%w: vo-aacenc input: %w", ErrEncoder, err)
	}
	a.samples += AACFrameSamples
	a.unflushed = true
	out, info := a.cout, a.cinfo
	for {
		out.Buffer, out.Length = a.out, uint64(a.outCap)
		err := aacenc.ErrorFromResult(aacenc.GetOutputData(out, info))
		if errors.Is(err, aacenc.ErrInputBufferSmall) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: vo-aacenc output: %w", ErrEncoder, err)
		}
		if out.Length == 0 {
			return nil
		}
		start := len(a.data)
		a.data = append(a.data, unsafe.Slice((*byte)(a.out), int(out.Length))...)
		pts := scale(a.outCount*AACFrameSamples, 1, int64(a.opts.SampleRate))
		a.outCount++
		a.pkts = append(a.pkts, Packet{Data: a.data[start:len(a.data):len(a.data)], PTS: pts, DTS: pts, Keyframe: true})
	}
}

// packets fixes up Data after appends may have moved the buffer.
func (a *AAC) packets() []Packet {
	off := 0
	for i := range a.pkts {
		n := len(a.pkts[i].Data)
		a.pkts[i].Data = a.data[off : off+n : off+n]
		off += n
	}
	return a.pkts
}

// Close releases the codec; another AAC encoder may be opened afterwards.
// It is safe to call more than once.
func (a *AAC) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	for _, p := range []unsafe.Pointer{a.in, a.out, unsafe.Pointer(a.cin), unsafe.Pointer(a.cout), unsafe.Pointer(a.cinfo)} {
		C.free(p)
	}
	a.in, a.out, a.cin, a.cout, a.cinfo = nil, nil, nil, nil, nil
	aacMu.Lock()
	defer aacMu.Unlock()
	if aacOwner == a {
		aacenc.Uninit()
		aacOwner = nil
	}
	return nil
}
