package rtmpsrc

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// sink receives tags in DTS order from the muxer, its only writer. A
// sink may keep the tag bodies it is given.
type sink interface {
	// writeMetadata writes onMetaData; it comes first, before the
	// sequence headers.
	writeMetadata(m Metadata) error
	// writeHeader writes a sequence header.
	writeHeader(t outTag) error
	writeTag(t outTag) error
	// close ends the stream; graceful says it ended normally, and drain
	// bounds the time spent sending what is still queued.
	close(graceful bool, drain time.Duration) error
}

// flvSink writes a stream as an FLV file (Adobe FLV 10.1, annex E), for
// Config.Output, as fast as it is given tags.
type flvSink struct {
	w            *bufio.Writer
	audio, video bool
	buf          []byte
	started      bool
}

func newFLVSink(w io.Writer, audio, video bool) *flvSink {
	return &flvSink{w: bufio.NewWriterSize(w, 256<<10), audio: audio, video: video}
}

func (s *flvSink) write(b []byte) error {
	if _, err := s.w.Write(b); err != nil {
		return fmt.Errorf("rtmpsrc: writing FLV: %w", err)
	}
	return nil
}

func (s *flvSink) writeMetadata(m Metadata) error {
	if !s.started {
		s.started = true
		if err := s.write(flvHeader(s.audio, s.video)); err != nil {
			return err
		}
	}
	return s.writeTag(outTag{typ: flvTagScript, body: m.scriptTag()})
}

func (s *flvSink) writeHeader(t outTag) error { return s.writeTag(t) }

func (s *flvSink) writeTag(t outTag) error {
	// Header and PreviousTagSize around the body, which is not copied
	// but into the buffered writer.
	s.buf = appendFLVTagHeader(s.buf[:0], t.typ, t.ts, len(t.body))
	if err := s.write(s.buf); err != nil {
		return err
	}
	if err := s.write(t.body); err != nil {
		return err
	}
	s.buf = binary.BigEndian.AppendUint32(s.buf[:0], uint32(11+len(t.body)))
	return s.write(s.buf)
}

func (s *flvSink) close(bool, time.Duration) error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("rtmpsrc: writing FLV: %w", err)
	}
	return nil
}
