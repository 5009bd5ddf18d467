package encode

import (
	"fmt"

	"github.com/gen2brain/x264-go/x264c"
)

// SetBitrate changes the target bitrate of an encoder opened with a
// Bitrate, in bit/s, for the pictures encoded from now on. MaxBitrate and
// BufferSize follow in their ratio to Bitrate, so a constant-bitrate
// stream stays constant at the new rate; a step down first cuts the
// buffer to a fifth of a second, so that the credit saved at the old
// rate is not spent at once, and the next step up restores it. x264 reconfigures its rate
// control in place (x264_encoder_reconfig): the stream goes on, with the
// same parameter sets, and no keyframe is forced. Options reports the
// rates in force.
//
// It fails with ErrConfig for an encoder in CRF mode, a rate out of the
// range Bitrate accepts, or an encoder whose x264 signals NAL HRD, whose
// VBV x264 does not let change (ratecontrol.c, "VBV parameters cannot be
// changed when NAL HRD is in use").
func (e *H264) SetBitrate(bps int) error {
	if e.closed {
		return ErrClosed
	}
	o := &e.opts
	switch {
	case o.Bitrate == 0:
		return fmt.Errorf("%w: SetBitrate on an encoder in CRF mode (no Bitrate)", ErrConfig)
	case bps < minVideoBitrate || bps > maxVideoBitrate:
		return fmt.Errorf("%w: bitrate %d bit/s out of range (%d–%d)", ErrConfig, bps, minVideoBitrate, maxVideoBitrate)
	case bps == o.Bitrate:
		return nil
	}
	maxRate := int(int64(o.MaxBitrate) * int64(bps) / int64(o.Bitrate))
	buffer := int(int64(e.bufferRatio*float64(bps) + 0.5))
	if bps < o.Bitrate {
		// The VBV buffer is full of credit saved at the old rate, which
		// x264 would spend at once: a link that could not carry the old
		// rate would get more than the new one for up to the buffer's
		// length. A buffer of a fifth of a second at the new rate spends
		// little; the next step up gives it its size back.
		buffer = min(buffer, max(bps/5, maxRate*o.FrameRate.Den/o.FrameRate.Num))
	}
	var p x264c.Param
	e.x264.encoderParameters(e.enc, &p)
	if p.INalHrd != x264c.NalHrdNone {
		return fmt.Errorf("%w: x264 cannot change the VBV of a stream that signals NAL HRD", ErrConfig)
	}
	p.Rc.IBitrate = kbit(bps)
	p.Rc.IVbvMaxBitrate = kbit(maxRate)
	p.Rc.IVbvBufferSize = kbit(buffer)
	if ret := e.x264.encoderReconfig(e.enc, &p); ret < 0 {
		return fmt.Errorf("%w: x264_encoder_reconfig to %d bit/s returned %d", ErrEncoder, bps, ret)
	}
	// x264's model of the decoder's buffer, full under CBR with filler,
	// keeps what it held above the new, smaller size and sends it as
	// filler with the next picture (ratecontrol.c, update_vbv): on a link
	// too slow for the old rate, a burst of nothing. That filler is
	// dropped; the model here clamps its own level (vbvBuffer), and the
	// two agree again from then on.
	e.stripFiller = buffer < o.BufferSize && p.Rc.BFiller != 0
	// The encoder's rates live in its options, one place for every
	// reader (Options, and whatever sizes its output by the bitrate).
	o.Bitrate, o.MaxBitrate, o.BufferSize = bps, maxRate, buffer
	return nil
}
