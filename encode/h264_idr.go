package encode

import (
	"encoding/binary"
	"image"
	"time"

	"github.com/golivecast/golivecast/internal/mediatime"
)

// A still picture still needs a keyframe every KeyframeInterval, and an
// IDR picture is the one picture x264 spends real time on: 13 ms at 720p
// with the system libx264, 45 ms with the bundled one. When x264's last
// picture is an IDR picture of the picture being repeated, and x264 has
// encoded nothing since, its slices are sent again instead: a decoder
// decodes them to exactly the picture x264 holds as its reference, so
// x264's next picture finds the same reference as after its own IDR.
//
// The copy is a new IDR picture: it resets the decoder's references and
// frame_num (x264's later pictures are moved to follow it, as after skip
// frames), and it is never next to the original (at least one skip frame
// lies between them), so the two may share idr_pic_id (ITU-T H.264
// 7.4.3). It takes the bits of the original out of the decoder's buffer,
// and is sent only when the buffer holds them.

// keepIDR notes x264's packet p: the slices of an IDR picture are kept,
// anything else makes the kept ones stale.
func (r *repeater) keepIDR(p *Packet) {
	r.idrValid = p.Keyframe
	if !p.Keyframe {
		return
	}
	r.idr = r.idr[:0]
	for data := p.Data; len(data) >= 4; {
		n := int(binary.BigEndian.Uint32(data))
		if n > len(data)-4 || n == 0 {
			r.idrValid = false
			return
		}
		if data[4]&0x1f == 5 { // the slices, without SEI or filler
			r.idr = append(r.idr, data[:4+n]...)
		}
		data = data[4+n:]
	}
}

// resendNow says whether the next repeat is a keyframe that can be
// x264's last IDR picture sent again.
func (e *H264) resendNow() bool {
	r := &e.rep
	return r.on && !e.closed && e.started && r.idrValid && r.skipsGOP > 0 && (e.forceKey || r.keyDue()) &&
		(!r.vbvOn || e.vbvRoom(len(r.idr))) && e.x264.encoderDelayedFrames(e.enc) == 0
}

// resendIDR sends x264's last IDR picture again at pts.
func (e *H264) resendIDR(img image.Image, pts time.Duration) ([]Packet, error) {
	ticks, err := e.checkInput(img, pts)
	if err != nil {
		return nil, err
	}
	r := &e.rep
	au := e.pass(append(r.au[:0], r.idr...))
	r.au = au
	r.lastFrameNum, r.lastRef = 0, true
	r.offset = -r.x264FrameNum & r.mask
	r.sinceKey, r.skipsGOP = 1, 0
	e.forceKey = false
	e.lastPTS = ticks
	d := mediatime.Duration(ticks, e.tbNum, e.tbDen)
	e.out[0] = Packet{Data: au, PTS: d, DTS: d, Keyframe: true}
	return e.out[:], nil
}
