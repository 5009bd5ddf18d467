package encode

import (
	"time"

	"github.com/golivecast/golivecast/internal/mediatime"
)

// Packet is one encoded access unit (H.264) or frame (AAC).
//
// The packets an encoder returns, and their Data, are valid until the next
// call on that encoder: copy what must outlive it.
type Packet struct {
	// Data is an H.264 access unit in AVCC form (NAL units each prefixed
	// with a 4-byte big-endian length; no SPS, PPS or AUD), or one raw
	// AAC frame (no ADTS header).
	Data []byte
	// PTS is the presentation time.
	PTS time.Duration
	// DTS is the decoding time; DTS <= PTS, and DTS never decreases.
	// It equals PTS for audio and for video without B-frames.
	DTS time.Duration
	// Keyframe is true for an IDR access unit; always true for AAC.
	Keyframe bool
	// Disposable is true for an H.264 access unit that no other picture
	// references (nal_ref_idc 0 in every slice): dropping it harms no
	// other frame. A congested sender drops these first.
	Disposable bool
	// Skip is true for an H.264 access unit that repeats the previous
	// picture as a skip frame written by golivecast rather than by x264
	// (see H264.Repeat): a P picture in which every macroblock is
	// skipped, a few bytes long before any filler.
	Skip bool
}

// Rational is a frame rate as a fraction, such as 30000/1001.
type Rational struct {
	Num, Den int
}

// Float returns Num/Den.
func (r Rational) Float() float64 { return float64(r.Num) / float64(r.Den) }

// FrameDuration is the duration of one frame, rounded up to the
// nanosecond.
func (r Rational) FrameDuration() time.Duration {
	return mediatime.Duration(1, int64(r.Den), int64(r.Num))
}

// Bitrate units: every bitrate in golivecast is in bit/s.
const (
	Kbps = 1000
	Mbps = 1000 * Kbps
)
