package rawrtmp

import (
	"bytes"
	"encoding/binary"
)

// Chunks lays out one message as RTMP chunks (RTMP 1.0 section 5.3) of at
// most chunkSize payload bytes: a type-0 header, then type-3 headers. A
// timestamp of 0xffffff or more goes in the extended timestamp field; with
// repeatExtended it is repeated after every type-3 header, as the
// specification, ffmpeg and nginx-rtmp do, and without it omitted, as
// go-rtmp v0.0.7 does. csid must be 2 to 63. Send the result with WriteRaw.
func Chunks(csid, typeID byte, streamID, timestamp uint32, body []byte, chunkSize int, repeatExtended bool) []byte {
	var b bytes.Buffer
	ext := timestamp >= 0xffffff
	field := min(timestamp, 0xffffff)
	b.WriteByte(csid & 0x3f) // fmt 0
	b.Write([]byte{byte(field >> 16), byte(field >> 8), byte(field)})
	n := len(body)
	b.Write([]byte{byte(n >> 16), byte(n >> 8), byte(n)})
	b.WriteByte(typeID)
	_ = binary.Write(&b, binary.LittleEndian, streamID)
	for first := true; first || len(body) > 0; first = false {
		if !first {
			b.WriteByte(0xc0 | csid&0x3f) // fmt 3
		}
		if ext && (first || repeatExtended) {
			_ = binary.Write(&b, binary.BigEndian, timestamp)
		}
		k := min(chunkSize, len(body))
		b.Write(body[:k])
		body = body[k:]
	}
	return b.Bytes()
}

// SetChunkSize returns the chunks of a Set Chunk Size message (type 1) for
// WriteRaw. The peer applies size to the chunks that follow it.
func SetChunkSize(size uint32) []byte {
	return Chunks(2, 1, 0, 0, binary.BigEndian.AppendUint32(nil, size), 128, false)
}
