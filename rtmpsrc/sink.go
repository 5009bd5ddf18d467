package rtmpsrc

import (
	"bufio"
	"fmt"
	"io"
)

// sink receives tags in DTS order from the muxer, its only writer.
type sink interface {
	// writeMetadata writes onMetaData; it comes first, before the
	// sequence headers.
	writeMetadata(m Metadata) error
	writeTag(typ byte, ts uint32, body []byte, flush bool) error
	// close ends the stream; graceful says it ended normally.
	close(graceful bool) error
}

type rtmpSink struct{ c *conn }

func (s *rtmpSink) writeMetadata(m Metadata) error {
	return s.c.writeMedia(csidData, msgDataAMF0, 0, m.setDataFrame(), false)
}

func (s *rtmpSink) writeTag(typ byte, ts uint32, body []byte, flush bool) error {
	csid := csidVideo
	if typ == flvTagAudio {
		csid = csidAudio
	}
	return s.c.writeMedia(csid, typ, ts, body, flush)
}

func (s *rtmpSink) close(graceful bool) error {
	s.c.close(graceful)
	return nil
}

// FLVWriter writes a stream as an FLV file (Adobe FLV 10.1, annex E).
// It is the sink a Publisher uses for Config.Output.
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
	return s.writeTag(flvTagScript, 0, m.scriptTag(), false)
}

func (s *flvSink) writeTag(typ byte, ts uint32, body []byte, _ bool) error {
	s.buf = appendFLVTag(s.buf[:0], typ, ts, body)
	return s.write(s.buf)
}

func (s *flvSink) close(bool) error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("rtmpsrc: writing FLV: %w", err)
	}
	return nil
}
