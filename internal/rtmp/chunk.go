package rtmp

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// RTMP chunk stream (Adobe RTMP specification 1.0, section 5.3). The
// reader is lenient: a chunk stream may begin with a type-1 or type-2
// header (5.3.1.2), whose omitted fields start at zero. The writer always
// uses type-0 headers with absolute timestamps, and repeats the extended
// timestamp in every type-3 continuation chunk of a message whose
// timestamp needs it (5.3.1.3): go-rtmp v0.0.7 omits it there, which
// breaks streams past 2^24 ms (4 h 39 m), so the chunk layer is our own.

// Message type IDs (sections 5.4 and 7.1).
const (
	MsgSetChunkSize     = 1
	MsgAbort            = 2
	MsgAck              = 3
	MsgUserControl      = 4
	MsgWindowAckSize    = 5
	MsgSetPeerBandwidth = 6
	MsgAudio            = 8
	MsgVideo            = 9
	MsgDataAMF3         = 15
	MsgCommandAMF3      = 17
	MsgDataAMF0         = 18
	MsgCommandAMF0      = 20
)

// Chunk stream IDs a publisher writes on.
const (
	CSIDControl = 2
	CSIDCommand = 3
	CSIDData    = 5
	CSIDAudio   = 6
	CSIDVideo   = 7
)

const extendedTimestamp = 0xffffff

// ChunkWriter splits messages into chunks of Size bytes on W.
type ChunkWriter struct {
	W    *bufio.Writer
	Size int
	hdr  []byte
}

// WriteMessage writes one message as chunks, with a type-0 header and
// type-3 continuations. It does not flush.
func (cw *ChunkWriter) WriteMessage(csid int, typ byte, streamID uint32, ts uint32, payload []byte) error {
	h := cw.hdr[:0]
	h = append(h, byte(csid&0x3f)) // fmt 0; csid 2–63 fits one byte
	stamp := ts
	ext := ts >= extendedTimestamp
	if ext {
		stamp = extendedTimestamp
	}
	h = append(h, byte(stamp>>16), byte(stamp>>8), byte(stamp))
	n := len(payload)
	h = append(h, byte(n>>16), byte(n>>8), byte(n), typ)
	h = binary.LittleEndian.AppendUint32(h, streamID)
	if ext {
		h = binary.BigEndian.AppendUint32(h, ts)
	}
	cw.hdr = h
	if _, err := cw.W.Write(h); err != nil {
		return err
	}
	for first := true; first || len(payload) > 0; first = false {
		if !first {
			var c [5]byte
			c[0] = 0xc0 | byte(csid&0x3f)
			m := 1
			if ext {
				binary.BigEndian.PutUint32(c[1:], ts)
				m = 5
			}
			if _, err := cw.W.Write(c[:m]); err != nil {
				return err
			}
		}
		k := min(cw.Size, len(payload))
		if _, err := cw.W.Write(payload[:k]); err != nil {
			return err
		}
		payload = payload[k:]
	}
	return nil
}

// Message is a whole message read from a peer.
type Message struct {
	Type      byte
	StreamID  uint32
	Timestamp uint32
	Payload   []byte
}

// inChunkStream is what a chunk stream carries over from one chunk to
// the next: the fields later headers leave out, and the message being
// reassembled.
type inChunkStream struct {
	timestamp, delta uint32
	length           int
	typ              byte
	streamID         uint32
	ext              bool
	buf              []byte
	started          bool
}

// ChunkReader reassembles messages from a peer. Everything it keeps is
// bounded: message size, number of chunk streams, and the chunk size is
// checked when the peer sets it.
type ChunkReader struct {
	r       io.Reader
	size    int
	streams map[uint32]*inChunkStream
	tmp     [16]byte
}

const (
	maxInMessage      = 1 << 20 // servers send commands and control, never media
	maxInChunkStreams = 64
	maxChunkSize      = 1 << 24
)

// NewChunkReader reads chunks from r at the initial chunk size, 128.
func NewChunkReader(r io.Reader) *ChunkReader {
	return &ChunkReader{r: r, size: 128, streams: make(map[uint32]*inChunkStream)}
}

func (cr *ChunkReader) read(n int) ([]byte, error) {
	b := cr.tmp[:n]
	_, err := io.ReadFull(cr.r, b)
	return b, err
}

// ReadMessage returns the next complete message.
func (cr *ChunkReader) ReadMessage() (Message, error) {
	for {
		format, csid, err := cr.basicHeader()
		if err != nil {
			return Message{}, err
		}
		cs, err := cr.chunkStream(csid, format)
		if err != nil {
			return Message{}, err
		}
		if err := cr.messageHeader(format, csid, cs); err != nil {
			return Message{}, err
		}
		n := min(cr.size, cs.length-len(cs.buf))
		start := len(cs.buf)
		cs.buf = append(cs.buf, make([]byte, n)...)
		if _, err := io.ReadFull(cr.r, cs.buf[start:]); err != nil {
			return Message{}, err
		}
		if len(cs.buf) == cs.length {
			m := Message{Type: cs.typ, StreamID: cs.streamID, Timestamp: cs.timestamp, Payload: cs.buf}
			cs.buf = nil
			cs.started = false
			return m, nil
		}
	}
}

// basicHeader reads a chunk's basic header (5.3.1.1): its format (the
// type of the message header that follows) and chunk stream id, on one
// to three bytes.
func (cr *ChunkReader) basicHeader() (format byte, csid uint32, err error) {
	b, err := cr.read(1)
	if err != nil {
		return 0, 0, err
	}
	format, csid = b[0]>>6, uint32(b[0]&0x3f)
	switch csid {
	case 0:
		b, err := cr.read(1)
		if err != nil {
			return 0, 0, err
		}
		csid = 64 + uint32(b[0])
	case 1:
		b, err := cr.read(2)
		if err != nil {
			return 0, 0, err
		}
		csid = 64 + uint32(b[0]) + uint32(b[1])<<8
	}
	return format, csid, nil
}

// chunkStream returns the state of chunk stream csid, opening it on its
// first chunk. A type-1 or type-2 header leaves out fields that a new
// chunk stream has no previous value for: they start at zero, as librtmp
// and ffmpeg read them, and as a server in use sends its connect
// _result. A type-3 header has nothing to go on.
func (cr *ChunkReader) chunkStream(csid uint32, format byte) (*inChunkStream, error) {
	if cs := cr.streams[csid]; cs != nil {
		return cs, nil
	}
	if len(cr.streams) >= maxInChunkStreams {
		return nil, fmt.Errorf("%w: server opened more than %d chunk streams", ErrProtocol, maxInChunkStreams)
	}
	if format == 3 {
		return nil, fmt.Errorf("%w: chunk stream %d starts with a type-3 header", ErrProtocol, csid)
	}
	cs := &inChunkStream{}
	cr.streams[csid] = cs
	return cs, nil
}

// messageHeader reads the message header of a chunk (5.3.1.2), whose
// type is format, and the extended timestamp after it (5.3.1.3), into
// cs: type 0 gives every field, type 1 all but the stream id, type 2 the
// timestamp delta alone, type 3 nothing (the last chunk's fields hold).
func (cr *ChunkReader) messageHeader(format byte, csid uint32, cs *inChunkStream) error {
	var stamp uint32
	var err error
	switch format {
	case 0:
		stamp, err = cr.type0(cs)
	case 1:
		stamp, err = cr.type1(cs)
	case 2:
		stamp, err = cr.type2()
	}
	if err != nil {
		return err
	}
	if format < 3 {
		cs.ext = stamp == extendedTimestamp
	}
	if cs.ext {
		// Repeated in type-3 chunks of a message with an extended
		// timestamp; the value read with the message header holds.
		h, err := cr.read(4)
		if err != nil {
			return err
		}
		if format < 3 {
			stamp = binary.BigEndian.Uint32(h)
		}
	}
	if cs.length > maxInMessage {
		return fmt.Errorf("%w: server message of %d bytes (limit %d)", ErrProtocol, cs.length, maxInMessage)
	}
	if cs.started && format < 3 {
		return fmt.Errorf("%w: new message header inside a message on chunk stream %d", ErrProtocol, csid)
	}
	if !cs.started {
		switch format {
		case 0:
			cs.timestamp, cs.delta = stamp, 0
		case 1, 2:
			cs.delta = stamp
			cs.timestamp += stamp
		case 3:
			cs.timestamp += cs.delta
		}
		cs.started = true
	}
	return nil
}

// type0 reads an 11-byte type-0 header: timestamp, length, type, stream
// id.
func (cr *ChunkReader) type0(cs *inChunkStream) (uint32, error) {
	h, err := cr.read(11)
	if err != nil {
		return 0, err
	}
	cs.length = int(h[3])<<16 | int(h[4])<<8 | int(h[5])
	cs.typ = h[6]
	cs.streamID = binary.LittleEndian.Uint32(h[7:])
	return uint24(h), nil
}

// type1 reads a 7-byte type-1 header: timestamp delta, length, type.
func (cr *ChunkReader) type1(cs *inChunkStream) (uint32, error) {
	h, err := cr.read(7)
	if err != nil {
		return 0, err
	}
	cs.length = int(h[3])<<16 | int(h[4])<<8 | int(h[5])
	cs.typ = h[6]
	return uint24(h), nil
}

// type2 reads a 3-byte type-2 header: the timestamp delta.
func (cr *ChunkReader) type2() (uint32, error) {
	h, err := cr.read(3)
	if err != nil {
		return 0, err
	}
	return uint24(h), nil
}

func uint24(b []byte) uint32 { return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]) }

// SetChunkSize applies a Set Chunk Size message from the peer.
func (cr *ChunkReader) SetChunkSize(p []byte) error {
	if len(p) < 4 {
		return fmt.Errorf("%w: Set Chunk Size of %d bytes", ErrProtocol, len(p))
	}
	n := binary.BigEndian.Uint32(p) & 0x7fffffff
	if n < 1 || n > maxChunkSize {
		return fmt.Errorf("%w: server chunk size %d out of range 1–%d", ErrProtocol, n, maxChunkSize)
	}
	cr.size = int(n)
	return nil
}

// abort discards the partly received message of a chunk stream (Abort
// Message, section 5.4.2).
func (cr *ChunkReader) abort(csid uint32) {
	if cs := cr.streams[csid]; cs != nil {
		cs.buf, cs.started = nil, false
	}
}
