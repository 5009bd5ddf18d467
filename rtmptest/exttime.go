package rtmptest

import (
	"bufio"
	"encoding/binary"
	"io"
)

// handshakeSize is what a client sends before the first chunk: C0, C1 and
// C2 (RTMP 1.0 section 5.2).
const handshakeSize = 1 + 1536 + 1536

// extTimestampFilter sits between a client's socket and go-rtmp's reader
// and removes the extended timestamp that a conforming client repeats after
// each type-3 chunk header when the chunk stream's last header carried one
// (RTMP 1.0 section 5.3.1.3; ffmpeg and librtmp do this). go-rtmp v0.0.7
// reads no extended timestamp after a type-3 header: it would take those
// four bytes as payload, and the next chunk header would then be misread
// ("Panic: invalid state", connection closed). Streams reach extended
// timestamps after 2^24 ms (4 h 40 min), or at once with a start offset.
//
// The four bytes are removed only when they equal the extended timestamp
// of that chunk stream's last header, so a client that omits them (as
// go-rtmp's own writer does) passes through unchanged.
//
// It parses just enough of the chunk stream to find chunk boundaries:
// headers, message lengths, and the client's Set Chunk Size messages.
type extTimestampFilter struct {
	r         *bufio.Reader
	handshake int // bytes still to pass through untouched
	chunkSize uint32
	streams   map[uint32]*chunkStreamState

	buf []byte // the filtered chunk being handed out
	off int
	err error
}

type chunkStreamState struct {
	msgLen    uint32
	remaining uint32 // bytes of the current message still to come
	typeID    byte
	ext       bool   // the last type 0/1/2 header had an extended timestamp
	extValue  uint32 // and this was its value
}

func newExtTimestampFilter(r io.Reader) *extTimestampFilter {
	return &extTimestampFilter{
		r:         bufio.NewReaderSize(r, 16*1024),
		handshake: handshakeSize,
		chunkSize: 128, // RTMP's initial chunk size
		streams:   make(map[uint32]*chunkStreamState),
	}
}

func (f *extTimestampFilter) Read(p []byte) (int, error) {
	if f.handshake > 0 {
		n, err := f.r.Read(p[:min(len(p), f.handshake)])
		f.handshake -= n
		return n, err
	}
	for f.off == len(f.buf) {
		if f.err != nil {
			return 0, f.err
		}
		f.buf, f.off = f.buf[:0], 0
		// On error the partial chunk is still handed out, then the error.
		f.err = f.nextChunk()
	}
	n := copy(p, f.buf[f.off:])
	f.off += n
	return n, nil
}

// nextChunk reads one chunk into f.buf, minus a repeated extended
// timestamp after a type-3 header.
func (f *extTimestampFilter) nextChunk() error {
	b0, err := f.read(1)
	if err != nil {
		return err
	}
	format := b0[0] >> 6
	csid := uint32(b0[0] & 0x3f)
	switch csid {
	case 0:
		b, err := f.read(1)
		if err != nil {
			return err
		}
		csid = 64 + uint32(b[0])
	case 1:
		b, err := f.read(2)
		if err != nil {
			return err
		}
		csid = 64 + uint32(b[0]) + uint32(b[1])*256
	}
	st := f.streams[csid]
	if st == nil {
		st = &chunkStreamState{}
		f.streams[csid] = st
	}

	h, err := f.read([4]int{11, 7, 3, 0}[format])
	if err != nil {
		return err
	}
	if format <= 2 {
		st.ext = be24(h[0:3]) == 0xffffff
	}
	if format <= 1 {
		st.msgLen, st.typeID = be24(h[3:6]), h[6]
	}
	switch {
	case st.ext && format <= 2:
		b, err := f.read(4)
		if err != nil {
			return err
		}
		st.extValue = binary.BigEndian.Uint32(b)
	case st.ext && format == 3:
		b, err := f.r.Peek(4)
		if err == nil && binary.BigEndian.Uint32(b) == st.extValue {
			_, _ = f.r.Discard(4)
		}
	}

	if st.remaining == 0 {
		st.remaining = st.msgLen
	}
	payload, err := f.read(int(min(f.chunkSize, st.remaining)))
	if err != nil {
		return err
	}
	st.remaining -= uint32(len(payload))
	// Set Chunk Size (type 1) applies to the client's next chunks. Its
	// 4-byte body always fits in one chunk.
	if st.typeID == 1 && st.remaining == 0 && len(payload) >= 4 {
		if size := binary.BigEndian.Uint32(payload) & 0x7fffffff; size > 0 {
			f.chunkSize = min(size, 0xffffff) // go-rtmp clamps the same way
		}
	}
	return nil
}

// read appends the next n bytes to f.buf and returns them.
func (f *extTimestampFilter) read(n int) ([]byte, error) {
	start := len(f.buf)
	f.buf = append(f.buf, make([]byte, n)...)
	got, err := io.ReadFull(f.r, f.buf[start:])
	f.buf = f.buf[:start+got]
	return f.buf[start:], err
}

func be24(b []byte) uint32 {
	return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])
}
