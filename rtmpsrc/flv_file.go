package rtmpsrc

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/golivecast/golivecast/internal/amf0"
)

// flvFile writes the stream as an FLV file (Adobe FLV 10.1, annex E), for
// Config.Output, synchronously: it is given the tags as the muxer makes
// them.
type flvFile struct {
	w            *bufio.Writer
	audio, video bool
	buf          []byte
	started      bool
}

func newFLVFile(w io.Writer, audio, video bool) *flvFile {
	return &flvFile{w: bufio.NewWriterSize(w, 256<<10), audio: audio, video: video}
}

// setDataFramePrefix is the AMF0 string "@setDataFrame" that starts the
// RTMP form of the metadata; a file holds onMetaData without it (E.5).
var setDataFramePrefix = amf0.Append(nil, "@setDataFrame")

func (f *flvFile) writeTag(t tag) error {
	defer t.body.release()
	if !f.started {
		f.started = true
		if err := f.write(flvHeader(f.audio, f.video)); err != nil {
			return err
		}
	}
	body := t.body.b
	if t.typ == flvTagScript {
		body = bytes.TrimPrefix(body, setDataFramePrefix)
	}
	// Header and PreviousTagSize around the body, which is copied only
	// into the buffered writer.
	f.buf = appendFLVTagHeader(f.buf[:0], t.typ, t.ts(), len(body))
	if err := f.write(f.buf); err != nil {
		return err
	}
	if err := f.write(body); err != nil {
		return err
	}
	f.buf = binary.BigEndian.AppendUint32(f.buf[:0], uint32(11+len(body)))
	return f.write(f.buf)
}

func (f *flvFile) write(b []byte) error {
	if _, err := f.w.Write(b); err != nil {
		return fmt.Errorf("rtmpsrc: writing FLV: %w", err)
	}
	return nil
}

// close flushes what is buffered; the caller owns the writer.
func (f *flvFile) close() error {
	if err := f.w.Flush(); err != nil {
		return fmt.Errorf("rtmpsrc: writing FLV: %w", err)
	}
	return nil
}
