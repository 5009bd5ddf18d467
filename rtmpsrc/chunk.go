package rtmpsrc

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// RTMP chunk stream (Adobe RTMP specification 1.0, section 5.3). The
// reader is lenient: a chunk stream may begin with a type-1 or type-2
// header (5.3.1.2), whose omitted fields start at zero. The
// writer always uses type-0 headers with absolute timestamps, and repeats
// the extended timestamp in every type-3 continuation chunk of a message
// whose timestamp needs it (5.3.1.3): go-rtmp v0.0.7 omits it there, which
// breaks streams past 2^24 ms (4 h 39 m), so the chunk layer is our own.

// Message type IDs (section 5.4 and 7.1).
const (
	msgSetChunkSize     = 1
	msgAbort            = 2
	msgAck              = 3
	msgUserControl      = 4
	msgWindowAckSize    = 5
	msgSetPeerBandwidth = 6
	msgAudio            = 8
	msgVideo            = 9
	msgDataAMF3         = 15
	msgCommandAMF3      = 17
	msgDataAMF0         = 18
	msgCommandAMF0      = 20
)

// Chunk stream IDs we write on.
const (
	csidControl = 2
	csidCommand = 3
	csidData    = 5
	csidAudio   = 6
	csidVideo   = 7
)

const extendedTimestamp = 0xffffff

type chunkWriter struct {
	w    *bufio.Writer
	size int
	hdr  []byte
}

// writeMessage splits one message into chunks. It does not flush.
func (cw *chunkWriter) writeMessage(csid int, typ byte, streamID uint32, ts uint32, payload []byte) error {
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
	if _, err := cw.w.Write(h); err != nil {
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
			if _, err := cw.w.Write(c[:m]); err != nil {
				return err
			}
		}
		k := min(cw.size, len(payload))
		if _, err := cw.w.Write(payload[:k]); err != nil {
			return err
		}
		payload = payload[k:]
	}
	return nil
}

// message is a whole message read from the server.
type message struct {
	typ       byte
	streamID  uint32
	timestamp uint32
	payload   []byte
}

type inChunkStream struct {
	timestamp, delta uint32
	length           int
	typ              byte
	streamID         uint32
	ext              bool
	buf              []byte
	started          bool
}

// chunkReader reassembles messages from a server. Everything it keeps is
// bounded: message size, number of chunk streams, and the chunk size is
// checked when the server sets it.
type chunkReader struct {
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

func newChunkReader(r io.Reader) *chunkReader {
	return &chunkReader{r: r, size: 128, streams: make(map[uint32]*inChunkStream)}
}

func (cr *chunkReader) read(n int) ([]byte, error) {
	b := cr.tmp[:n]
	_, err := io.ReadFull(cr.r, b)
	return b, err
}

// readMessage returns the next complete message.
func (cr *chunkReader) readMessage() (message, error) {
	for {
		b, err := cr.read(1)
		if err != nil {
			return message{}, err
		}
		format := b[0] >> 6
		csid := uint32(b[0] & 0x3f)
		switch csid {
		case 0:
			b, err := cr.read(1)
			if err != nil {
				return message{}, err
			}
			csid = 64 + uint32(b[0])
		case 1:
			b, err := cr.read(2)
			if err != nil {
				return message{}, err
			}
			csid = 64 + uint32(b[0]) + uint32(b[1])<<8
		}
		cs := cr.streams[csid]
		if cs == nil {
			if len(cr.streams) >= maxInChunkStreams {
				return message{}, fmt.Errorf("%w: server opened more than %d chunk streams", ErrProtocol, maxInChunkStreams)
			}
			// A type-1 or type-2 header leaves out fields that a new
			// chunk stream has no previous value for: they start at
			// zero, as librtmp and ffmpeg read them, and as a server in
			// use sends its connect _result. A type-3 header has nothing
			// to go on.
			if format == 3 {
				return message{}, fmt.Errorf("%w: chunk stream %d starts with a type-3 header", ErrProtocol, csid)
			}
			cs = &inChunkStream{}
			cr.streams[csid] = cs
		}
		var stamp uint32
		switch format {
		case 0:
			h, err := cr.read(11)
			if err != nil {
				return message{}, err
			}
			stamp = uint32(h[0])<<16 | uint32(h[1])<<8 | uint32(h[2])
			cs.length = int(h[3])<<16 | int(h[4])<<8 | int(h[5])
			cs.typ = h[6]
			cs.streamID = binary.LittleEndian.Uint32(h[7:])
		case 1:
			h, err := cr.read(7)
			if err != nil {
				return message{}, err
			}
			stamp = uint32(h[0])<<16 | uint32(h[1])<<8 | uint32(h[2])
			cs.length = int(h[3])<<16 | int(h[4])<<8 | int(h[5])
			cs.typ = h[6]
		case 2:
			h, err := cr.read(3)
			if err != nil {
				return message{}, err
			}
			stamp = uint32(h[0])<<16 | uint32(h[1])<<8 | uint32(h[2])
		}
		if format < 3 {
			cs.ext = stamp == extendedTimestamp
		}
		if cs.ext {
			h, err := cr.read(4)
			if err != nil {
				return message{}, err
			}
			if format < 3 {
				stamp = binary.BigEndian.Uint32(h)
			}
		}
		if cs.length > maxInMessage {
			return message{}, fmt.Errorf("%w: server message of %d bytes (limit %d)", ErrProtocol, cs.length, maxInMessage)
		}
		if cs.started && format < 3 {
			return message{}, fmt.Errorf("%w: new message header inside a message on chunk stream %d", ErrProtocol, csid)
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
		n := min(cr.size, cs.length-len(cs.buf))
		start := len(cs.buf)
		cs.buf = append(cs.buf, make([]byte, n)...)
		if _, err := io.ReadFull(cr.r, cs.buf[start:]); err != nil {
			return message{}, err
		}
		if len(cs.buf) == cs.length {
			m := message{typ: cs.typ, streamID: cs.streamID, timestamp: cs.timestamp, payload: cs.buf}
			cs.buf = nil
			cs.started = false
			return m, nil
		}
	}
}

// setChunkSize applies a Set Chunk Size message from the server.
func (cr *chunkReader) setChunkSize(p []byte) error {
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
func (cr *chunkReader) abort(csid uint32) {
	if cs := cr.streams[csid]; cs != nil {
		cs.buf, cs.started = nil, false
	}
}
