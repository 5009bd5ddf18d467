package rtmp

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// The simple RTMP handshake (Adobe RTMP specification 1.0, section 5.2):
// C0+C1 out, S0+S1 in, C2 (an echo of S1) out, S2 in.
//
// S2 is read and not verified. The specification says it echoes C1, but
// servers in the field do not all do so, and librtmp (OBS) and ffmpeg only
// warn; go-rtmp's client handshake rejects them, which is why the
// handshake is written here.

const (
	Version         = 3
	HandshakeSize   = 1536
	handshakeMaxVer = 31 // S0 values above this are not RTMP (section 5.2.2)
)

// clientHandshake performs the handshake on rw. The caller bounds it
// with deadlines.
func clientHandshake(r io.Reader, w io.Writer) error {
	c01 := make([]byte, 1+HandshakeSize)
	c01[0] = Version
	// C1: time (4 bytes), zero (4 bytes), random (1528 bytes).
	binary.BigEndian.PutUint32(c01[1:], uint32(time.Now().UnixMilli()))
	if _, err := rand.Read(c01[9:]); err != nil {
		return err
	}
	if _, err := w.Write(c01); err != nil {
		return err
	}
	s01 := make([]byte, 1+HandshakeSize)
	if _, err := io.ReadFull(r, s01); err != nil {
		return err
	}
	if v := s01[0]; v < Version || v > handshakeMaxVer {
		return fmt.Errorf("%w: server answered the handshake with version %d, not RTMP (3)", ErrProtocol, v)
	}
	// C2 echoes S1: its time, the time we read it, and its random bytes.
	c2 := s01[1:]
	binary.BigEndian.PutUint32(c2[4:], uint32(time.Now().UnixMilli()))
	if _, err := w.Write(c2); err != nil {
		return err
	}
	_, err := io.ReadFull(r, make([]byte, HandshakeSize))
	return err
}
