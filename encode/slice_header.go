package encode

import (
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/pkg/bits"
)

// sliceStart is the beginning of a slice header (ITU-T H.264 7.3.3) up to
// frame_num, which is what joining skip frames to x264's pictures needs:
// whether the picture is a reference, and its frame_num, whose width is
// fixed by the SPS, so that it can be rewritten in place.
type sliceStart struct {
	RefIdc    uint8 // nal_ref_idc
	IDR       bool  // nal_unit_type 5
	FirstMB   uint32
	SliceType uint32
	PPSID     uint32
	FrameNum  uint32
	// frameNumBit is the position of frame_num's first bit in the RBSP
	// that follows the NAL header byte.
	frameNumBit int
}

// rbspPrefix removes emulation prevention (7.4.1) from the payload of nal
// (after its header byte) into buf until it holds at least n bytes and
// its last byte is not zero, so that escaping it again leaves the
// escaping of what follows unchanged. It returns the bytes, the index in
// nal of the last byte taken, and whether both conditions were met before
// the end of nal.
func rbspPrefix(buf []byte, nal []byte, n int) ([]byte, int, bool) {
	buf = buf[:0]
	zeros := 0
	for i := 1; i < len(nal); i++ {
		c := nal[i]
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue // emulation_prevention_three_byte
		}
		buf = append(buf, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
			if len(buf) >= n {
				return buf, i, true
			}
		}
	}
	return buf, len(nal) - 1, false
}

// parseSliceStart reads the start of the header of a slice NAL unit
// (nal_unit_type 1 or 5, header byte included) whose SPS gives frame_num
// log2MaxFrameNum bits. scratch is reused and returned.
func parseSliceStart(scratch []byte, nal []byte, log2MaxFrameNum uint8) (sliceStart, []byte, error) {
	var s sliceStart
	if len(nal) < 2 {
		return s, scratch, errors.New("encode: empty slice NAL unit")
	}
	s.RefIdc = nal[0] >> 5 & 3
	s.IDR = nal[0]&0x1f == 5
	// 4 Exp-Golomb codes of at most 2*32+1 bits and frame_num: 40 bytes
	// at most; x264's take fewer than 8.
	rbsp, _, _ := rbspPrefix(scratch, nal, 40)
	pos := 0
	var err error
	if s.FirstMB, err = bits.ReadGolombUnsigned(rbsp, &pos); err == nil {
		if s.SliceType, err = bits.ReadGolombUnsigned(rbsp, &pos); err == nil {
			s.PPSID, err = bits.ReadGolombUnsigned(rbsp, &pos)
		}
	}
	if err != nil {
		return s, rbsp, fmt.Errorf("encode: slice header: %w", err)
	}
	// No colour_plane_id: skip frames are written only for streams with
	// one colour plane, and nothing is rewritten in others.
	s.frameNumBit = pos
	v, err := bits.ReadBits(rbsp, &pos, int(log2MaxFrameNum))
	if err != nil {
		return s, rbsp, fmt.Errorf("encode: slice header: frame_num: %w", err)
	}
	s.FrameNum = uint32(v)
	return s, rbsp, nil
}

// appendWithFrameNum appends nal, a slice NAL unit whose start s was read
// by parseSliceStart, to dst with frame_num set to frameNum. Only the
// bytes up to the first non-zero byte after frame_num are unescaped,
// changed and escaped again; the rest is copied as it is.
func appendWithFrameNum(dst, scratch, nal []byte, s sliceStart, log2MaxFrameNum uint8, frameNum uint32) ([]byte, []byte, error) {
	end := s.frameNumBit + int(log2MaxFrameNum) // first bit after frame_num
	prefix, last, ok := rbspPrefix(scratch, nal, (end+7)/8+1)
	if !ok {
		return dst, prefix, errors.New("encode: slice ends inside its header")
	}
	for i := 0; i < int(log2MaxFrameNum); i++ {
		bit := s.frameNumBit + i
		mask := byte(0x80) >> (bit % 8)
		if frameNum>>(int(log2MaxFrameNum)-1-i)&1 != 0 {
			prefix[bit/8] |= mask
		} else {
			prefix[bit/8] &^= mask
		}
	}
	dst = append(dst, nal[0])
	dst = appendEscaped(dst, prefix)
	return append(dst, nal[last+1:]...), prefix, nil
}
