package encode

/*
#include <stdlib.h>
#include <stdint.h>
*/
import "C"

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"runtime/cgo"
	"time"
	"unsafe"

	"github.com/gen2brain/x264-go/x264c"

	"github.com/golivecast/golivecast/internal/mediatime"
)

// H264Options configures an H.264 encoder. The zero value works: 1280x720
// at 30 frames per second, preset veryfast, tune zerolatency, profile
// high, CRF 23, a keyframe every 2 s and no B-frames.
type H264Options struct {
	// Width and Height are the picture size in pixels. Both must be even
	// (4:2:0 chroma). They default to 1280x720.
	Width, Height int
	// FrameRate is the output frame rate. It defaults to 30/1; 30000/1001
	// and other fractions work.
	FrameRate Rational
	// Timestamped makes the encoder take each picture's presentation time
	// as given (variable frame rate) instead of assuming one picture per
	// frame interval. It defaults to false.
	Timestamped bool

	// Preset is x264's speed preset (ultrafast … placebo). It defaults
	// to "veryfast".
	Preset string
	// Tune is x264's tuning ("film", "animation", "zerolatency", …, or
	// "none"). It defaults to "zerolatency", which live ingest wants.
	Tune string
	// Profile is "baseline", "main" or "high". It defaults to "high".
	Profile string

	// CRF is the constant rate factor used when Bitrate is zero (0–51,
	// lower is better). It defaults to 23.
	CRF float64
	// Bitrate is the target bitrate in bit/s, like every bitrate in
	// golivecast (2500 * Kbps is 2.5 Mbit/s). When set, rate control is
	// ABR bounded by the VBV (MaxBitrate, BufferSize); with MaxBitrate
	// equal to it, as by default, the stream is padded to a constant
	// bitrate (see NoFiller), which is what ingest platforms ask for. It
	// defaults to 0 (CRF).
	Bitrate int
	// MaxBitrate is the VBV maximum rate in bit/s. It defaults to
	// Bitrate.
	MaxBitrate int
	// BufferSize is the VBV buffer in bits. It defaults to MaxBitrate
	// (one second).
	BufferSize int
	// NoFiller turns off the padding of a constant-bitrate stream. When
	// Bitrate is set and MaxBitrate equals it (CBR, what ingest platforms
	// ask for), x264 pads each picture with filler data (ITU-T H.264
	// 7.3.2.7) wherever the picture alone would leave the bitrate short,
	// so that the stream sends Bitrate over any second or two even when
	// the picture is simple or still, as OBS's CBR does; repeated
	// pictures sent as skip frames are padded the same way (see
	// H264.Repeat). Decoders discard the filler. It defaults to false:
	// padding on. With NoFiller a simple picture sends less than Bitrate.
	NoFiller bool

	// KeyframeInterval is the distance between IDR frames; scene-cut
	// keyframes are off so the GOP is fixed. It defaults to 2 s.
	KeyframeInterval time.Duration
	// BFrames is the number of consecutive B-frames (0–16). It defaults
	// to 0. B-frames need constant frame rate and a tune other than
	// zerolatency.
	BFrames int
	// Threads is x264's thread count. It defaults to 0: one thread for
	// pictures up to 1280x720 on an x264 with its assembly (the system
	// library), which keeps up easily and needs less memory and CPU than
	// slicing each frame between threads; x264's own choice otherwise.
	Threads int

	// Logger receives x264's messages. It defaults to discarding them.
	Logger *slog.Logger
}

func (o *H264Options) setDefaults() {
	if o.Width == 0 && o.Height == 0 {
		o.Width, o.Height = 1280, 720
	}
	if o.FrameRate == (Rational{}) {
		o.FrameRate = Rational{30, 1}
	}
	if o.Preset == "" {
		o.Preset = "veryfast"
	}
	if o.Tune == "" {
		o.Tune = "zerolatency"
	}
	if o.Profile == "" {
		o.Profile = "high"
	}
	if o.CRF == 0 {
		o.CRF = 23
	}
	if o.Bitrate > 0 && o.MaxBitrate == 0 {
		o.MaxBitrate = o.Bitrate
	}
	if o.MaxBitrate > 0 && o.BufferSize == 0 {
		o.BufferSize = o.MaxBitrate
	}
	if o.KeyframeInterval == 0 {
		o.KeyframeInterval = 2 * time.Second
	}
}

// setThreads fills in Threads for library x.
func (o *H264Options) setThreads(x *x264Lib) {
	if o.Threads == 0 && x.info.Backend != X264Bundled && o.Width*o.Height <= 1280*720 {
		// About 6 ms a 720p frame on one thread with assembly: a second
		// thread only adds its buffers and wake-ups (2 MiB and 5% CPU at
		// 720p30, docs/BENCHMARKS.md).
		o.Threads = 1
	}
}

// x264Mem is what the encoder hands to x264 by pointer. It lives in C
// memory so that cgo calls neither allocate nor carry Go pointers that
// the cgo pointer rules forbid.
type x264Mem struct {
	picIn  *x264c.Picture
	picOut *x264c.Picture
	nals   **x264c.Nal
	nnal   *int32
	logCtx *C.uintptr_t
	planes unsafe.Pointer // converted I420 picture for non-YCbCr input
}

// H264 is an H.264 encoder on x264's low-level API, which unlike x264-go's
// Encoder exposes per-picture PTS, DTS, the keyframe flag and the NAL
// units, so B-frames and AVCC output work. It is not safe for concurrent
// use.
type H264 struct {
	// opts are the options in force. A change of bitrate at run time
	// must update them: the filler of skip frames follows
	// opts.MaxBitrate (cbrBitrate).
	opts   H264Options
	x264   *x264Lib // every x264 call goes to this library
	enc    *x264c.T
	mem    x264Mem
	logger cgo.Handle

	// Timestamps are counted in ticks of tbNum/tbDen seconds.
	tbNum, tbDen int64
	delay        int64 // B-frame reorder delay, ticks
	lastPTS      int64
	started      bool

	config      []byte
	bufferRatio float64 // BufferSize over Bitrate as opened, which SetBitrate keeps
	// stripFiller drops x264's filler from the next picture: after a
	// step down its model holds more than the smaller buffer and sends
	// the excess as filler at once (SetBitrate).
	stripFiller bool
	forceKey    bool
	closed      bool

	ySize, cSize int
	out          [1]Packet
	buf          []byte

	rep repeater // skip frames for repeated pictures (h264_repeat.go)
}

// NewH264 opens an encoder on the x264 library X264Info describes. On
// error nothing is left allocated.
func NewH264(opts H264Options) (*H264, error) {
	x, err := defaultX264()
	if err != nil {
		return nil, err
	}
	return newH264(opts, x)
}

// newH264 opens an encoder on library x.
func newH264(opts H264Options, x *x264Lib) (*H264, error) {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	opts.setThreads(x)
	e := &H264{opts: opts, x264: x, ySize: opts.Width * opts.Height}
	if opts.Bitrate > 0 {
		e.bufferRatio = float64(opts.BufferSize) / float64(opts.Bitrate)
	}
	e.cSize = e.ySize / 4
	if err := e.open(); err != nil {
		e.free()
		return nil, err
	}
	if opts.Logger != nil {
		opts.Logger.Info("encode: H.264 encoder open", "size", fmt.Sprintf("%dx%d", opts.Width, opts.Height),
			"preset", opts.Preset, "x264", x.info)
	}
	return e, nil
}

// open opens x264 with the parameters the options give (params), reads
// back the timing it settled on, and takes the stream headers for the
// decoder configuration.
func (e *H264) open() error {
	param, err := e.params()
	if err != nil {
		return err
	}
	e.setLogger(&param)
	e.enc = e.x264.encoderOpen(&param)
	if e.enc == nil {
		o := &e.opts
		return fmt.Errorf("%w: x264 refused the parameters (%dx%d, %d/%d fps, preset %s, profile %s)",
			ErrEncoder, o.Width, o.Height, o.FrameRate.Num, o.FrameRate.Den, o.Preset, o.Profile)
	}

	var actual x264c.Param
	e.x264.encoderParameters(e.enc, &actual)
	e.tbNum, e.tbDen = int64(actual.ITimebaseNum), int64(actual.ITimebaseDen)
	if actual.IBframe > 0 {
		// x264 stamps the first frames with DTS below their PTS by this
		// many frames (encoder.c, i_bframe_delay); shifting keeps DTS >= 0.
		e.delay = 1
		if actual.IBframePyramid != x264c.BPyramidNone {
			e.delay = 2
		}
	}

	e.mem.picIn = (*x264c.Picture)(C.calloc(1, C.size_t(unsafe.Sizeof(x264c.Picture{}))))
	e.mem.picOut = (*x264c.Picture)(C.calloc(1, C.size_t(unsafe.Sizeof(x264c.Picture{}))))
	e.mem.nals = (**x264c.Nal)(C.calloc(1, C.size_t(unsafe.Sizeof(uintptr(0)))))
	e.mem.nnal = (*int32)(C.calloc(1, 4))
	e.mem.planes = C.malloc(C.size_t(e.ySize + 2*e.cSize))
	e.x264.pictureInit(e.mem.picIn)

	if n := e.x264.encoderHeaders(e.enc, e.mem.nals, e.mem.nnal); n < 0 {
		return fmt.Errorf("%w: x264 could not write the stream headers", ErrEncoder)
	}
	var sps, pps []byte
	for _, nal := range e.nalList() {
		p := nalPayload(nal)
		switch nal.IType {
		case x264c.NalSps:
			sps = append([]byte(nil), p...)
		case x264c.NalPps:
			pps = append([]byte(nil), p...)
		}
	}
	if e.config, err = AVCDecoderConfig(sps, pps); err != nil {
		return err
	}
	e.setupRepeats(&actual, sps, pps)
	return nil
}

// params builds x264's parameters from the options: x264's preset and
// tune, then the picture and its timing, the group of pictures, rate
// control and the output format, and last the profile, which x264 checks
// them against.
func (e *H264) params() (x264c.Param, error) {
	o := &e.opts
	var param x264c.Param
	tune := o.Tune
	if tune == "none" {
		tune = ""
	}
	if e.x264.paramDefaultPreset(&param, o.Preset, tune) < 0 {
		return param, fmt.Errorf("%w: preset %q or tune %q unknown to x264", ErrConfig, o.Preset, o.Tune)
	}

	param.IWidth = int32(o.Width)
	param.IHeight = int32(o.Height)
	param.ICsp = x264c.CspI420
	param.IBitdepth = 8
	param.IThreads = int32(o.Threads)
	param.IFpsNum = uint32(o.FrameRate.Num)
	param.IFpsDen = uint32(o.FrameRate.Den)
	if o.Timestamped {
		param.BVfrInput = 1
		param.ITimebaseNum, param.ITimebaseDen = 1, 90000
	} else {
		// One tick per frame: exact for any rational rate.
		param.BVfrInput = 0
		param.ITimebaseNum, param.ITimebaseDen = uint32(o.FrameRate.Den), uint32(o.FrameRate.Num)
	}

	keyint := max(int32(o.KeyframeInterval.Seconds()*o.FrameRate.Float()+0.5), 1)
	param.IKeyintMax = keyint
	param.IKeyintMin = keyint
	param.IScenecutThreshold = 0
	param.IBframe = int32(o.BFrames)
	if o.BFrames == 0 {
		param.IBframePyramid = x264c.BPyramidNone
	}

	o.rateControl(&param)

	// Length-prefixed NAL units, parameter sets only in the decoder
	// configuration, no access unit delimiters.
	param.BAnnexb = 0
	param.BRepeatHeaders = 0
	param.BAud = 0

	if e.x264.paramApplyProfile(&param, o.Profile) < 0 {
		return param, fmt.Errorf("%w: profile %q rejected by x264 for these options", ErrConfig, o.Profile)
	}
	return param, nil
}

// rateControl sets x264's rate control: ABR bounded by the VBV with a
// Bitrate, padded with filler at a constant bitrate, CRF otherwise.
func (o *H264Options) rateControl(param *x264c.Param) {
	if o.Bitrate == 0 {
		param.Rc.IRcMethod = x264c.RcCrf
		param.Rc.FRfConstant = float32(o.CRF)
		if o.MaxBitrate > 0 {
			param.Rc.IVbvMaxBitrate = kbit(o.MaxBitrate)
			param.Rc.IVbvBufferSize = kbit(o.BufferSize)
		}
		return
	}
	param.Rc.IRcMethod = x264c.RcAbr
	param.Rc.IBitrate = kbit(o.Bitrate)
	param.Rc.IVbvMaxBitrate = kbit(o.MaxBitrate)
	param.Rc.IVbvBufferSize = kbit(o.BufferSize)
	// Padding without NAL HRD signalling (i_nal_hrd), as OBS pads: x264
	// refuses to change VBV parameters at run time once HRD is signalled
	// (ratecontrol.c), and skip frames would then need picture timing SEI
	// of their own.
	if kbit(o.MaxBitrate) == kbit(o.Bitrate) && !o.NoFiller {
		param.Rc.BFiller = 1
		// The decoder's buffer starts full rather than 90% full: the
		// first keyframe then leaves no more of it to refill than the
		// next ones, and the first seconds send the bitrate too.
		param.Rc.FVbvBufferInit = 1
	}
}

// setLogger routes x264's messages to the options' logger, through a
// callback with a handle in C memory, never to stderr.
func (e *H264) setLogger(param *x264c.Param) {
	logger := e.opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e.logger = cgo.NewHandle(logger)
	e.mem.logCtx = (*C.uintptr_t)(C.calloc(1, C.size_t(unsafe.Sizeof(C.uintptr_t(0)))))
	*e.mem.logCtx = C.uintptr_t(e.logger)
	param.PfLog = x264LogFunc()
	param.PLogPrivate = unsafe.Pointer(e.mem.logCtx)
	param.ILogLevel = x264c.LogWarning
	if e.opts.Logger != nil && e.opts.Logger.Enabled(context.Background(), slog.LevelDebug) {
		param.ILogLevel = x264c.LogInfo
	}
}

// nalList is the array x264 returned in the last call; only its first
// element pointer is stored, so the rest is reached through unsafe.Slice.
func (e *H264) nalList() []x264c.Nal {
	n := int(*e.mem.nnal)
	if n <= 0 || *e.mem.nals == nil {
		return nil
	}
	return unsafe.Slice(*e.mem.nals, n)
}

// nalPayload returns a NAL unit without its 4-byte length prefix.
func nalPayload(n x264c.Nal) []byte {
	p := unsafe.Slice((*byte)(n.PPayload), int(n.IPayload))
	if len(p) < 4 {
		return nil
	}
	return p[4:]
}

// DecoderConfig returns the AVCDecoderConfigurationRecord for this
// stream, built from x264's own SPS and PPS.
func (e *H264) DecoderConfig() []byte { return e.config }

// Options returns the options in force, defaults filled in.
func (e *H264) Options() H264Options { return e.opts }

// Delay is how far the timestamps are shifted so that DTS never goes
// below zero with B-frames: the picture given with PTS p comes out with
// PTS p + Delay. It is 0 without B-frames.
func (e *H264) Delay() time.Duration { return mediatime.Duration(e.delay, e.tbNum, e.tbDen) }

// ForceKeyframe makes the next picture an IDR frame, as a new viewer or a
// re-established connection needs.
func (e *H264) ForceKeyframe() { e.forceKey = true }

// Encode encodes one picture shown at pts. Presentation times must
// increase. It returns the packets completed by this call: none while
// x264 holds pictures back (lookahead, B-frames), which is not an error.
// The returned slice and data are valid until the next call.
func (e *H264) Encode(img image.Image, pts time.Duration) ([]Packet, error) {
	ticks, err := e.checkInput(img, pts)
	if err != nil {
		return nil, err
	}

	pic := e.mem.picIn
	pic.IType = x264c.TypeAuto
	if e.forceKey || e.rep.keyDue() {
		pic.IType = x264c.TypeIdr
	}
	pic.IPts = ticks
	pic.Img.ICsp = x264c.CspI420
	pic.Img.IPlane = 3
	var ret int32
	if m, ok := img.(*image.YCbCr); ok && m.SubsampleRatio == image.YCbCrSubsampleRatio420 {
		// Straight from the image's memory, with its strides.
		yi := m.YOffset(m.Rect.Min.X, m.Rect.Min.Y)
		ci := m.COffset(m.Rect.Min.X, m.Rect.Min.Y)
		pic.Img.IStride[0], pic.Img.IStride[1], pic.Img.IStride[2] = int32(m.YStride), int32(m.CStride), int32(m.CStride)
		ret = e.x264.encodePlanes(e.enc, e.mem.nals, e.mem.nnal, pic, e.mem.picOut, &m.Y[yi], &m.Cb[ci], &m.Cr[ci])
	} else {
		e.convert(img)
		ret = e.x264.encoderEncode(e.enc, e.mem.nals, e.mem.nnal, pic, e.mem.picOut)
	}
	if ret < 0 {
		return nil, fmt.Errorf("%w: x264_encoder_encode returned %d", ErrEncoder, ret)
	}
	e.forceKey = false
	e.started = true
	e.lastPTS = ticks
	return e.output(ret)
}

// convert fills the encoder's own I420 picture in C memory from any
// image other than 4:2:0 YCbCr, and points the input picture at it.
func (e *H264) convert(img image.Image) {
	pic := e.mem.picIn
	w := e.opts.Width
	all := unsafe.Slice((*byte)(e.mem.planes), e.ySize+2*e.cSize)
	y, cb, cr := all[:e.ySize], all[e.ySize:e.ySize+e.cSize], all[e.ySize+e.cSize:]
	switch m := img.(type) {
	case *image.RGBA:
		rgbaToI420(y, cb, cr, m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):], m.Stride, w, e.opts.Height, false)
	case *image.NRGBA:
		rgbaToI420(y, cb, cr, m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):], m.Stride, w, e.opts.Height, true)
	default:
		anyToI420(y, cb, cr, img, w, e.opts.Height)
	}
	pic.Img.Plane[0] = unsafe.Pointer(&y[0])
	pic.Img.Plane[1] = unsafe.Pointer(&cb[0])
	pic.Img.Plane[2] = unsafe.Pointer(&cr[0])
	pic.Img.IStride[0], pic.Img.IStride[1], pic.Img.IStride[2] = int32(w), int32(w/2), int32(w/2)
}

// Flush drains the pictures x264 still holds, returning the packets of
// one of them per call, and nil once none is left.
func (e *H264) Flush() ([]Packet, error) {
	if e.closed {
		return nil, ErrClosed
	}
	for e.x264.encoderDelayedFrames(e.enc) > 0 {
		ret := e.x264.encoderEncode(e.enc, e.mem.nals, e.mem.nnal, nil, e.mem.picOut)
		if ret < 0 {
			return nil, fmt.Errorf("%w: x264_encoder_encode (flush) returned %d", ErrEncoder, ret)
		}
		if pkts, err := e.output(ret); len(pkts) > 0 || err != nil {
			return pkts, err
		}
	}
	return nil, nil
}

// output turns what x264 returned into a packet, dropping parameter sets
// and delimiters, which belong in the decoder configuration.
func (e *H264) output(size int32) ([]Packet, error) {
	if size <= 0 {
		return nil, nil
	}
	nals := e.nalList()
	if len(nals) == 0 {
		return nil, nil
	}
	// x264 lays the payloads out back to back; keep that buffer when
	// nothing has to go.
	data := unsafe.Slice((*byte)(nals[0].PPayload), int(size))
	drop := func(t int32) bool {
		return t == x264c.NalSps || t == x264c.NalPps || t == x264c.NalAud || t == nalFiller && e.stripFiller
	}
	for _, n := range nals {
		if drop(n.IType) {
			e.buf = e.buf[:0]
			for _, n := range nals {
				if !drop(n.IType) {
					e.buf = append(e.buf, unsafe.Slice((*byte)(n.PPayload), int(n.IPayload))...)
				}
			}
			data = e.buf
			break
		}
	}
	e.stripFiller = false
	disposable := true
	for _, n := range nals {
		if (n.IType == x264c.NalSlice || n.IType == x264c.NalSliceIdr) && n.IRefIdc != x264c.NalPriorityDisposable {
			disposable = false
		}
	}
	out := e.mem.picOut
	e.out[0] = Packet{
		Disposable: disposable,
		Data:       data,
		PTS:        mediatime.Duration(out.IPts+e.delay, e.tbNum, e.tbDen),
		DTS:        mediatime.Duration(out.IDts+e.delay, e.tbNum, e.tbDen),
		Keyframe:   out.BKeyframe != 0,
	}
	if err := e.adopt(&e.out[0]); err != nil {
		return nil, err
	}
	return e.out[:], nil
}

// nalFiller is the type x264 gives its filler data NAL units: NAL_FILLER,
// 12 as in ITU-T H.264 Table 7-1. x264-go's x264c.NalFiller is 10: its
// Go mirror counts the enumeration with iota and misses x264.h's explicit
// "= 12" (TestNalFillerType).
const nalFiller = 12

// kbit converts bit/s (or bits) to x264's kbit/s, rounding to nearest.
func kbit(b int) int32 { return int32((b + 500) / 1000) }

// toTicks rounds a duration to the nearest tick of the time base.
func (e *H264) toTicks(d time.Duration) int64 { return mediatime.RoundTicks(d, e.tbNum, e.tbDen) }

// Close frees the encoder and all its C memory. It is safe to call more
// than once; x264 itself crashes on a second close.
func (e *H264) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	e.free()
	return nil
}

func (e *H264) free() {
	if e.enc != nil {
		e.x264.encoderClose(e.enc)
		e.enc = nil
	}
	for _, p := range []unsafe.Pointer{
		unsafe.Pointer(e.mem.picIn), unsafe.Pointer(e.mem.picOut), unsafe.Pointer(e.mem.nals),
		unsafe.Pointer(e.mem.nnal), e.mem.planes, unsafe.Pointer(e.mem.logCtx),
	} {
		if p != nil {
			C.free(p)
		}
	}
	e.mem = x264Mem{}
	if e.logger != 0 {
		e.logger.Delete()
		e.logger = 0
	}
}
