package encode

import "encoding/binary"

// vbvModel is the decoder's buffer (the VBV, or the HRD's coded picture
// buffer, ITU-T H.264 Annex C), for the stream as sent: x264's pictures
// and the access units golivecast writes between them. It is x264's own
// model (ratecontrol.c, update_vbv), run over every access unit: the
// buffer starts rc.f_vbv_buffer_init full; each picture takes its bits
// out and one frame interval of the maximum bitrate comes in; under CBR
// what would overflow the buffer is sent as filler, otherwise the buffer
// simply stays full.
//
// x264 runs that model over its pictures only. During a run of skip
// frames the buffer refills with the model here, as it would between
// x264's pictures, and then stays full; a skip frame sent in that state
// carries its share of the bitrate. x264's model, which has not seen the
// skip frames, holds at most as much as this one, so x264 never takes out
// more than the buffer holds; when its next picture, padded by x264's
// model, would still overflow this one, the rest is padded here. The
// bitrate sent is thus the bitrate, to within the buffer's size, over any
// stretch of time, whether the picture moves or not.
type vbvModel struct {
	level   int64   // bits in the buffer, times FrameRate.Num
	started bool    // level holds the initial fill
	init    float64 // x264's rc.f_vbv_buffer_init, 0 to 1
}

// cbrBitrate is the bitrate, in bit/s, that x264's constant-bitrate model
// fills the decoder's buffer at: the VBV maximum rate in x264's whole
// kbit/s. It is read from the options in force, which a change of
// bitrate at run time must keep current.
func (e *H264) cbrBitrate() int64 { return int64(kbit(e.opts.MaxBitrate)) * 1000 }

// fillerNALMin is the smallest filler data NAL unit with its length:
// 4 bytes of length, the header byte and the trailing bits.
const fillerNALMin = 4 + 2

// vbvBuffer is the buffer's size, in bits times FrameRate.Num, as x264
// sets it: at least one frame of the bitrate.
func (e *H264) vbvBuffer() int64 {
	num, den := int64(e.opts.FrameRate.Num), int64(e.opts.FrameRate.Den)
	rate := e.cbrBitrate()
	buffer := max(int64(kbit(e.opts.BufferSize))*1000, rate*den/num) * num
	v := &e.rep.vbv
	if !v.started {
		v.level, v.started = int64(float64(buffer)*v.init), true
	}
	// A buffer that shrank (SetBitrate) holds at most its new size, as in
	// x264's model: what it held above that is not sent, as filler or
	// otherwise.
	v.level = min(v.level, buffer)
	return buffer
}

// vbvRoom says whether the buffer holds an access unit of size bytes now.
func (e *H264) vbvRoom(size int) bool {
	e.vbvBuffer()
	return e.rep.vbv.level >= 8*int64(size)*int64(e.opts.FrameRate.Num)
}

// vbvTake runs the model over an access unit of size bytes and returns
// how many bytes of filler it must carry, length prefix included: 0, or
// under CBR at least fillerNALMin.
func (e *H264) vbvTake(size int) int {
	v := &e.rep.vbv
	num, den := int64(e.opts.FrameRate.Num), int64(e.opts.FrameRate.Den)
	buffer := e.vbvBuffer()
	v.level = max(v.level-8*int64(size)*num, 0) // an underflow is x264's to avoid
	v.level += e.cbrBitrate() * den
	if v.level <= buffer {
		return 0
	}
	if !e.rep.filler {
		v.level = buffer
		return 0
	}
	fill := max((v.level-buffer+8*num-1)/(8*num), fillerNALMin)
	v.level -= 8 * fill * num
	return int(fill)
}

// appendFillerNAL appends a filler data NAL unit of fill bytes, length
// prefix included, to the AVCC access unit au; nothing when fill is 0.
func appendFillerNAL(au []byte, fill int) []byte {
	if fill < fillerNALMin {
		return au
	}
	n := len(au)
	au = append(au, 0, 0, 0, 0)
	au = appendFiller(au, fill-4)
	binary.BigEndian.PutUint32(au[n:], uint32(fill-4))
	return au
}
