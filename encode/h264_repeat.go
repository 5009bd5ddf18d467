package encode

import (
	"encoding/binary"
	"fmt"
	"image"
	"time"

	"github.com/bluenviron/mediacommon/pkg/codecs/h264"
	"github.com/gen2brain/x264-go/x264c"

	"github.com/golivecast/golivecast/internal/mediatime"
)

// repeater joins skip frames of its own to x264's stream: it knows the
// stream's parameter sets, the frame_num and reference status of the
// last picture, and by how much frame_num of x264's later pictures must
// be moved to follow the skip frames it inserted.
type repeater struct {
	on  bool   // the stream can take skip frames
	why string // why not, when !on

	slice  skipSlice
	writer skipWriter
	mask   uint32 // MaxFrameNum - 1

	// keyint is x264's GOP length in pictures. x264 counts only the
	// pictures it encodes, so once a GOP holds skip frames the encoder
	// asks for the next IDR itself, at the same picture count.
	keyint   int
	sinceKey int // pictures sent since the last IDR, that one included; 0 before the first
	skipsGOP int // skip frames in the current GOP

	offset       uint32 // added to x264's frame_num, modulo MaxFrameNum
	lastFrameNum uint32 // frame_num of the last picture sent, as sent
	lastRef      bool   // the last picture sent is a reference picture
	x264FrameNum uint32 // frame_num of x264's last picture, as x264 wrote it

	// idr holds the slices of x264's last picture while it is an IDR
	// picture that nothing x264 encoded has followed (h264_idr.go).
	idr      []byte
	idrValid bool

	// The decoder's buffer (h264_vbv.go), followed when x264 has one
	// (a MaxBitrate): filler says x264 pads to the bitrate (CBR), and
	// so do the skip frames.
	vbvOn  bool
	filler bool
	vbv    vbvModel

	scratch []byte // slice headers being read or rewritten
	au      []byte // the access unit returned: a skip frame, or x264's rewritten
}

// setupRepeats decides, once x264 is open, whether this stream can take
// skip frames, from x264's actual parameters and its SPS and PPS.
func (e *H264) setupRepeats(actual *x264c.Param, sps, ppsNAL []byte) {
	r := &e.rep
	r.filler = actual.Rc.BFiller != 0
	r.vbvOn = actual.Rc.IVbvMaxBitrate > 0 && actual.Rc.IVbvBufferSize > 0
	r.vbv.init = min(max(float64(actual.Rc.FVbvBufferInit), 0), 1)
	r.keyint = int(actual.IKeyintMax)
	r.why = e.skipUnsupported(actual, sps, ppsNAL)
	r.on = r.why == ""
}

func (e *H264) skipUnsupported(actual *x264c.Param, spsNAL, ppsNAL []byte) string {
	switch {
	case actual.IBframe > 0:
		return fmt.Sprintf("%d B-frames (pictures are reordered)", actual.IBframe)
	case e.opts.Timestamped:
		return "timestamped mode (x264 holds each picture until the next one comes)"
	case actual.IKeyintMax <= 1:
		return "every picture is a keyframe"
	}
	var sps h264.SPS
	if err := sps.Unmarshal(spsNAL); err != nil {
		return fmt.Sprintf("x264's SPS: %v", err)
	}
	if sps.MaxNumRefFrames != 1 {
		// A skip frame takes the place of the last picture in the
		// decoder's references; with more than one, x264's later
		// pictures would find the older ones at other indices. x264's
		// presets ultrafast to veryfast use one.
		return fmt.Sprintf("%d reference frames (preset %s; ultrafast, superfast and veryfast use one)", sps.MaxNumRefFrames, e.opts.Preset)
	}
	p, err := parsePPS(ppsNAL)
	if err != nil {
		return fmt.Sprintf("x264's PPS: %v", err)
	}
	s, err := newSkipSlice(&sps, &p)
	if err != nil {
		return err.Error()
	}
	e.rep.slice = s
	e.rep.mask = 1<<s.Log2MaxFrameNum - 1
	return ""
}

// SkipFrames reports whether Repeat can send repeated pictures as skip
// frames on this encoder, and if not, why: Repeat then encodes them with
// x264.
func (e *H264) SkipFrames() (bool, string) { return e.rep.on, e.rep.why }

// Repeat sends again the picture last given to Encode (or Repeat), at
// pts. img must show that same picture: Repeat reads it only when x264
// has to encode it.
//
// When it can, Repeat writes an all-skip P frame itself instead of
// calling x264 (ITU-T H.264 7.3.3, 7.3.4): every macroblock is P_Skip
// with a zero motion vector, so the decoder copies the last picture
// exactly, for a few bytes and almost no CPU. The packet has Skip set; it
// is a reference picture (a decoder's next picture refers to it in place
// of the one it repeats), so Disposable is false. x264's later pictures
// have their frame_num moved to follow it. Under constant bitrate with
// filler (see H264Options.NoFiller), skip frames are padded as x264 pads
// its own pictures: once the decoder's buffer is full, each carries a
// filler NAL unit up to its share of the bitrate, so that the bitrate
// stays constant through a still picture (see vbvModel).
//
// A keyframe is due every KeyframeInterval of pictures, repeats
// included, and after ForceKeyframe. A repeat that falls on one is x264's
// last IDR picture sent again, when that is x264's last picture and shows
// this one (h264_idr.go), and otherwise encoded by x264. x264 also
// encodes the repeat, as Encode does, when the picture before was not a
// reference picture, when x264 holds pictures back, and on streams where
// skip frames are not possible at all (SkipFrames says why: B-frames,
// timestamped mode, more than one reference frame).
//
// Like Encode, it returns the packets completed by this call, valid until
// the next call.
func (e *H264) Repeat(img image.Image, pts time.Duration) ([]Packet, error) {
	if e.resendNow() {
		return e.resendIDR(img, pts)
	}
	if !e.skipNow() {
		return e.Encode(img, pts)
	}
	ticks, err := e.checkInput(img, pts)
	if err != nil {
		return nil, err
	}
	r := &e.rep
	r.slice.FrameNum = (r.lastFrameNum + 1) & r.mask

	au := append(r.au[:0], 0, 0, 0, 0)
	au, err = r.writer.appendNAL(au, &r.slice)
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint32(au, uint32(len(au)-4))
	au = e.pass(au)
	r.au = au

	r.offset = (r.offset + 1) & r.mask
	r.lastFrameNum, r.lastRef = r.slice.FrameNum, true
	r.sinceKey++
	r.skipsGOP++
	e.lastPTS = ticks
	d := mediatime.Duration(ticks, e.tbNum, e.tbDen)
	e.out[0] = Packet{Data: au, PTS: d, DTS: d, Skip: true}
	return e.out[:], nil
}

// skipNow says whether the next repeat can be a skip frame.
func (e *H264) skipNow() bool {
	r := &e.rep
	return r.on && !e.closed && e.started && r.lastRef && !e.forceKey && !r.keyDue() &&
		e.x264.encoderDelayedFrames(e.enc) == 0
}

// keyDue says whether the next picture starts a GOP: x264 would decide so
// itself had it seen the skip frames.
func (r *repeater) keyDue() bool { return r.skipsGOP > 0 && r.sinceKey >= r.keyint }

// checkInput validates a picture and its time as Encode does, returning
// the time in ticks.
func (e *H264) checkInput(img image.Image, pts time.Duration) (int64, error) {
	if e.closed {
		return 0, ErrClosed
	}
	if img == nil {
		return 0, ErrNilImage
	}
	b := img.Bounds()
	if b.Dx() != e.opts.Width || b.Dy() != e.opts.Height {
		return 0, fmt.Errorf("%w: got %dx%d, configured %dx%d", ErrImageSize, b.Dx(), b.Dy(), e.opts.Width, e.opts.Height)
	}
	if pts < 0 {
		return 0, fmt.Errorf("%w: negative PTS %v", ErrConfig, pts)
	}
	ticks := e.toTicks(pts)
	if e.started && ticks <= e.lastPTS {
		return 0, fmt.Errorf("encode: PTS %v does not come after the previous picture's (%v)", pts, mediatime.Duration(e.lastPTS, e.tbNum, e.tbDen))
	}
	return ticks, nil
}

// adopt follows a packet x264 produced: its IDR and reference status, its
// frame_num, and, once skip frames have been inserted since the last IDR,
// the packet is rewritten with every slice's frame_num moved to follow
// them.
func (e *H264) adopt(p *Packet) error {
	r := &e.rep
	if !r.on {
		return nil
	}
	data := p.Data
	var first = true
	var rewritten []byte
	if r.offset != 0 && !p.Keyframe {
		rewritten = r.au[:0]
	}
	for len(data) >= 4 {
		n := int(binary.BigEndian.Uint32(data))
		if n > len(data)-4 || n == 0 {
			return fmt.Errorf("%w: x264 returned a NAL unit of %d bytes in %d", ErrEncoder, n, len(data)-4)
		}
		nal := data[4 : 4+n]
		data = data[4+n:]
		t := nal[0] & 0x1f
		if t != 1 && t != 5 {
			if rewritten != nil {
				rewritten = binary.BigEndian.AppendUint32(rewritten, uint32(n))
				rewritten = append(rewritten, nal...)
			}
			continue
		}
		s, scratch, err := parseSliceStart(r.scratch, nal, r.slice.Log2MaxFrameNum)
		r.scratch = scratch
		if err != nil {
			return fmt.Errorf("%w: x264's slice: %v", ErrEncoder, err)
		}
		if first && s.IDR {
			r.offset, r.sinceKey, r.skipsGOP = 0, 0, 0
		}
		frameNum := (s.FrameNum + r.offset) & r.mask
		if rewritten != nil {
			at := len(rewritten)
			rewritten = append(rewritten, 0, 0, 0, 0)
			rewritten, r.scratch, err = appendWithFrameNum(rewritten, r.scratch, nal, s, r.slice.Log2MaxFrameNum, frameNum)
			if err != nil {
				return fmt.Errorf("%w: x264's slice: %v", ErrEncoder, err)
			}
			binary.BigEndian.PutUint32(rewritten[at:], uint32(len(rewritten)-at-4))
		}
		if first {
			r.lastFrameNum, r.lastRef, r.x264FrameNum = frameNum, s.RefIdc != 0, s.FrameNum
			r.sinceKey++
			first = false
		}
	}
	r.keepIDR(p)
	if rewritten != nil {
		r.au = rewritten
		p.Data = rewritten
	}
	if r.vbvOn {
		// x264 padded the picture by its own model of the decoder's
		// buffer, which has not seen the skip frames: what overflows the
		// buffer as sent is padded here.
		if fill := e.vbvTake(len(p.Data)); fill > 0 {
			if rewritten == nil {
				r.au = append(r.au[:0], p.Data...)
			}
			r.au = appendFillerNAL(r.au, fill)
			p.Data = r.au
		}
	}
	return nil
}

// pass runs an access unit golivecast writes through the model of the
// decoder's buffer, padding it under CBR.
func (e *H264) pass(au []byte) []byte {
	if !e.rep.vbvOn {
		return au
	}
	return appendFillerNAL(au, e.vbvTake(len(au)))
}
