package encode

/*
#include <stdlib.h>
#include <string.h>

// vo-aacenc's C API, each encoder with a handle of its own. aac-go's Go
// wrapper keeps one process-wide handle (a second encoder silently takes
// over the first, and closing both aborts), so only its C objects are
// used: the entry points below are global symbols of the aacenc package,
// linked in by the blank import. vo-aacenc keeps no writable global state
// (its file-level tables are constant), so handles are independent.
//
// The types mirror voType.h, voAudio.h and voAAC.h; VO_U32 and VO_S32 are
// unsigned long and long there.
typedef struct {            // VO_CODECBUFFER
	unsigned char *Buffer;
	unsigned long  Length;
	long long      Time;
} glcCodecBuffer;

typedef struct {            // VO_AUDIO_OUTPUTINFO
	long SampleRate, Channels, SampleBits;
	unsigned long InputUsed, Reserved;
} glcOutputInfo;

typedef struct {            // AACENC_PARAM
	int   sampleRate;
	int   bitRate;
	short nChannels;
	short adtsUsed;
} glcAACParam;

#define GLC_CODING_AAC       8                       // VO_AUDIO_CodingAAC
#define GLC_PID_AAC_ENCPARAM (0x42211000 | 0x0040)   // VO_PID_AAC_ENCPARAM
#define GLC_ERR_INPUT_SMALL  0x80000005UL            // VO_ERR_INPUT_BUFFER_SMALL

extern unsigned long voAACEncInit(void **phCodec, int vType, void *pUserData);
extern unsigned long voAACEncSetParam(void *hCodec, long uParamID, void *pData);
extern unsigned long voAACEncSetInputData(void *hCodec, glcCodecBuffer *pInput);
extern unsigned long voAACEncGetOutputData(void *hCodec, glcCodecBuffer *pOut, glcOutputInfo *pInfo);
extern unsigned long voAACEncUninit(void *hCodec);

#define GLC_AAC_FRAME   1024
#define GLC_AAC_PCM_CAP (GLC_AAC_FRAME * 2 * 2)  // one frame of 16-bit stereo
#define GLC_AAC_OUT_CAP 8192                     // 6144 bits per channel at most

// glcAAC is one encoder, all in C memory: the codec keeps pointers into
// its input between calls, so nothing may move.
typedef struct {
	void *h;
	unsigned long frameBytes;
	glcCodecBuffer in, out;
	glcOutputInfo info;
	glcAACParam param;
	unsigned char pcm[GLC_AAC_PCM_CAP];
	unsigned char aac[GLC_AAC_OUT_CAP];
} glcAAC;

// glc_aac_open opens e->h with e->param; NULL user data selects the
// codec's own allocator.
static unsigned long glc_aac_open(glcAAC *e) {
	unsigned long r = voAACEncInit(&e->h, GLC_CODING_AAC, NULL);
	if (r != 0) {
		e->h = NULL;
		return r;
	}
	r = voAACEncSetParam(e->h, GLC_PID_AAC_ENCPARAM, &e->param);
	if (r != 0) {
		voAACEncUninit(e->h);
		e->h = NULL;
	}
	return r;
}

// glc_aac_encode encodes the frame in e->pcm; e->out.Length is then the
// size of the raw AAC frame in e->aac, 0 when none came out.
static unsigned long glc_aac_encode(glcAAC *e) {
	e->in.Buffer = e->pcm;
	e->in.Length = e->frameBytes;
	e->in.Time = 0;
	unsigned long r = voAACEncSetInputData(e->h, &e->in);
	if (r != 0) {
		e->out.Length = 0;
		return r;
	}
	e->out.Buffer = e->aac;
	e->out.Length = GLC_AAC_OUT_CAP;
	r = voAACEncGetOutputData(e->h, &e->out, &e->info);
	if (r == GLC_ERR_INPUT_SMALL) {
		e->out.Length = 0;
		return 0;
	}
	return r;
}

static void glc_aac_close(glcAAC *e) {
	if (e->h != NULL)
		voAACEncUninit(e->h);
	e->h = NULL;
}
*/
import "C"

import (
	"fmt"
	"time"
	"unsafe"

	_ "github.com/gen2brain/aac-go/aacenc" // vo-aacenc's C objects

	"github.com/golivecast/golivecast/internal/mediatime"
)

// AACOptions configures an AAC-LC encoder. The zero value works: 44.1 kHz
// stereo at 128 kbit/s.
type AACOptions struct {
	// SampleRate of the PCM in Hz: one of the AAC rates from 8000 to
	// 96000. It defaults to 44100.
	SampleRate int
	// Channels is 1 or 2. It defaults to 2.
	Channels int
	// Bitrate in bit/s, from 8000 to 6 bits a sample (and at most 320000
	// a channel). It defaults to 128000 for stereo and 64000 for mono, or
	// the most the sample rate allows below 11025 Hz.
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
		o.Bitrate = min(64000, 6*o.SampleRate) * o.Channels
	}
}

// AAC is an AAC-LC encoder on vo-aacenc, producing raw frames (no ADTS)
// for FLV, with packet times counted in samples. Any number of encoders
// can run at once; one encoder is not safe for concurrent use.
type AAC struct {
	opts     AACOptions
	frameLen int // bytes of PCM per AAC frame
	pending  []byte
	// unflushed is set while input sits in the codec's delay line.
	unflushed bool
	outCount  int64 // frames produced
	config    []byte
	enc       *C.glcAAC // nil once closed
	pkts      []Packet
	data      []byte
}

// NewAAC opens an encoder.
func NewAAC(opts AACOptions) (*AAC, error) {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	cfg, err := AudioSpecificConfig(opts.SampleRate, opts.Channels)
	if err != nil {
		return nil, err
	}
	e := (*C.glcAAC)(C.calloc(1, C.size_t(unsafe.Sizeof(C.glcAAC{}))))
	if e == nil {
		return nil, fmt.Errorf("%w: out of memory for an AAC encoder", ErrEncoder)
	}
	a := &AAC{opts: opts, frameLen: AACFrameSamples * 2 * opts.Channels, config: cfg, enc: e}
	e.frameBytes = C.ulong(a.frameLen)
	e.param.sampleRate = C.int(opts.SampleRate)
	e.param.bitRate = C.int(opts.Bitrate)
	e.param.nChannels = C.short(opts.Channels)
	e.param.adtsUsed = 0
	if r := C.glc_aac_open(e); r != 0 {
		C.free(unsafe.Pointer(e))
		return nil, fmt.Errorf("%w: vo-aacenc rejected %d Hz, %d channels, %d bit/s (error 0x%x)", ErrEncoder, opts.SampleRate, opts.Channels, opts.Bitrate, uint64(r))
	}
	a.pending = make([]byte, 0, a.frameLen)
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
	return mediatime.Duration(aacPrimingSamples, 1, int64(a.opts.SampleRate))
}

// Encode takes PCM of any length (signed 16-bit little-endian,
// interleaved, whole sample frames), and returns the AAC frames it
// completes. A frame's PTS is the time of its first sample, counted from
// the samples consumed since the start. The returned slice and data are
// valid until the next call.
func (a *AAC) Encode(pcm []byte) ([]Packet, error) {
	if a.enc == nil {
		return nil, ErrClosed
	}
	if fs := 2 * a.opts.Channels; len(pcm)%fs != 0 {
		return nil, fmt.Errorf("%w: %d bytes with %d-byte frames (%d channels of 16-bit samples)", ErrPartialFrame, len(pcm), fs, a.opts.Channels)
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
	if a.enc == nil {
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
	e := a.enc
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&e.pcm[0])), a.frameLen), frame)
	if r := C.glc_aac_encode(e); r != 0 {
		return fmt.Errorf("%w: vo-aacenc returned 0x%x", ErrEncoder, uint64(r))
	}
	a.unflushed = true
	if e.out.Length == 0 {
		return nil
	}
	start := len(a.data)
	a.data = append(a.data, unsafe.Slice((*byte)(unsafe.Pointer(&e.aac[0])), int(e.out.Length))...)
	pts := mediatime.Duration(a.outCount*AACFrameSamples, 1, int64(a.opts.SampleRate))
	a.outCount++
	a.pkts = append(a.pkts, Packet{Data: a.data[start:len(a.data):len(a.data)], PTS: pts, DTS: pts, Keyframe: true})
	return nil
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

// Close releases the codec. It is safe to call more than once.
func (a *AAC) Close() error {
	if a.enc == nil {
		return nil
	}
	C.glc_aac_close(a.enc)
	C.free(unsafe.Pointer(a.enc))
	a.enc = nil
	return nil
}
