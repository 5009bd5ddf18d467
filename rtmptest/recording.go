package rtmptest

import (
	"fmt"
	"io"

	flv "github.com/yutopp/go-flv"
	"github.com/yutopp/go-flv/tag"
)

// recording writes one publish as an FLV file (Adobe FLV 10.1 annex E).
//
// Audio and video tag bodies come out byte for byte as received: go-flv
// re-encodes the header from the decoded fields, which hold every header
// bit. The onMetaData tag is re-encoded from its decoded values, so its
// properties may come out in another order.
type recording struct {
	w   io.WriteCloser
	enc *flv.Encoder
}

func newRecording(w io.WriteCloser) (*recording, error) {
	enc, err := flv.NewEncoder(w, flv.FlagsAudio|flv.FlagsVideo)
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("rtmptest: record: %w", err)
	}
	return &recording{w: w, enc: enc}, nil
}

func (r *recording) write(t *tag.FlvTag) error {
	if err := r.enc.Encode(t); err != nil {
		return fmt.Errorf("rtmptest: record: %w", err)
	}
	return nil
}

func (r *recording) close() error {
	if err := r.w.Close(); err != nil {
		return fmt.Errorf("rtmptest: record: %w", err)
	}
	return nil
}
